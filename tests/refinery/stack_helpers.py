"""Reading a running stack from a test: a batch over Kafka, a topic from its start, a worker's own log."""

import asyncio
import time
from pathlib import Path

from refinery.client import read_from_start, run_batch
from refinery.devstack.stack import Stack
from services.settings import Settings


def batch(lines: list[bytes], settings: Settings, timeout: float = 300):
    return asyncio.run(run_batch(lines, settings, timeout))


async def read_topic(settings: Settings, topic: str) -> list[bytes]:
    return [record.value for record in await read_from_start(settings, topic)]


def received(stack: Stack, name: str, index: int = 0) -> int:
    """Records the worker has taken so far, as its log reports them."""
    log = stack.workdir / "logs" / f"{name}-{index}.log"
    return log.read_text(errors="replace").count("- Received") if log.exists() else 0


def wait_for_line(log: Path, *parts: str, timeout: float = 120) -> None:
    """Until a line of the log holds every part (a service's progress, as it reports it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if any(all(p in line for p in parts) for line in text.splitlines()):
            return
        time.sleep(0.2)
    raise AssertionError(f"{log.name} never logged a line with {parts}")
