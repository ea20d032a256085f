"""`refinery drift` over the real broker: a Result stream replayed onto refinery.results, read back from
the topic through the drift monitor with the critic's real sentence encoder. Quiet over the steady part;
after the shift (a new schema family on medium, a degraded small tier), loud for exactly the shifted
groups, and since no earlier than the shift."""

import asyncio
import subprocess
import sys
import time

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from refinery.devstack.broker import EmbeddedBroker
from schemas import Result, encode
from services.runtime.connection import client_options
from services.runtime.topics import create_topics
from services.settings import Settings
from tests.drift.streams import shifted_part, steady_part

pytestmark = pytest.mark.broker


async def publish(settings: Settings, results: list[Result], start_ms: int) -> None:
    producer = AIOKafkaProducer(**client_options(settings))
    await producer.start()
    try:
        for offset, result in enumerate(results):
            await producer.send_and_wait(
                settings.topic_results, encode(result), key=result.id.encode(), timestamp_ms=start_ms + offset * 1000
            )
    finally:
        await producer.stop()


def drift_cli(bootstrap: str) -> tuple[int, dict[tuple[str, str], dict]]:
    done = subprocess.run(
        [sys.executable, "-m", "refinery.cli", "drift", "--json", "--bootstrap", bootstrap],
        capture_output=True,
        text=True,
        timeout=300,
    )
    rows = [orjson.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, {(row["tier"], row["schema"]): row for row in rows}


def test_drift_report_flags_only_the_shifted_part(tmp_path) -> None:
    broker = EmbeddedBroker(tmp_path).start()
    try:
        settings = Settings(bootstrap_servers=broker.bootstrap)
        asyncio.run(create_topics(settings))
        steady = steady_part()
        start_ms = int(time.time() * 1000) - 3_600_000
        asyncio.run(publish(settings, steady, start_ms))
        code, quiet = drift_cli(broker.bootstrap)
        assert code == 0 and quiet and not any(row["over_threshold"] for row in quiet.values()), quiet

        shift_ms = start_ms + len(steady) * 1000
        asyncio.run(publish(settings, shifted_part(), shift_ms))
        code, loud = drift_cli(broker.bootstrap)
        over = {key for key, row in loud.items() if row["over_threshold"]}
        assert code == 1
        # the new family is compared with what medium normally produces: its outputs mean something else
        assert over == {("medium", "*"), ("medium", "invoice"), ("small", "*"), ("small", "weather")}, loud
        assert all(loud[key]["over_since_ms"] >= shift_ms for key in over)
        assert loud[("medium", "invoice")]["new"] and not loud[("medium", "weather")]["over_threshold"]
        moved = {m["component"] for m in loud[("medium", "*")]["moved"]}
        assert {"schemas", "embedding"} <= moved  # the encoder sees that the outputs mean something else
        assert "effort" in {m["component"] for m in loud[("small", "*")]["moved"]}
    finally:
        broker.kill()
