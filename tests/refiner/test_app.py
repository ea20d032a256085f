"""Every branch of the refiner's handler, in memory with a StubEngine."""

from schemas import Critique, GenerationRequest, Ledger, LedgerEntry, Verdict, encode
from services.refiner.app import create_app
from tests.conftest import make_request
from tests.memory_broker import SETTINGS, running
from tests.stub_engine import StubEngine, stub_pool

SCHEMA = {
    "type": "object",
    "properties": {"n": {"type": "integer", "maximum": 5}, "word": {"type": "string"}},
    "required": ["n", "word"],
}


def critique(round_: int = 0, budget: int = 2000) -> bytes:
    request = GenerationRequest.model_validate(make_request(schema=SCHEMA, budget={"max_tokens": budget}))
    ledger = Ledger().add(LedgerEntry(stage="generator", model="stub", input_tokens=40, output_tokens=8))
    verdict = Verdict(pointer="/n", kind="schema", code="maximum", message="9 is greater than the maximum of 5")
    message = Critique(
        request=request,
        tier="small",
        ledger=ledger,
        received_at_ms=1,
        round=round_,
        output={"n": 9, "word": "kept"},
        verdicts=[verdict],
    )
    return encode(message)


async def test_only_the_failing_segment_is_regenerated_and_patched_in() -> None:
    engine = StubEngine('{"n": 4}')
    async with running(create_app(SETTINGS, stub_pool(engine))) as (broker, outbox):
        await broker.publish(critique(), SETTINGS.topic_revise)
    draft = outbox.only(SETTINGS.topic_drafts)
    assert draft["output"] == {"n": 4, "word": "kept"} and draft["round"] == 1
    [(_, schema, _)] = engine.calls
    assert list(schema["properties"]) == ["n"]  # the call is constrained to the failing segment alone
    assert draft["ledger"]["entries"][-1]["stage"] == "refiner"


async def test_a_redelivered_critique_is_refined_once() -> None:
    engine = StubEngine('{"n": 4}')
    async with running(create_app(SETTINGS, stub_pool(engine))) as (broker, outbox):
        await broker.publish(critique(), SETTINGS.topic_revise)
        await broker.publish(critique(), SETTINGS.topic_revise)
    assert len(outbox[SETTINGS.topic_drafts]) == 1 and len(engine.calls) == 1


async def test_an_engine_failing_every_retry_answers_the_request_with_an_error() -> None:
    async with running(create_app(SETTINGS, stub_pool(StubEngine(OSError("model file gone"))))) as (broker, outbox):
        await broker.publish(critique(), SETTINGS.topic_revise)
    result = outbox.only(SETTINGS.topic_results)
    assert result["status"] == "error"
    assert result["error"] == "refiner: refiner failed: dead-lettered after 3 attempts: OSError: model file gone"


async def test_a_budget_that_cannot_cover_the_call_leaves_the_draft_as_it_was() -> None:
    engine = StubEngine('{"n": 4}')
    async with running(create_app(SETTINGS, stub_pool(engine))) as (broker, outbox):
        await broker.publish(critique(budget=50), SETTINGS.topic_revise)
    draft = outbox.only(SETTINGS.topic_drafts)  # back to the critic, which ends it as budget_exhausted
    assert draft["output"] == {"n": 9, "word": "kept"} and not engine.calls


async def test_bad_json_is_an_error_record() -> None:
    async with running(create_app(SETTINGS, stub_pool(StubEngine()))) as (broker, outbox):
        await broker.publish(b"\xff\xfe", SETTINGS.topic_revise)
    assert "undecodable Critique" in outbox.only(SETTINGS.topic_errors)["reason"]
