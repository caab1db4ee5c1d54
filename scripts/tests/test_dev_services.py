"""Tests of scripts/dev-services.sh against the real services: PostgreSQL 15 from Debian's packages
and SeaweedFS's S3 gateway (the pinned weed binary, fetched into the cache when missing).

One start in a temporary folder serves the module: the exports parse, psql runs SELECT 1 with the
URL, an object signed with the credentials (SigV4, done here with hmac/hashlib) goes into the bucket
and comes back byte for byte while an unsigned read is refused, a second start prints the same lines,
and stop closes both ports. Needs psql (postgresql-client, scripts/install-deps.sh installs it).
"""
import datetime
import hashlib
import hmac
import os
import re
import shutil
import socket
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import pytest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "dev-services.sh")
NAMES = [
    "PRODVISUAL_DATABASE_URL", "PRODVISUAL_OBJECT_STORE_URL", "PRODVISUAL_S3_ENDPOINT",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "PRODVISUAL_SERVER_SECRET",
]


def run(*args, check=True):
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=180, check=check)


def parse_exports(stdout):
    values = {}
    for line in stdout.splitlines():
        match = re.fullmatch(r"export ([A-Z0-9_]+)=([A-Za-z0-9:/@._-]+)", line)
        assert match, f"not an export line: {line!r}"
        values[match.group(1)] = match.group(2)
    return values


def port_open(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def s3_request(method, endpoint, path, access_key, secret_key, body=b"", region="us-east-1"):
    """One path-style S3 request signed with AWS Signature Version 4 (no query string)."""
    host = urllib.parse.urlsplit(endpoint).netloc
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    payload_hash = hashlib.sha256(body).hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
    signed_headers = ";".join(sorted(headers))
    canonical = "\n".join([
        method, urllib.parse.quote(path), "",
        "".join(f"{name}:{headers[name]}\n" for name in sorted(headers)),
        signed_headers, payload_hash,
    ])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret_key).encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                                f"SignedHeaders={signed_headers}, Signature={signature}")
    del headers["host"]
    request = urllib.request.Request(endpoint + path, data=body if method == "PUT" else None,
                                     method=method, headers=headers)
    return http(request)


def http(request):
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def services():
    # Not pytest's tmp_path: as root, PostgreSQL runs as the postgres user, who must get through
    # every folder above the data, and pytest's are 700.
    folder = tempfile.mkdtemp(prefix="prodvisual-dev-services-")
    os.chmod(folder, 0o711)
    try:
        started = run("start", folder)
        yield folder, started.stdout
    finally:
        run("stop", folder, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def test_start_prints_only_the_exports(services):
    _, stdout = services
    values = parse_exports(stdout)
    assert list(values) == NAMES
    assert re.fullmatch(r"postgres://prodvisual:[0-9a-f]{32}@127\.0\.0\.1:\d+/prodvisual", values[NAMES[0]])
    assert values["PRODVISUAL_OBJECT_STORE_URL"] == "s3://prodvisual"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", values["PRODVISUAL_S3_ENDPOINT"])
    assert values["AWS_REGION"] == "us-east-1"
    assert re.fullmatch(r"[0-9a-f]{64}", values["PRODVISUAL_SERVER_SECRET"])
    env = subprocess.run(["bash", "-c", stdout + '\necho "$PRODVISUAL_DATABASE_URL"'],
                         capture_output=True, text=True, check=True)
    assert env.stdout.strip() == values["PRODVISUAL_DATABASE_URL"]


def test_database_answers(services):
    folder, stdout = services
    url = parse_exports(stdout)["PRODVISUAL_DATABASE_URL"]
    assert shutil.which("psql"), "psql missing: scripts/install-deps.sh installs postgresql-client-15"
    result = subprocess.run(["psql", "-X", "-At", url, "-c", "SELECT 1"],
                            capture_output=True, text=True, timeout=30, check=True)
    assert result.stdout.strip() == "1"
    with open(os.path.join(folder, "env.sh")) as env_file:
        assert env_file.read() == stdout


def test_bucket_takes_and_returns_an_object_signed_only(services):
    _, stdout = services
    values = parse_exports(stdout)
    endpoint = values["PRODVISUAL_S3_ENDPOINT"]
    keys = values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"]
    body = bytes(range(256)) * 40 + b"\x00end"
    status, _ = s3_request("PUT", endpoint, "/prodvisual/tests/object.bin", *keys, body=body)
    assert status == 200
    assert s3_request("GET", endpoint, "/prodvisual/tests/object.bin", *keys) == (200, body)
    status, _ = http(urllib.request.Request(endpoint + "/prodvisual/tests/object.bin"))
    assert status == 403
    status, _ = s3_request("GET", endpoint, "/prodvisual/tests/object.bin", keys[0], "0" * 40)
    assert status == 403


def test_start_again_prints_the_same(services):
    folder, stdout = services
    assert run("start", folder).stdout == stdout
    assert run("status", folder).returncode == 0


def test_stop_closes_both_ports(services):
    folder, stdout = services
    values = parse_exports(stdout)
    pg_port = int(values["PRODVISUAL_DATABASE_URL"].rsplit(":", 1)[1].split("/")[0])
    s3_port = int(values["PRODVISUAL_S3_ENDPOINT"].rsplit(":", 1)[1])
    assert port_open(pg_port) and port_open(s3_port)
    run("stop", folder)
    assert not port_open(pg_port)
    assert not port_open(s3_port)
    assert run("status", folder, check=False).returncode == 3
    assert run("stop", folder).returncode == 0
