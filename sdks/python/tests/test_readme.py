"""The README's examples, run as written against the real server (test plan: DOC-*).

Only the placeholders change: the key, the server's address, and the example.com photos (the
bench photos served on loopback)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import List

README = Path(__file__).resolve().parents[1] / "README.md"


def examples() -> List[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def run(code: str, server, sources, receiver=None) -> str:
    code = code.replace("pv_live_a1b2c3d4...", server.live_key).replace("http://127.0.0.1:8080", server.base_url)
    code = code.replace("https://example.com/product.jpg", sources.url(0))
    for n in (1, 2, 3):
        code = code.replace(f"https://example.com/product{n}.jpg", sources.url(n))
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def test_the_readme_has_the_documents_example_verbatim_but_for_base_url() -> None:
    first = examples()[0]
    assert 'client = ProdVisual(api_key="pv_live_a1b2c3d4...", base_url="http://127.0.0.1:8080")' in first
    document = first.replace(', base_url="http://127.0.0.1:8080"', "")
    assert document.strip() == '''from prodvisual import ProdVisual

client = ProdVisual(api_key="pv_live_a1b2c3d4...")

result = client.generate(
    image_url="https://example.com/product.jpg",
    style="lifestyle",
    platform="amazon"
)

print(result.output_url)  # https://cdn.prodvisual.com/output/...
print(result.credits_remaining)  # 49'''


def test_the_documents_example_runs(server, sources) -> None:
    output = run(examples()[0], server, sources).splitlines()
    assert output[0].startswith(server.base_url + "/output/gen_")
    assert int(output[1]) >= 0


def test_the_documents_example_runs_unchanged_with_the_base_url_in_the_environment(server, sources) -> None:
    code = examples()[0].replace(', base_url="http://127.0.0.1:8080"', "")
    code = "import os; os.environ['PRODVISUAL_BASE_URL'] = " + json.dumps(server.base_url + "/v1") + "\n" + code
    output = run(code, server, sources).splitlines()
    assert output[0].startswith(server.base_url + "/output/gen_")


def test_the_batch_example_runs(server, sources) -> None:
    output = run(examples()[1], server, sources).splitlines()
    assert output[0].startswith("batch_") and " 3 " in output[0]
    assert len(output) == 4 and all(" completed " + server.base_url + "/output/" in line for line in output[1:])


def test_the_error_example_runs(server, sources) -> None:
    output = run(examples()[2], server, sources)
    assert output.startswith("invalid_request 400 ")


def test_the_webhook_example_verifies_a_real_delivery(client, server, sources, receiver, tmp_path) -> None:
    pending = client.generate(webhook_url=receiver.url, **sources.item(0))
    delivery = receiver.wait_for("generation.completed", pending.id)
    (tmp_path / "body").write_bytes(delivery.body)
    (tmp_path / "headers.json").write_text(json.dumps(delivery.headers))
    call = f"""
import json, pathlib
raw = pathlib.Path({str(tmp_path / 'body')!r}).read_bytes()
headers = json.loads(pathlib.Path({str(tmp_path / 'headers.json')!r}).read_text())
handle_webhook(raw, headers)
try:
    handle_webhook(raw + b" ", headers)
except PermissionError:
    print("tampered body refused")
"""
    output = run(examples()[3] + call, server, sources).splitlines()
    assert output == [f"generation.completed {delivery.headers['X-ProdVisual-Event-Id']} {pending.id}", "tampered body refused"]
