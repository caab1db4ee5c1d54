"""`pip install ./sdks/python` works and installs a typed, dependency-free package (test plan: PKG-1)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


def test_pip_installs_the_folder(tmp_path: Path) -> None:
    # A copy, so that the build leaves nothing in the checkout.
    source = tmp_path / "python"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(source)], check=True, timeout=300)
    script = (
        "import importlib.metadata as m, pathlib, prodvisual;"
        "print(prodvisual.__version__, m.requires('prodvisual') or [],"
        " (pathlib.Path(prodvisual.__file__).parent / 'py.typed').exists())"
    )
    output = subprocess.run([str(python), "-c", script], check=True, capture_output=True, text=True).stdout.split()
    assert output == ["1.0.0", "[]", "True"]
    assert sys.version_info >= (3, 8)
