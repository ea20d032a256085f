"""Faults over the real broker and models: hostile records, reused ids, retries into the dead-letter topic.

One stack: the small and large tiers served normally; the medium tier by a generator whose per-record
time limit no model call can meet, so every medium request fails, is retried, and is dead-lettered."""

import asyncio
import time

import orjson
import pytest
from confluent_kafka import Producer

from refinery.client import run_batch
from refinery.dead_letters import read_dead_letters, replay
from refinery.devstack.stack import Stack
from schemas import ErrorRecord, ResultStatus
from services.settings import Settings
from tests.conftest import make_request
from tests.refinery.test_e2e import read_topic

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


def nested(levels: int) -> bytes:
    return b'{"type": "object", "properties": {"a": ' * levels + b'{"type": "string"}' + b"}}" * levels


HOSTILE: list[tuple[str | None, bytes, list[tuple[str, bytes | None]]]] = [
    ("deep-1", small("deep-1", schema={"$defs": {"d": "HERE"}}).replace(b'"HERE"', nested(150)), []),
    ("redos-1", small("redos-1", schema={"type": "string", "pattern": "^(\\w+\\s?)*ZZ$"}, context="word " * 2000), []),
    ("repeat-1", small("repeat-1", schema={"type": "string", "pattern": "^x{100000}$"}), []),
    ("round-1", small("round-1", rules=["round(n, -99999999) == 0"]), []),
    ("typed-1", small("typed-1").replace(b'"max_tokens":600', b'"max_tokens":"600"'), []),
    ("blank-1", small("blank-1", prompt="\u200b"), []),
    ("header-1", small("header-1"), [("traceparent", b"\xff\xfe"), ("empty", None)]),
    (None, b"", []),  # a tombstone-like empty record
]


def test_every_hostile_record_is_answered_and_valid_neighbours_succeed(settings: Settings) -> None:
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
    valid = [small(f"valid-{i}") for i in range(3)]
    for index, (request_id, payload, headers) in enumerate(HOSTILE):
        producer.produce(
            settings.topic_requests, payload, key=(request_id or f"anon-{index}").encode(), headers=headers
        )
    producer.produce(settings.topic_requests, None, key=b"tombstone-1")
    producer.flush(10)
    started = time.monotonic()
    results = asyncio.run(run_batch(valid, settings, 300))
    assert all(r.status in (ResultStatus.accepted, ResultStatus.rejected) for r in results), results
    assert time.monotonic() - started < 240  # nothing hostile held the valid requests up for minutes
    errors = [
        ErrorRecord.model_validate(orjson.loads(v)) for v in asyncio.run(read_topic(settings, settings.topic_errors))
    ]
    reasons = {e.request_id: e.reason for e in errors}
    assert "nested deeper than 48 levels" in reasons["deep-1"]
    assert "invalid repetition size" in reasons["repeat-1"]
    assert "round() to -99999999 digits" in reasons["round-1"]
    assert "Input should be a valid integer" in reasons["typed-1"]
    assert "no visible character" in reasons["blank-1"]
    assert sum(e.request_id is None for e in errors) >= 2  # the empty record and the tombstone
    assert all(e.payload == "" for e in errors)  # redacted by default
    answered = {orjson.loads(v)["id"] for v in asyncio.run(read_topic(settings, settings.topic_results))}
    assert {"deep-1", "repeat-1", "round-1", "typed-1", "blank-1", "redos-1", "header-1"} <= answered


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
