"""A broker killed with SIGKILL mid-batch and restarted on durable (S3) storage: nothing lost, nothing twice."""

import asyncio
import time
from collections import Counter

import orjson
import pytest

from refinery.client import run_batch
from refinery.devstack.stack import Stack
from schemas import ResultStatus
from services.settings import Settings
from tests.conftest import make_request
from tests.refinery.test_e2e import read_topic

pytestmark = pytest.mark.broker


def test_a_batch_survives_a_broker_kill_on_s3_storage(tmp_path) -> None:
    with Stack(tmp_path, storage="s3") as stack:
        stack.start()
        settings = Settings(bootstrap_servers=stack.bootstrap)
        lines = [
            orjson.dumps(make_request(id=f"restart-{i}", tier="small", budget={"max_tokens": 600})) for i in range(6)
        ]

        async def scenario():
            task = asyncio.create_task(run_batch(lines, settings, 420))
            await asyncio.sleep(20)  # the services have joined and the batch is in flight
            stack.broker.kill()
            await asyncio.sleep(3)
            stack.broker.start()  # same port, same data
            return await task

        started = time.monotonic()
        results = asyncio.run(scenario())
        assert all(r.status in (ResultStatus.accepted, ResultStatus.rejected) for r in results), results
        assert time.monotonic() - started < 420
        written = Counter(orjson.loads(v)["id"] for v in asyncio.run(read_topic(settings, settings.topic_results)))
        assert all(written[f"restart-{i}"] == 1 for i in range(6)), written
