"""The second opinion: a fairly sure draft drafted again with the schema reordered, accepted only if both
drafts agree (kinds of large-tier drafts seen on BFCL, rewritten)."""

from schemas import Confidence, Draft, GenerationRequest, Ledger, LedgerEntry, ResultStatus, SecondOpinion
from services.critic.decide import Escalation, redrafted
from services.critic.review import review
from services.critic.second_opinion import SecondOpinionPolicy, said_by
from services.documents.reordered import reordered_prompt, reordered_schema
from services.generator.drafting import drafted_calls, drafting_schema, first_draft
from services.inference.tiers import load_tiers
from services.pipeline import Pipeline
from services.settings import Settings
from tests.conftest import make_request
from tests.stub_engine import StubEngine, stub_pool

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city", "days"],
}
PROMPT = "Plan a trip: 3 days in Lisbon. Give the city and the number of days."
POLICY = SecondOpinionPolicy({"large": -0.1})
LADDER = Escalation(("small", "medium", "large"))
TIERS = load_tiers(Settings().tiers_file)


def draft(least: float = -0.3, tier: str = "large", budget: int = 2000, **request) -> Draft:
    asked = GenerationRequest.model_validate(
        make_request(prompt=PROMPT, schema=SCHEMA, budget={"max_tokens": budget}, **request)
    )
    ledger = Ledger().add(LedgerEntry(stage="generator", model=tier, input_tokens=100, output_tokens=8))
    return Draft(
        request=asked,
        tier=tier,
        ledger=ledger,
        received_at_ms=1,
        output={"city": "Lisbon", "days": 3},
        confidence=Confidence(min_logprob=least, mean_logprob=least / 2, choices=4),
    )


def test_the_rewrite_reverses_properties_branches_and_menu_lines_and_keeps_everything_else() -> None:
    menu = {"anyOf": [{"properties": {"a": {}}}, {"properties": {"b": {}, "c": {"description": "x"}}}]}
    assert reordered_schema(menu) == {
        "anyOf": [{"properties": {"c": {"description": "x"}, "b": {}}}, {"properties": {"a": {}}}]
    }
    assert list(reordered_schema(SCHEMA)["properties"]) == ["days", "city"]
    assert reordered_schema({"oneOf": [{"type": "integer"}, {"type": "string"}]}) == {
        "oneOf": [{"type": "string"}, {"type": "integer"}]
    }
    assert reordered_schema({"prefixItems": [{"type": "integer"}, {"type": "string"}]})["prefixItems"][0] == {
        "type": "integer"
    }
    prompt = "Book it\nFunctions:\n- book: Books.\n- find: Finds.\nThanks"
    assert reordered_prompt(prompt) == "Book it\nFunctions:\n- find: Finds.\n- book: Books.\nThanks"


def test_only_a_fairly_sure_draft_about_to_be_accepted_gets_one() -> None:
    assert POLICY.wants(draft(-0.3)) and not POLICY.wants(draft(-0.05))  # sure enough
    assert not POLICY.wants(draft(-0.3, tier="medium"))  # a tier that does not ask
    assert not POLICY.wants(draft(-0.3, context="Lisbon, 3 days."))  # grounding judges those
    candidate = SecondOpinion(output={"city": "Lisbon", "days": 3})
    assert not POLICY.wants(draft(-0.3).model_copy(update={"second_opinion_of": candidate}))  # never twice


def test_the_second_draft_is_asked_on_the_same_tier_under_the_reordered_schema() -> None:
    checked = review(draft(-0.3), None, 2, escalation=LADDER, second_opinion=POLICY)
    again = checked.decision.escalate
    assert again is not None and again.tier == "large" and again.escalations == 0
    assert again.second_opinion_of.output == {"city": "Lisbon", "days": 3}
    assert list(drafting_schema(again)["properties"]) == ["days", "city"]
    sure = review(draft(-0.05), None, 2, escalation=LADDER, second_opinion=POLICY).decision.result
    assert sure.status == ResultStatus.accepted


def test_a_budget_that_cannot_pay_for_it_ends_unverified_with_the_draft_kept() -> None:
    def run(budget: int, logprob: float):
        request = make_request(prompt=PROMPT, schema=SCHEMA, tier="large", budget={"max_tokens": budget})
        engine = StubEngine('{"city": "Lisbon", "days": 3}', logprobs=(logprob,))
        return Pipeline(stub_pool(engine), second_opinion=POLICY).run(GenerationRequest.model_validate(request))

    first = run(2000, -0.3).result.ledger.entries[0]
    tight = first.input_tokens + first.output_tokens + 10  # the first draft fits, a second cannot
    result = run(tight, -0.3).result
    assert result.status == ResultStatus.budget_exhausted and result.output == {"city": "Lisbon", "days": 3}
    [note] = result.verdicts
    assert note.severity == "error" and note.kind == "budget"
    assert note.message.startswith("unverified: no second opinion")
    assert [e.stage for e in result.ledger.entries] == ["generator", "critic"] and result.ledger.tokens <= tight
    sure = run(tight, -0.05).result
    assert sure.status == ResultStatus.accepted and sure.verdicts == []


def second(output: dict, tier: str = "large") -> Draft:
    first = draft(-0.3, tier=tier)
    candidate = SecondOpinion(output=first.output, rounds=0, confidence=first.confidence)
    ledger = first.ledger.add(LedgerEntry(stage="generator", model=tier, input_tokens=100, output_tokens=8))
    return first.model_copy(update={"output": output, "ledger": ledger, "second_opinion_of": candidate})


