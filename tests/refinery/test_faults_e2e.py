"""Faults over the real broker and models: hostile records, reused ids, retries into the dead-letter topic.

One stack: the small and large tiers served normally; the medium tier by a generator whose per-record
time limit no model call can meet, so every medium request fails, is retried, and is dead-lettered."""

import asyncio
import time

import orjson
import pytest
from confluent_kafka import Producer

from bench.faults.experiments import wait_for
from bench.faults.hostile import hostile_cases
from bench.faults.observe import ConnectionWatch, dead_services
from refinery.client import run_batch
from refinery.dead_letters import read_dead_letters, replay
from refinery.devstack.stack import Stack
from schemas import ResultStatus
from services.settings import Settings
from tests.conftest import make_request
from tests.refinery.stack_helpers import read_topic

pytestmark = pytest.mark.broker
FAST_RETRIES = {"REFINERY_RETRY_DELAYS_MS": "[300, 600]"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    service_env = {
        "generator": {"REFINERY_GENERATOR_TIERS": "small,large"},
        "generator-medium": {"REFINERY_GENERATOR_TIERS": "medium", "REFINERY_MESSAGE_TIMEOUT_S": "0.01"},
    }
    with Stack(tmp_path_factory.mktemp("faults"), env=FAST_RETRIES, service_env=service_env) as running:
        running.start()
        running.start_service("generator", variant="generator-medium")
        yield running


@pytest.fixture(scope="module")
def settings(stack: Stack) -> Settings:
    return Settings(bootstrap_servers=stack.bootstrap)


def small(request_id: str, **overrides) -> bytes:
    return orjson.dumps(make_request(id=request_id, tier="small", budget={"max_tokens": 600}, **overrides))


def test_every_hostile_kind_is_answered_and_valid_neighbours_succeed(stack: Stack, settings: Settings) -> None:
    """One case of every kind the fault campaign fuzzes (bench/faults: 10 000 of them), valid requests
    between them: each hostile record gets an error record (and an `error` Result when it has an id), each
    valid one its Result, no remote `$ref` is fetched, and no service dies."""
    watch = ConnectionWatch()
    cases = list(hostile_cases(24, seed=3, ref_url=watch.url, run="e2e"))
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
    for case in cases:
        producer.produce(settings.topic_requests, case.payload, key=case.key.encode(), headers=case.headers)
    producer.flush(30)
    results = asyncio.run(run_batch([small(f"valid-{i}") for i in range(3)], settings, 300))
    assert all(r.status in (ResultStatus.accepted, ResultStatus.rejected) for r in results), results
    answers = wait_for(settings, lambda a: {c.key for c in cases if c.wants_result} <= a.results.keys(), 120)
    watch.close()
    reasons = {e.request_id: e.reason for e in answers.errors}
    for case in cases:
        if case.request_id is not None:
            assert case.request_id in reasons, case.kind
        if case.wants_result:
            assert [r.status for r in answers.results[case.key]] == [ResultStatus.error], case.kind
    assert sum(e.request_id is None for e in answers.errors) >= sum(c.request_id is None for c in cases)
    assert all(e.payload == "" for e in answers.errors)  # redacted by default
    assert "nested deeper than 48 levels" in reasons["e2e-h10"] and "never fetched" in reasons["e2e-h15"]
    assert watch.connections == 0 and not dead_services(stack)


def test_a_reused_id_gets_no_second_result_and_a_rerun_is_told_so(settings: Settings) -> None:
    [first] = asyncio.run(
        run_batch([small("reuse-1", schema={"type": "string", "minLength": 9, "maxLength": 1})], settings, 120)
    )
    assert first.status is ResultStatus.error and "unsatisfiable" in first.error
    time.sleep(0.5)
    [again] = asyncio.run(run_batch([small("reuse-1")], settings, 120))  # a valid payload under the same id
    assert again.status is ResultStatus.error and again.error.startswith("classifier: duplicate request id")
    results = [orjson.loads(v) for v in asyncio.run(read_topic(settings, settings.topic_results))]
    assert sum(r["id"] == "reuse-1" for r in results) == 1


def test_a_failure_that_persists_is_retried_then_dead_lettered_and_replayable(settings: Settings) -> None:
    request = orjson.dumps(make_request(id="doomed-1", tier="medium", budget={"max_tokens": 600}))
    [result] = asyncio.run(run_batch([request], settings, 240))
    assert result.status is ResultStatus.error
    assert result.error == "generator: generator failed: dead-lettered after 3 attempts: timed out"
    [letter] = [d for d in asyncio.run(read_dead_letters(settings)) if d.key == "doomed-1"]
    assert letter.stage == "generator" and letter.origin == settings.generate_topic("medium")
    assert [h["attempt"] for h in letter.history] == [1, 2, 3] and letter.attempts == 3
    [(old, new)] = asyncio.run(replay(settings, [letter], {"doomed-1"}))
    assert (old, new) == ("doomed-1", "doomed-1~replay1")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the replay fails the same way, under its own id
        if any(d.key == new for d in asyncio.run(read_dead_letters(settings))):
            break
        time.sleep(2)
    else:
        pytest.fail("the replayed letter never came back to the dead-letter topic")


def test_a_critic_killed_mid_batch_leaves_exactly_one_result_per_request(stack: Stack, settings: Settings) -> None:
    spare = stack.start_service("critic")
    time.sleep(12)  # the spare joins the group (Tansu: ~5 s a join)
    ids = [f"critic-kill-{i}" for i in range(6)]

    async def scenario():
        task = asyncio.create_task(run_batch([small(i) for i in ids], settings, 400))
        await asyncio.sleep(5)
        stack.services["critic"][0].kill()  # SIGKILL: published Results may be uncommitted
        return await task

    results = asyncio.run(scenario())
    assert spare.poll() is None
    assert all(r.status in (ResultStatus.accepted, ResultStatus.rejected) for r in results), results
    time.sleep(3)  # a second Result, if any, would be on the topic by now
    answers = wait_for(settings, lambda a: set(ids) <= a.results.keys(), 60)
    assert all(len(answers.results[i]) == 1 for i in ids), {i: len(answers.results.get(i, [])) for i in ids}
