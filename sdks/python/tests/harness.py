"""The test harness: the real ``prodvisual serve`` on loopback, the bench photos served over
loopback HTTP, and a webhook receiver. Nothing here imitates the server."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

REPO_ROOT = Path(__file__).resolve().parents[3]
PACKSHOTS = Path(os.environ.get("PRODVISUAL_BENCH_DIR", REPO_ROOT.parent / "shared" / "bench")) / "packshots"


def locate_executable() -> Path:
    """PRODVISUAL_EXECUTABLE, else .build/debug or .build/release under the repository."""
    explicit = os.environ.get("PRODVISUAL_EXECUTABLE")
    if explicit:
        path = Path(explicit)
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"PRODVISUAL_EXECUTABLE={explicit} is not an executable file")
        return path
    for configuration in ("debug", "release"):
        path = REPO_ROOT / ".build" / configuration / "prodvisual"
        if path.is_file() and os.access(path, os.X_OK):
            return path
    raise RuntimeError(
        f"No prodvisual executable under {REPO_ROOT}/.build/{{debug,release}}: run "
        "`swift build --product prodvisual` or set PRODVISUAL_EXECUTABLE."
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """``prodvisual serve`` on a fresh data directory and a free loopback port."""

    def __init__(self, rate_limit_per_minute: int = 1_000_000, extra_env: Optional[Dict[str, str]] = None) -> None:
        self.executable = locate_executable()
        self.data_dir = Path(tempfile.mkdtemp(prefix="pv-sdk-python-"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRODVISUAL_")}
        env["PRODVISUAL_RATE_LIMIT_PER_DAY"] = "100000000"
        env.update(extra_env or {})
        self._stdout = open(self.data_dir / "stdout.log", "ab")
        self._stderr = open(self.data_dir / "stderr.log", "ab")
        self.process = subprocess.Popen(
            [
                str(self.executable), "serve",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--data-dir", str(self.data_dir), "--allow-private-sources",
                "--rate-limit-per-minute", str(rate_limit_per_minute),
            ],
            stdin=subprocess.DEVNULL, stdout=self._stdout, stderr=self._stderr, env=env,
        )
        self._wait_healthy()
        self.live_key, self.test_key = self._read_keys()

    def _wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}\n{self.stderr_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/health", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError as error:
                last = str(error)
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server was not healthy within {timeout} s ({last})\n{self.stderr_tail()}")

    def _read_keys(self) -> tuple:
        text = (self.data_dir / "stdout.log").read_text()
        keys = {}
        for line in text.splitlines():
            for label, prefix in (("Live key (spends credits):", "pv_live_"), ("Test key (free, watermarked):", "pv_test_")):
                if label in line and line.split()[-1].startswith(prefix):
                    keys[prefix] = line.split()[-1]
        if len(keys) != 2:
            raise RuntimeError(f"the server printed no first-start keys:\n{text}")
        return keys["pv_live_"], keys["pv_test_"]

    def create_key(self, credits: int = 0) -> str:
        """A live key on a new account with ``credits``, made by the operator command."""
        output = subprocess.run(
            [str(self.executable), "keys", "create", "--data-dir", str(self.data_dir), "--credits", str(credits)],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout
        return output.strip().splitlines()[-1]

    @property
    def outputs_dir(self) -> Path:
        return self.data_dir / "outputs"

    def stderr_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join((self.data_dir / "stderr.log").read_text().splitlines()[-lines:])
        except OSError:
            return "(no stderr log)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._stdout.close()
        self._stderr.close()
        if not os.environ.get("PRODVISUAL_KEEP_TEST_DATA"):
            shutil.rmtree(self.data_dir, ignore_errors=True)


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


class SourceServer:
    """Source images over loopback, as a shop's CDN would serve them:

    - ``/packshots/<path>``: the bench photos, read in place;
    - ``/slow/<seconds>/<path>``: the same, after a delay (to keep a request in flight);
    - ``/too-large.jpg``: an 11 MB body (over the 10 MB limit);
    - ``/not-an-image.jpg``: text labelled as a JPEG.
    """

    def __init__(self) -> None:
        if not PACKSHOTS.is_dir():
            raise RuntimeError(f"The bench photos are missing: expected them in {PACKSHOTS}")
        self.photos: List[str] = sorted(
            str(p.relative_to(PACKSHOTS)) for p in PACKSHOTS.rglob("*.jpg") if p.stat().st_size <= 150_000
        )
        if not self.photos:
            raise RuntimeError(f"No JPEG of at most 150 kB in {PACKSHOTS}")
        root = PACKSHOTS

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                if path == "/too-large.jpg":
                    size = 11 * 1024 * 1024
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(size))
                    self.end_headers()
                    chunk = b"\xff\xd8\xff\xe0" + bytes(64 * 1024 - 4)
                    try:
                        for _ in range(size // len(chunk)):
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                    return
                if path == "/not-an-image.jpg":
                    body = b"This is a text file, not a photo.\n" * 20
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if path.startswith("/slow/"):
                    _, _, seconds, rest = path.split("/", 3)
                    time.sleep(float(seconds))
                    path = "/packshots/" + rest
                if path.startswith("/packshots/"):
                    file = (root / path[len("/packshots/"):]).resolve()
                    if root.resolve() in file.parents and file.is_file():
                        body = file.read_bytes()
                        self.send_response(200)
                        self.send_header("Content-Type", "image/jpeg")
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                        return
                self.send_error(404)

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, index: int = 0) -> str:
        return f"{self.base_url}/packshots/{self.photos[index % len(self.photos)]}"

    def slow_url(self, seconds: float, index: int = 0) -> str:
        return f"{self.base_url}/slow/{seconds}/{self.photos[index % len(self.photos)]}"

    def item(self, index: int = 0, **extra: object) -> Dict[str, object]:
        """A cheap generation: a small white-background JPEG."""
        item: Dict[str, object] = {"image_url": self.url(index), "style": "white_bg", "dimensions": "400x400", "format": "jpeg"}
        item.update(extra)
        return item

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Delivery:
    def __init__(self, body: bytes, headers: Dict[str, str], received_at: float) -> None:
        self.body = body
        self.headers = headers
        self.received_at = received_at

    @property
    def payload(self) -> Dict[str, object]:
        return json.loads(self.body)


class WebhookReceiver:
    """A customer's webhook endpoint on loopback: records every POST and answers 200."""

    def __init__(self) -> None:
        self.deliveries: List[Delivery] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.deliveries.append(Delivery(body, dict(self.headers.items()), time.time()))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def wait_for(self, event: str, object_id: str, timeout: float = 30.0) -> Delivery:
        """The first delivery of ``event`` whose data names ``object_id``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for delivery in self.deliveries:
                    payload = delivery.payload
                    data = payload.get("data") or {}
                    if payload.get("event") == event and object_id in (data.get("id"), data.get("batch_id")):
                        return delivery
            time.sleep(0.05)
        raise AssertionError(f"no {event} delivery for {object_id} within {timeout} s; got {len(self.deliveries)}")

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
