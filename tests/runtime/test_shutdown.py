"""SIGTERM drains: the in-flight message is finished, published and committed before the worker exits."""

import asyncio
import signal
import time

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from bench.faults.experiments import wait_for
from refinery.client import run_batch
from refinery.devstack.stack import Stack
from schemas import ResultStatus
from services.settings import Settings
from tests.conftest import make_request
from tests.refinery.stack_helpers import read_topic, received, wait_for_line

pytestmark = pytest.mark.broker

LONG = make_request(
    id="drain-1",
    prompt="Write a long, detailed story about a lighthouse keeper.",
    schema={"type": "object", "properties": {"story": {"type": "string", "maxLength": 1500}}, "required": ["story"]},
    budget={"max_tokens": 2000},
    tier="small",  # draining is the same on every tier; the smallest drains fastest
)


def test_sigterm_finishes_and_commits_the_in_flight_request(tmp_path) -> None:
    with Stack(tmp_path) as stack:
        stack.start()
        settings = Settings(bootstrap_servers=stack.bootstrap)
        warmup = make_request(id="drain-warmup", tier="small")
        [warm] = asyncio.run(run_batch([orjson.dumps(warmup)], settings, 300))
        assert warm.status is not ResultStatus.error, warm.error
        before = received(stack, "generator")

        async def publish() -> None:
            producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap)
            await producer.start()
            await producer.send_and_wait(settings.topic_requests, orjson.dumps(LONG), key=b"drain-1")
            await producer.stop()

        asyncio.run(publish())
        deadline = time.monotonic() + 60
        while received(stack, "generator") == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert received(stack, "generator") > before, "the generator never took the request"
        generator = stack.services["generator"][0]
        generator.send_signal(signal.SIGTERM)  # mid-generation
        assert generator.wait(120) == 0
        log = (stack.workdir / "logs" / "generator-0.log").read_text()
        assert log.rindex("- Processed") > log.rindex("shutting down"), "the in-flight message was not drained"

        # The draft was published before exit, so the request still completes.
        answers = wait_for(settings, lambda a: "drain-1" in a.results, 300)
        [result] = answers.results["drain-1"]
        assert result.status is not ResultStatus.error, result.error
        # ...and its offset was committed: a fresh generator does not generate it again.
        stack.start_service("generator")
        wait_for_line(stack.workdir / "logs" / "generator-1.log", "refinery.generate.small", "assigned to partitions")
        time.sleep(3)  # a fetch from the committed offset, had it not been committed, would land by now
        drafts = [orjson.loads(v) for v in asyncio.run(read_topic(settings, settings.topic_drafts))]
        assert sum(d["request"]["id"] == "drain-1" and d["round"] == 0 for d in drafts) == 1
        assert received(stack, "generator", 1) == 0


def test_probes_report_consumer_and_broker_state(tmp_path) -> None:
    """/readyz is 200 once the consumer runs, 503 within the ping timeout when the broker stops answering."""
    import urllib.error
    import urllib.request

    from refinery.devstack.broker import free_port

    port = free_port()
    env = {"REFINERY_HEALTH_PORT": str(port), "REFINERY_HEALTH_HOST": "127.0.0.1"}
    with Stack(tmp_path, service_env={"critic": env}) as stack:
        stack.start(("critic",))

        def status(path: str) -> int:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10).status
            except urllib.error.HTTPError as exc:
                return exc.code
            except urllib.error.URLError:
                return 0

        deadline = time.monotonic() + 60
        while status("/readyz") != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert status("/livez") == 200 and status("/readyz") == 200
        assert status("/nope") == 404
        stack.broker.process.send_signal(signal.SIGSTOP)
        try:
            assert status("/readyz") == 503
            assert status("/livez") == 200  # the process itself is fine: do not restart it
        finally:
            stack.broker.process.send_signal(signal.SIGCONT)
