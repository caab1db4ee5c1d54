"""schemathesis against a live `prodvisual serve`: the OpenAPI document must say exactly what the
server accepts. Every check on, bounded in time: a fixed seed and ten examples per operation, so a
run takes about half a minute and finds the same things each time. The only allowance is in
scripts/schemathesis.toml (image URLs that cannot be fetched are refused with 400: reachability is
not a property a schema can state).

schemathesis comes from PyPI, pinned, into a virtual environment under ~/.cache/prodvisual.
"""
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VERSION = "4.32.5"
VENV = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "prodvisual", f"schemathesis-{VERSION}")


def schemathesis():
    st = os.path.join(VENV, "bin", "st")
    if not os.path.exists(st):
        subprocess.run(["python3", "-m", "venv", VENV], check=True)
        installed = subprocess.run([os.path.join(VENV, "bin", "pip"), "install", "-q", f"schemathesis=={VERSION}"])
        if installed.returncode != 0:
            pytest.skip("schemathesis could not be installed from PyPI (offline?)")
    return st


def executable():
    for candidate in [os.environ.get("PRODVISUAL_EXECUTABLE"), os.path.join(ROOT, ".build/debug/prodvisual"),
                      os.path.join(ROOT, ".build/release/prodvisual")]:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail("no prodvisual build: run swift build first")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_document_says_exactly_what_the_server_accepts():
    st = schemathesis()
    with tempfile.TemporaryDirectory(prefix="pv-schemathesis-") as data:
        port = free_port()
        log = open(os.path.join(data, "serve.log"), "w+")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRODVISUAL_")}
        server = subprocess.Popen(
            [executable(), "serve", "--port", str(port), "--data-dir", os.path.join(data, "data"),
             "--rate-limit-per-minute", "1000000", "--rate-limit-per-day", "100000000"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            key = None
            for _ in range(300):
                log.seek(0)
                match = re.search(r"Test key \(free, watermarked\):\s+(pv_test_\w+)", log.read())
                if match:
                    try:
                        urllib.request.urlopen(f"{base}/health", timeout=1)
                        key = match.group(1)
                        break
                    except OSError:
                        pass
                time.sleep(0.2)
            assert key, "the server did not start"
            # The test key renders for free, so the fuzzed generations cost nothing.
            run = subprocess.run(
                [st, "--config-file", os.path.join(ROOT, "scripts/schemathesis.toml"), "run", f"{base}/v1/openapi.json",
                 "--checks", "all", "-H", f"Authorization: Bearer {key}", "--max-examples", "10", "--seed", "1",
                 "--request-timeout", "60"],
                capture_output=True, text=True, timeout=600, env=env | {"NO_COLOR": "1"}, cwd=data)
            assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
            assert server.poll() is None, "the server died under the fuzzing"
        finally:
            server.terminate()
            server.wait(timeout=60)
