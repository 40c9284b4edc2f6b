"""An S3-compatible server on loopback for the artifact store tests: moto's server mode (PyPI).

No S3 server installs from the registries here; moto answers the S3 API as MinIO or a cloud store
would for what swdw uses (put, get, list, head, delete of objects in one bucket).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ingest.artifact_store import ARTIFACTS_URL_ENV
from ingest.ports import free_port

BUCKET = "swdw-artifacts"
MOTO_SERVER = Path(sys.executable).with_name("moto_server")


@contextlib.contextmanager
def moto_s3():
    """moto's S3 server on a free loopback port, with a bucket; yields the environment that reaches it."""
    port = free_port()
    process = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.3)
        env = {
            "AWS_ACCESS_KEY_ID": "swdw-test",
            "AWS_SECRET_ACCESS_KEY": "swdw-test-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_S3": endpoint,
            ARTIFACTS_URL_ENV: f"s3://{BUCKET}/city",
        }
        request = urllib.request.Request(f"{endpoint}/{BUCKET}", method="PUT")
        urllib.request.urlopen(request, timeout=10).close()
        yield env
    finally:
        process.terminate()
        process.wait(timeout=10)
