#!/usr/bin/env python3
"""The static catalogue beside /health under load, in one run: wrk (Debian's) with 64
connections against one `prodvisual serve` (release build). Bar: /v1/styles at >= 0.75 of
/health's rate, its p99 under 10 ms.

    python3 scripts/bench_http.py [--seconds 10]
"""
import argparse
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("PRODVISUAL_BIN", os.path.join(ROOT, ".build/release/prodvisual"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url, seconds, headers=()):
    arguments = ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency"]
    for header in headers:
        arguments += ["-H", header]
    output = subprocess.run(arguments + [url], check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()
    p99_ms = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    return rate, p99_ms


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pv-bench-http-") as scratch:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRODVISUAL_")}
        server = subprocess.Popen(
            [BINARY, "serve", "--port", str(port), "--data-dir", scratch], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"{base}/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            health = wrk(f"{base}/health", args.seconds)
            styles = wrk(f"{base}/v1/styles", args.seconds)
            gzipped = wrk(f"{base}/v1/styles", args.seconds, headers=["Accept-Encoding: gzip"])
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"\nwrk -t2 -c64 -d{args.seconds}s, one server on {os.cpu_count()} cores:")
    print(f"  /health            {health[0]:9.0f} req/s  p99 {health[1]:6.2f} ms")
    print(f"  /v1/styles         {styles[0]:9.0f} req/s  p99 {styles[1]:6.2f} ms  ratio to /health {styles[0] / health[0]:.2f}")
    print(f"  /v1/styles (gzip)  {gzipped[0]:9.0f} req/s  p99 {gzipped[1]:6.2f} ms  ratio to /health {gzipped[0] / health[0]:.2f}")
    print("  bar: /v1/styles >= 0.75 of /health, p99 < 10 ms")


if __name__ == "__main__":
    main()
