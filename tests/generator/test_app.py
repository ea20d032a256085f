"""Every branch of the generator's handler, in memory with a StubEngine (seconds, no model)."""

import orjson

from schemas import ClassifiedRequest, GenerationRequest, encode
from services.generator.app import create_app
from services.inference.engines.base import SchemaCompileError
from tests.conftest import make_request
from tests.memory_broker import SETTINGS, WATCHED, running
from tests.stub_engine import StubEngine, stub_pool

TOPIC = SETTINGS.generate_topic("small")


def classified(**overrides) -> bytes:
    request = GenerationRequest.model_validate(make_request(**overrides))
    classification = {"complexity": 0, "reason": "test"}
    message = {"request": request, "tier": "small", "received_at_ms": 1, "classification": classification}
    return encode(ClassifiedRequest.model_validate(message))


async def test_a_draft_goes_to_the_critic_with_the_call_on_its_ledger() -> None:
    engine = StubEngine('{"greeting": "hello"}')
    async with running(create_app(SETTINGS, stub_pool(engine))) as (broker, outbox):
        await broker.publish(classified(), TOPIC)
    draft = outbox.only(SETTINGS.topic_drafts)
    assert draft["output"] == {"greeting": "hello"} and draft["round"] == 0
    [entry] = draft["ledger"]["entries"]
    assert entry["stage"] == "generator" and entry["model"] == "stub" and entry["output_tokens"] == 2
    assert engine.calls[0][1] == make_request()["schema"]  # constrained to the request's schema


async def test_a_redelivered_request_is_drafted_once() -> None:
    engine = StubEngine('{"greeting": "hello"}')
    async with running(create_app(SETTINGS, stub_pool(engine))) as (broker, outbox):
        await broker.publish(classified(), TOPIC)
        await broker.publish(classified(), TOPIC)
    assert len(outbox[SETTINGS.topic_drafts]) == 1 and len(engine.calls) == 1


async def test_bad_json_is_an_error_record_without_a_result() -> None:
    async with running(create_app(SETTINGS, stub_pool(StubEngine()))) as (broker, outbox):
        await broker.publish(b"{not json", TOPIC)
    record = outbox.only(SETTINGS.topic_errors)
    assert record["request_id"] is None and "undecodable ClassifiedRequest" in record["reason"]
    assert not outbox[SETTINGS.topic_results]


async def test_an_engine_failing_every_retry_is_dead_lettered_and_answered_with_an_error() -> None:
    engine = StubEngine(RuntimeError("CUDA out of memory"))
    async with running(create_app(SETTINGS, stub_pool(engine)), (*WATCHED, SETTINGS.topic_dlq)) as (broker, outbox):
        await broker.publish(classified(), TOPIC, key=b"r-1")
    assert len(engine.calls) == 3  # the first try and one retry after each of the two delays
    result = outbox.only(SETTINGS.topic_results)
    assert result["status"] == "error" and result["id"] == "r-1"
    assert result["error"] == (
        "generator: generator failed: dead-lettered after 3 attempts: RuntimeError: CUDA out of memory"
    )
    record = outbox.only(SETTINGS.topic_errors)
    assert record["request_id"] == "r-1" and record["attempts"] == 3 and record["payload"] == ""
    [letter_headers] = outbox.headers[SETTINGS.topic_dlq]
    history = orjson.loads(letter_headers["refinery-history"])
    assert [h["attempt"] for h in history] == [1, 2, 3] and letter_headers["refinery-origin"] == TOPIC


async def test_a_failure_that_passes_is_retried_to_a_draft() -> None:
    engine = StubEngine(TimeoutError(), '{"greeting": "hello"}')
    async with running(create_app(SETTINGS, stub_pool(engine))) as (broker, outbox):
        await broker.publish(classified(), TOPIC, key=b"r-1")
    assert outbox.only(SETTINGS.topic_drafts)["output"] == {"greeting": "hello"}
    assert not outbox[SETTINGS.topic_results] and not outbox[SETTINGS.topic_errors]


async def test_a_request_past_its_deadline_ends_without_a_model_call() -> None:
    engine = StubEngine('{"greeting": "hello"}')
    async with running(create_app(SETTINGS, stub_pool(engine))) as (broker, outbox):
        await broker.publish(classified(deadline_ms=1000), TOPIC)  # received at 1 ms after the epoch
    result = outbox.only(SETTINGS.topic_results)
    assert result["status"] == "error" and "deadline" in result["error"] and not engine.calls


async def test_a_schema_the_decoder_refuses_is_an_error_naming_it() -> None:
    engine = StubEngine(SchemaCompileError("oneOf is not supported"))
    async with running(create_app(SETTINGS, stub_pool(engine))) as (broker, outbox):
        await broker.publish(classified(), TOPIC)
    result = outbox.only(SETTINGS.topic_results)
    assert result["error"] == "generator: schema not supported by the constrained decoder: oneOf is not supported"


async def test_a_budget_that_cannot_cover_the_call_ends_the_request_before_it() -> None:
    engine = StubEngine('{"greeting": "hello"}')
    async with running(create_app(SETTINGS, stub_pool(engine))) as (broker, outbox):
        await broker.publish(classified(budget={"max_tokens": 10}), TOPIC)
    result = outbox.only(SETTINGS.topic_results)
    assert result["status"] == "budget_exhausted" and result["verdicts"][0]["kind"] == "budget"
    assert not engine.calls and not outbox[SETTINGS.topic_drafts]


async def test_the_draft_is_what_the_engine_wrote_even_unparsed() -> None:
    async with running(create_app(SETTINGS, stub_pool(StubEngine('{"greeting": ')))) as (broker, outbox):
        await broker.publish(classified(), TOPIC)
    draft = outbox.only(SETTINGS.topic_drafts)
    assert draft["parsed"] is False and draft["text"] == '{"greeting": ' and orjson.dumps(draft["output"]) == b"null"


async def test_an_escalated_request_is_new_work_for_its_new_tier() -> None:
    engine = StubEngine('{"greeting": "hello"}')
    escalated = ClassifiedRequest.model_validate_json(classified()).model_copy(
        update={"tier": "medium", "escalations": 1}
    )
    async with running(create_app(SETTINGS, stub_pool(engine))) as (broker, outbox):
        await broker.publish(classified(), TOPIC)
        await broker.publish(encode(escalated), SETTINGS.generate_topic("medium"))
    drafts = outbox[SETTINGS.topic_drafts]
    assert [(d["tier"], d["escalations"]) for d in drafts] == [("small", 0), ("medium", 1)]


def test_a_records_adapter_is_read_ahead_so_each_batcher_expects_only_its_own_calls() -> None:
    from services.generator.app import _named_adapter
    from services.runtime.inbound import Inbound

    def record(body: bytes) -> Inbound:
        return Inbound(topic=TOPIC, body=body, headers={}, key=None)

    assert _named_adapter(record(classified(adapter="harbour-pine"))) == "harbour-pine"
    assert _named_adapter(record(classified())) is None
    for unreadable in (b"{not json", b"[]", b'{"request": 3}', b'{"request": {"adapter": 7}}'):
        assert _named_adapter(record(unreadable)) is None
