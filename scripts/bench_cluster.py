#!/usr/bin/env python3
"""A batch of 50 white_bg items from 12 MP JPEGs through the cluster of `make cluster` (two API
nodes and two workers behind nginx, on PostgreSQL and the S3 store) beside the same batch through
one node on SQLite and a local folder, in one run, on this machine. Prints both times and the
ratio. Both get the same cores, so the ratio is the price (or gain) of the shared storage and the
proxy, not of more machines.

    python3 scripts/bench_cluster.py [--bench-dir ../shared/bench] [--items 50]

Stops a running `make cluster` first and leaves none running.
"""
import argparse
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("PRODVISUAL_BIN", os.path.join(ROOT, ".build/release/prodvisual"))
# The sources are on loopback, and the bench polls often: both allowed for the nodes it starts.
NODE_ENV = {
    "PRODVISUAL_ALLOW_PRIVATE_SOURCES": "true",
    "PRODVISUAL_RATE_LIMIT_PER_MINUTE": "1000000",
    "PRODVISUAL_RATE_LIMIT_PER_DAY": "100000000",
}


# The cluster's nginx serves HTTPS with the certificate scripts/cluster.sh made.
CLUSTER_CA = os.path.join(ROOT, ".cluster/tls/cert.pem")


def request(method, url, key=None, body=None, timeout=300):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    context = ssl.create_default_context(cafile=CLUSTER_CA) if url.startswith("https") else None
    with urllib.request.urlopen(req, timeout=timeout, context=context) as reply:
        return json.loads(reply.read())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_sources(bench, folder):
    """Five studio photos scaled from 1200x1200 to 4000x3000, as `bench queue` does."""
    studio = os.path.join(bench, "cutout/studio/images")
    photos = sorted(p for p in os.listdir(studio) if p.endswith(".jpg"))[:5]
    for index, photo in enumerate(photos):
        subprocess.run(
            ["vips", "resize", os.path.join(studio, photo), os.path.join(folder, f"{index}.jpg[Q=92]"), "3.3334", "--vscale", "2.5"],
            check=True)
    return len(photos)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_folder(folder):
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=folder))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_batch(base, key, sources_url, count, photos):
    items = [{"image_url": f"{sources_url}/{i % photos}.jpg", "style": "white_bg", "format": "jpeg"} for i in range(count)]
    request("POST", f"{base}/v1/generate", key, items[0])  # warm-up: models loaded, caches filled
    started = time.monotonic()
    batch = request("POST", f"{base}/v1/generate/batch", key, {"items": items})
    while True:
        state = request("GET", f"{base}/v1/generations/{batch['batch_id']}", key)
        if state.get("status") in ("completed", "failed"):
            break
        time.sleep(0.25)
    seconds = time.monotonic() - started
    if state.get("completed_items") != count:
        raise SystemExit(f"{base}: {state.get('completed_items')} of {count} items completed: {json.dumps(state)[:500]}")
    return seconds


def healthy(base):
    try:
        return request("GET", f"{base}/health", timeout=2).get("status") == "ok"
    except OSError:
        return False


def single_node(scratch):
    port = free_port()
    log = open(os.path.join(scratch, "single.log"), "w")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRODVISUAL_")} | NODE_ENV
    process = subprocess.Popen(
        [BINARY, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", os.path.join(scratch, "single")],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        time.sleep(0.2)
        text = open(log.name).read()
        match = re.search(r"Live key \(spends credits\):\s+(pv_live_\w+)", text)
        if match and healthy(base):
            return process, base, match.group(1)
        if process.poll() is not None:
            raise SystemExit(f"the single node exited:\n{text}")
    raise SystemExit("the single node did not start")


def cluster(command):
    env = os.environ | NODE_ENV
    subprocess.run([os.path.join(ROOT, "scripts/cluster.sh"), command], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL if command == "stop" else None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-dir", default=os.path.join(ROOT, "../shared/bench"))
    parser.add_argument("--items", type=int, default=50)
    args = parser.parse_args()
    if not os.access(BINARY, os.X_OK):
        raise SystemExit(f"{BINARY} is missing: build it with `swift build -c release --product prodvisual`")

    with tempfile.TemporaryDirectory(prefix="pv-bench-cluster-") as scratch:
        sources = os.path.join(scratch, "sources")
        os.makedirs(sources)
        photos = make_sources(args.bench_dir, sources)
        files = serve_folder(sources)
        sources_url = f"http://127.0.0.1:{files.server_address[1]}"

        process, base, key = single_node(scratch)
        try:
            single = run_batch(base, key, sources_url, args.items, photos)
        finally:
            process.terminate()
            process.wait(timeout=60)

        cluster("stop")
        cluster("start")
        try:
            settings = dict(line.strip().split("=", 1) for line in open(os.path.join(ROOT, ".cluster/cluster.env")) if "=" in line)
            several = run_batch(settings["CLUSTER_URL"], settings["CLUSTER_KEY"], sources_url, args.items, photos)
        finally:
            cluster("stop")
        files.shutdown()

    print(f"\nBatch of {args.items} white_bg items from 12 MP JPEGs, on {os.cpu_count()} cores:")
    print(f"  one node (SQLite, local folder):                         {single:6.2f} s ({args.items / single:.2f} images/s)")
    print(f"  cluster (nginx, 2 API + 2 worker nodes, PostgreSQL, S3): {several:6.2f} s ({args.items / several:.2f} images/s)")
    print(f"  ratio cluster / one node: {several / single:.2f} (same cores: the cost of shared storage and the proxy)")


if __name__ == "__main__":
    sys.exit(main())