def test_agreement_accepts_the_candidate_with_both_drafts_on_the_ledger() -> None:
    checked = review(second({"days": 3, "city": "Lisbon"}), None, 2, escalation=LADDER, second_opinion=POLICY)
    result = checked.decision.result
    assert result.status == ResultStatus.accepted and result.output == {"city": "Lisbon", "days": 3}
    assert result.confidence.min_logprob == -0.3
    assert [e.stage for e in result.ledger.entries] == ["generator", "generator", "critic"]
    assert result.ledger.entries[-1].model == "validators+second-opinion"


def test_disagreement_is_a_semantic_doubt_rejected_at_the_top_and_escalated_below_it() -> None:
    top = review(second({"city": "Lisbon", "days": 4}), None, 2, escalation=LADDER).decision.result
    assert top.status == ResultStatus.rejected and top.output == {"city": "Lisbon", "days": 3}
    [verdict] = top.verdicts
    assert (verdict.kind, verdict.code) == ("semantic", "disagreed") and "'days': 4" in verdict.message
    below = review(second({"city": "Porto", "days": 3}, tier="medium"), None, 2, escalation=LADDER).decision
    assert below.escalate is not None and below.escalate.tier == "large" and below.escalate.second_opinion_of is None


def test_in_process_a_model_swayed_by_the_order_is_not_accepted() -> None:
    def by_order(messages, schema):  # answers whichever property the schema lists first
        first = next(iter(schema["properties"]))
        return '{"city": "Lisbon", "days": 3}' if first == "city" else '{"city": "Lisbon", "days": 5}'

    swayed = StubEngine(by_order, logprobs=(-0.3,))
    request = GenerationRequest.model_validate(make_request(prompt=PROMPT, schema=SCHEMA, tier="large"))
    run = Pipeline(stub_pool(swayed), second_opinion=POLICY).run(request)
    assert run.result.status == ResultStatus.rejected and run.result.verdicts[-1].code == "disagreed"
    assert len(swayed.calls) == 2
    steady = StubEngine('{"city": "Lisbon", "days": 3}', logprobs=(-0.3,))
    assert Pipeline(stub_pool(steady), second_opinion=POLICY).run(request).result.status == ResultStatus.accepted
    assert len(steady.calls) == 2


def test_a_second_draft_the_budget_cannot_cover_keeps_its_candidate_unverified() -> None:
    first = draft(-0.3, budget=120)
    candidate = SecondOpinion(output=first.output, rounds=1, confidence=first.confidence)
    message = redrafted(first, "large", "second opinion", second_opinion_of=candidate)
    result = first_draft(message, StubEngine('{"city": "Lisbon", "days": 3}'), TIERS["large"])
    assert result.status == ResultStatus.budget_exhausted and result.output == {"city": "Lisbon", "days": 3}
    assert result.rounds == 1 and result.confidence.min_logprob == -0.3
    assert result.verdicts[0].message.startswith("unverified: no second opinion")


def test_the_ledger_says_a_draft_was_a_second_opinion_over_one_call() -> None:
    first = draft(-0.3)
    candidate = SecondOpinion(output=first.output, confidence=first.confidence)
    message = redrafted(first, "large", "second opinion", second_opinion_of=candidate)
    again = first_draft(message, StubEngine('{"days": 3, "city": "Lisbon"}'), TIERS["large"])
    assert again.ledger.entries[-1].note == "second opinion"


def test_a_menu_call_is_asked_again_over_that_call_alone() -> None:
    book = {"type": "object", "properties": {"city": {"type": "string"}, "nights": {"type": "integer"}}}
    find = {"type": "object", "properties": {"city": {"type": "string"}}}
    menu = {
        "anyOf": [
            {"type": "object", "properties": {"book": book}, "required": ["book"], "additionalProperties": False},
            {"type": "object", "properties": {"find": find}, "required": ["find"], "additionalProperties": False},
        ]
    }
    drafted = draft(-0.3).model_copy(
        update={
            "request": GenerationRequest.model_validate(make_request(prompt="Book Lisbon, 2 nights", schema=menu)),
            "output": {"book": {"city": "Lisbon", "nights": 2}},
        }
    )
    again = review(drafted, None, 2, escalation=LADDER, second_opinion=POLICY).decision.escalate
    assert again is not None and again.call == "book" and again.second_opinion_of is not None
    [branch] = drafting_schema(again, drafted_calls(again, None))["anyOf"]
    assert list(branch["properties"]["book"]["properties"]) == ["nights", "city"]


def test_a_second_draft_that_says_less_agrees_and_one_that_says_more_or_otherwise_does_not() -> None:
    call = {"find": {"city": "Pinole, CA", "is_unisex": True}}
    assert said_by(call, {"find": {"city": "Pinole, CA"}})  # an optional argument left out
    assert said_by(call, {"find": {"is_unisex": True, "city": "Pinole, CA"}})
    assert not said_by(call, {"find": {"city": "Pinole"}})  # another value
    assert not said_by({"find": {"city": "Pinole, CA"}}, call)  # an argument the candidate left out
    assert not said_by(call, {"book": {"city": "Pinole, CA"}})  # another call
    assert not said_by([1, 2], [1])
    short = review(second({"city": "Lisbon"}), None, 2, escalation=LADDER).decision.result
    assert short.status == ResultStatus.rejected  # a required property left out is no answer
