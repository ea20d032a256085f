"""The verifier (the drafting model's own confidence) and the cascade it drives: a doubted draft goes a
tier up, with every tier's tokens on one ledger and the budget still a ceiling."""

from schemas import Confidence, Draft, GenerationRequest, Ledger, LedgerEntry, ResultStatus
from services.critic.decide import Escalation, decide
from services.critic.review import review
from services.critic.verifier import ConfidenceVerifier
from services.pipeline import Pipeline
from tests.conftest import make_request
from tests.stub_engine import StubEngine, stub_pool

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
LADDER = Escalation(("small", "medium", "large"))
VERIFIER = ConfidenceVerifier({"small": -1.0, "medium": -1.0})


def draft(tier: str = "small", least: float = -2.5, round_: int = 0, budget: int = 2000, escalations: int = 0):
    request = GenerationRequest.model_validate(make_request(schema=SCHEMA, budget={"max_tokens": budget}))
    ledger = Ledger().add(LedgerEntry(stage="generator", model=tier, input_tokens=100, output_tokens=5))
    confidence = Confidence(min_logprob=least, mean_logprob=least / 2, choices=3)
    return Draft(
        request=request,
        tier=tier,
        ledger=ledger,
        received_at_ms=1,
        round=round_,
        output={"n": 1},
        confidence=confidence,
        escalations=escalations,
    )


def test_an_unsure_draft_is_a_semantic_verdict_and_a_sure_one_passes() -> None:
    [verdict] = VERIFIER.check(draft(least=-2.5))
    assert verdict.kind == "semantic" and verdict.pointer == "" and "-2.50 < -1.00" in verdict.message
    assert VERIFIER.check(draft(least=-0.2)) == []
    assert VERIFIER.check(draft(tier="large", least=-9)) == []  # a tier without a threshold is not judged
    assert VERIFIER.check(draft(least=-9, round_=1)) == []  # refinement patches are checked deterministically


def test_the_result_says_how_sure_the_producing_tier_was() -> None:
    sure = draft(tier="medium", least=-0.2)
    result = decide(sure, VERIFIER.check(sure), 2, LADDER).result
    assert result.status == ResultStatus.accepted and result.confidence == sure.confidence
    unsure = draft(tier="large", least=-2.5)
    rejected = decide(unsure, ConfidenceVerifier({"large": -1.0}).check(unsure), 2, LADDER).result
    assert rejected.status == ResultStatus.rejected and rejected.confidence.min_logprob == -2.5


def test_the_check_costs_no_tokens_and_says_so_on_the_ledger() -> None:
    checked = review(draft(least=-2.5), None, 2, VERIFIER, LADDER)
    entry = checked.draft.ledger.entries[-1]
    assert entry.stage == "critic" and entry.model == "validators+confidence" and entry.input_tokens == 0
    assert checked.decision.escalate is not None


def test_a_doubted_draft_is_escalated_one_tier_up_with_its_ledger() -> None:
    doubted = draft(least=-2.5)
    decision = decide(doubted, VERIFIER.check(doubted), 2, LADDER)
    assert decision.escalate.tier == "medium" and decision.escalate.escalations == 1
    assert decision.escalate.ledger == doubted.ledger and "escalated from small (semantic)" in (
        decision.escalate.classification.reason
    )


def test_at_the_top_or_past_the_cap_a_doubted_draft_is_rejected_not_accepted() -> None:
    top = draft(tier="large", least=-2.5)
    verdicts = ConfidenceVerifier({"large": -1.0}).check(top)
    assert decide(top, verdicts, 2, LADDER).result.status == ResultStatus.rejected
    capped = draft(least=-2.5, escalations=2)
    assert decide(capped, VERIFIER.check(capped), 2, LADDER).result.status == ResultStatus.rejected
    assert decide(draft(least=-2.5), VERIFIER.check(draft(least=-2.5)), 2, None).result.status == "rejected"


def test_an_escalation_the_budget_cannot_cover_ends_as_budget_exhausted() -> None:
    poor = draft(least=-2.5, budget=110)
    result = decide(poor, VERIFIER.check(poor), 2, LADDER).result
    assert result.status == ResultStatus.budget_exhausted and "escalating to medium" in result.verdicts[-1].message


def test_the_pipeline_climbs_until_a_tier_is_sure_and_charges_every_tier() -> None:
    engines = {
        "small": StubEngine('{"n": 1}', model_name="s", logprobs=(0.0, -3.0)),
        "medium": StubEngine('{"n": 2}', model_name="m", logprobs=(0.0, -2.0)),
        "large": StubEngine('{"n": 3}', model_name="l", logprobs=(0.0, -0.1)),
    }
    pipeline = Pipeline(stub_pool(engines), verifier=VERIFIER, escalation=LADDER)
    result = pipeline.run(GenerationRequest.model_validate(make_request(schema=SCHEMA))).result
    assert result.status == ResultStatus.accepted and result.output == {"n": 3}
    assert result.tier == "large" and result.escalations == 2
    generated = [e.model for e in result.ledger.entries if e.stage == "generator"]
    assert generated == ["s", "m", "l"] and result.ledger.tokens <= 500


def test_a_forced_tier_is_never_escalated() -> None:
    request = GenerationRequest.model_validate(make_request(schema=SCHEMA, tier="small"))
    forced = draft(least=-2.5).model_copy(update={"request": request})
    assert decide(forced, VERIFIER.check(forced), 2, LADDER).result.status == ResultStatus.rejected


def test_with_a_context_the_grounding_checks_judge_not_the_confidence() -> None:
    request = GenerationRequest.model_validate(make_request(schema=SCHEMA, context="The answer is n = 1."))
    grounded = draft(least=-5.0).model_copy(update={"request": request})
    assert VERIFIER.check(grounded) == [] and not VERIFIER.judges(grounded)


def test_creative_requests_are_not_judged_and_adapter_requests_stay_on_their_tier() -> None:
    unsure = draft(least=-2.5)
    creative = unsure.model_copy(update={"request": unsure.request.model_copy(update={"creative": True})})
    assert VERIFIER.check(creative) == []  # many answers are right: doubt among them is no sign of a wrong one
    voiced = unsure.model_copy(update={"request": unsure.request.model_copy(update={"adapter": "voice"})})
    assert LADDER.next_tier(voiced) is None and LADDER.next_tier(unsure) == "medium"
