"""Every branch of the critic's handler, in memory (validators only: no context, so no grounding model)."""

from schemas import Draft, GenerationRequest, Ledger, LedgerEntry, encode
from services.critic.app import create_app
from tests.conftest import make_request
from tests.memory_broker import SETTINGS, WATCHED, running

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer", "maximum": 5}}, "required": ["n"]}


def draft(output, round_: int = 0, budget: int = 500) -> bytes:
    request = GenerationRequest.model_validate(make_request(schema=SCHEMA, budget={"max_tokens": budget}))
    ledger = Ledger().add(LedgerEntry(stage="generator", model="stub", input_tokens=40, output_tokens=4))
    return encode(Draft(request=request, tier="small", ledger=ledger, received_at_ms=1, round=round_, output=output))


async def test_a_passing_draft_is_accepted_with_the_check_on_its_ledger() -> None:
    async with running(create_app(SETTINGS, grounding=None)) as (broker, outbox):
        await broker.publish(draft({"n": 3}), SETTINGS.topic_drafts)
    result = outbox.only(SETTINGS.topic_results)
    assert result["status"] == "accepted" and result["output"] == {"n": 3}
    assert [e["stage"] for e in result["ledger"]["entries"]] == ["generator", "critic"]
    assert not outbox[SETTINGS.topic_revise]


async def test_a_failing_draft_goes_to_the_refiner_with_its_verdicts() -> None:
    async with running(create_app(SETTINGS, grounding=None)) as (broker, outbox):
        await broker.publish(draft({"n": 9}), SETTINGS.topic_drafts)
    critique = outbox.only(SETTINGS.topic_revise)
    assert [(v["pointer"], v["code"]) for v in critique["verdicts"]] == [("/n", "maximum")]
    assert not outbox[SETTINGS.topic_results]


async def test_a_draft_still_failing_at_the_round_cap_is_escalated_a_tier_up() -> None:
    medium = SETTINGS.generate_topic("medium")
    async with running(create_app(SETTINGS, grounding=None), (*WATCHED, medium)) as (broker, outbox):
        await broker.publish(draft({"n": 9}, round_=SETTINGS.max_rounds), SETTINGS.topic_drafts)
    escalated = outbox.only(medium)
    assert escalated["tier"] == "medium" and escalated["escalations"] == 1
    assert [e["stage"] for e in escalated["ledger"]["entries"]] == ["generator", "critic"]
    assert not outbox[SETTINGS.topic_results]


async def test_without_escalation_a_draft_failing_at_the_round_cap_is_rejected() -> None:
    settings = SETTINGS.model_copy(update={"escalation": False})
    async with running(create_app(settings, grounding=None)) as (broker, outbox):
        await broker.publish(draft({"n": 9}, round_=SETTINGS.max_rounds), SETTINGS.topic_drafts)
    result = outbox.only(SETTINGS.topic_results)
    assert result["status"] == "rejected" and result["verdicts"][0]["pointer"] == "/n"


async def test_a_budget_too_small_for_another_round_ends_as_budget_exhausted() -> None:
    async with running(create_app(SETTINGS, grounding=None)) as (broker, outbox):
        await broker.publish(draft({"n": 9}, budget=50), SETTINGS.topic_drafts)
    result = outbox.only(SETTINGS.topic_results)
    assert result["status"] == "budget_exhausted" and result["verdicts"][-1]["kind"] == "budget"


async def test_a_redelivered_draft_is_checked_once() -> None:
    async with running(create_app(SETTINGS, grounding=None)) as (broker, outbox):
        await broker.publish(draft({"n": 3}), SETTINGS.topic_drafts)
        await broker.publish(draft({"n": 3}), SETTINGS.topic_drafts)
    assert len(outbox[SETTINGS.topic_results]) == 1


async def test_bad_json_is_an_error_record() -> None:
    async with running(create_app(SETTINGS, grounding=None)) as (broker, outbox):
        await broker.publish(b'{"request": 1}', SETTINGS.topic_drafts)
    assert "undecodable Draft" in outbox.only(SETTINGS.topic_errors)["reason"]
    assert not outbox[SETTINGS.topic_results]


async def test_a_draft_that_killed_the_critic_three_times_is_dead_lettered_unchecked(tmp_path) -> None:
    log = tmp_path / "critic.log"
    log.write_text("B refinery.drafts:0:0\n" * SETTINGS.max_crashes)  # three starts, never an end: crashes
    settings = SETTINGS.model_copy(update={"delivery_log": log})
    async with running(create_app(settings, grounding=None), (*WATCHED, SETTINGS.topic_dlq)) as (broker, outbox):
        await broker.publish(draft({"n": 3}), SETTINGS.topic_drafts)
    result = outbox.only(SETTINGS.topic_results)
    assert result["status"] == "error" and "killed the worker 3 times" in result["error"]
    assert len(outbox[SETTINGS.topic_dlq]) == 1 and "critic" not in [e["stage"] for e in result["ledger"]["entries"]]
