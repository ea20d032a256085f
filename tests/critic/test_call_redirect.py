"""A draft that makes the wrong call of a menu, where a menu check knows the call the request asks for:
drafted again toward that call (a tier up, or at the top on the same tier), never past the escalation cap."""

from schemas import Draft, GenerationRequest, Ledger, LedgerEntry, ResultStatus, Verdict
from services.critic.decide import Escalation, decide
from services.documents.tool_calls import tool_call_schema
from services.generator.drafting import drafted_calls, drafting_schema
from services.pipeline import Pipeline
from tests.conftest import make_request
from tests.stub_engine import StubEngine, stub_pool


def branch(name: str) -> dict:
    arguments = {"type": "object", "properties": {"who": {"type": "string"}}, "required": ["who"]}
    return {"type": "object", "properties": {name: arguments}, "required": [name], "additionalProperties": False}


MENU = {"anyOf": [branch("list_people"), branch("send_message")]}
PROMPT = "Send Ada a message.\nCall the one function that does this. Functions:\n- list_people: Lists people."
LADDER = Escalation(("small", "medium", "large"))


def wrong_call(tier: str, escalations: int = 0, expected: str | None = "send_message") -> tuple[Draft, list[Verdict]]:
    request = GenerationRequest.model_validate(make_request(prompt=PROMPT, schema=MENU))
    ledger = Ledger().add(LedgerEntry(stage="generator", model=tier, input_tokens=100, output_tokens=5))
    draft = Draft(
        request=request,
        tier=tier,
        ledger=ledger,
        received_at_ms=1,
        output={"list_people": {"who": "Ada"}},
        escalations=escalations,
    )
    doubt = Verdict(pointer="/list_people", kind="semantic", code="contradicted", message="x", expected=expected)
    return draft, [doubt]


def test_below_the_top_the_next_tier_drafts_toward_the_expected_call() -> None:
    decision = decide(*wrong_call("medium"), 2, LADDER)
    assert decision.escalate.tier == "large" and decision.escalate.call == "send_message"
    assert "toward send_message" in decision.escalate.classification.reason


def test_at_the_top_the_same_tier_drafts_once_more_toward_it_within_the_cap() -> None:
    decision = decide(*wrong_call("large"), 2, LADDER)
    assert decision.escalate.tier == "large" and decision.escalate.call == "send_message"
    assert decision.escalate.escalations == 1
    assert decide(*wrong_call("large", escalations=2), 2, LADDER).result.status == ResultStatus.rejected
    assert decide(*wrong_call("large", expected=None), 2, LADDER).result.status == ResultStatus.rejected
    assert decide(*wrong_call("large", expected="delete_all"), 2, LADDER).result.status == ResultStatus.rejected
    assert decide(*wrong_call("large"), 2, None).result.status == ResultStatus.rejected  # escalation off


def test_the_generator_decodes_against_the_menu_narrowed_to_the_call() -> None:
    message = decide(*wrong_call("large"), 2, LADDER).escalate

    def drafted(message):
        return drafting_schema(message, drafted_calls(message, None))

    assert drafted(message) == {"anyOf": [branch("send_message")]}
    assert drafted(message.model_copy(update={"call": None})) == MENU
    assert drafted(message.model_copy(update={"call": "delete_all"})) == MENU


def test_the_pipeline_redrafts_the_wrong_call_on_the_top_tier_and_charges_both_drafts() -> None:
    calls = (
        '{"name": "list_people", "arguments": {"who": "Ada"}}',
        '{"name": "send_message", "arguments": {"who": "Ada"}}',
    )
    large = StubEngine(*calls, model_name="l")  # the large tier asks menus as tool calls
    request = GenerationRequest.model_validate(
        make_request(prompt=PROMPT + "\n- send_message: Sends a message.", schema=MENU, tier="large")
    )
    result = Pipeline(stub_pool({"large": large}), escalation=LADDER).run(request).result
    assert result.status == ResultStatus.accepted and result.output == {"send_message": {"who": "Ada"}}
    assert result.tier == "large" and result.escalations == 1
    assert [e.model for e in result.ledger.entries if e.stage == "generator"] == ["l", "l"]
    narrowed = tool_call_schema({"anyOf": [branch("send_message")]})
    assert large.calls[1][1] == narrowed  # the second draft could only make that call


def test_a_redraft_on_the_same_tier_is_new_work_for_the_generators_dedupe() -> None:
    from types import SimpleNamespace

    from schemas import ClassifiedRequest
    from services.runtime.handler import StageEdge

    edge = StageEdge(SimpleNamespace(name="generator"), ClassifiedRequest)
    first = decide(*wrong_call("medium"), 2, LADDER).escalate.model_copy(update={"tier": "large", "escalations": 0})
    redraft = decide(*wrong_call("large"), 2, LADDER).escalate
    assert redraft.tier == first.tier == "large"
    assert edge.dedupe_key(redraft) != edge.dedupe_key(first)  # else the redraft is skipped as a redelivery
