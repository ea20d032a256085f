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


def what_the_services_said(stack: Stack, ids: list[str]) -> list[str]:
    """The services' own log lines (not aiokafka's reconnect noise) and any naming a lost id: the failure's
    story, when it happens on a CI machine whose stack directory is gone afterwards."""
    said = []
    for log in sorted((stack.workdir / "logs").glob("*-*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if any(i in line for i in ids) or ("refinery" in line and "aiokafka" not in line):
                said.append(f"{log.stem}: {line[:300]}")
    return said[-200:]


def test_a_batch_survives_a_broker_kill_on_s3_storage(tmp_path) -> None:
    with Stack(tmp_path, storage="s3") as stack:
        stack.start()
        settings = Settings(bootstrap_servers=stack.bootstrap)
        lines = [
            orjson.dumps(make_request(id=f"restart-{i}", tier="small", budget={"max_tokens": 600})) for i in range(6)
        ]

        async def scenario():
            first_answer = asyncio.Event()  # the services have joined and the rest of the batch is in flight
            task = asyncio.create_task(run_batch(lines, settings, 420, on_result=lambda _: first_answer.set()))
            await asyncio.wait_for(first_answer.wait(), 300)
            stack.broker.kill()
            await asyncio.sleep(3)
            stack.broker.start()  # same port, same data
            return await task

        started = time.monotonic()
        results = asyncio.run(scenario())
        unanswered = [r.id for r in results if r.status not in (ResultStatus.accepted, ResultStatus.rejected)]
        assert not unanswered, (results, what_the_services_said(stack, unanswered))
        assert time.monotonic() - started < 420
        written = Counter(orjson.loads(v)["id"] for v in asyncio.run(read_topic(settings, settings.topic_results)))
        assert all(written[f"restart-{i}"] == 1 for i in range(6)), written


def test_services_recover_by_themselves_from_a_broker_restarted_empty(tmp_path) -> None:
    """Memory storage: the restarted broker has no topics, groups or records. The services recreate the
    topics and new requests are answered (what was in flight is gone with the broker's memory)."""
    with Stack(tmp_path) as stack:
        stack.start()
        settings = Settings(bootstrap_servers=stack.bootstrap)
        line = orjson.dumps(make_request(id="before-1", tier="small", budget={"max_tokens": 600}))
        [before] = asyncio.run(run_batch([line], settings, 300))
        assert before.status in (ResultStatus.accepted, ResultStatus.rejected)
        stack.broker.restart()
        time.sleep(10)  # the services' topic keepers notice within 5 s
        lines = [
            orjson.dumps(make_request(id=f"after-{i}", tier="small", budget={"max_tokens": 600})) for i in range(3)
        ]
        results = asyncio.run(run_batch(lines, settings, 300))
        assert all(r.status in (ResultStatus.accepted, ResultStatus.rejected) for r in results), results
