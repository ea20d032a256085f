import orjson
import pytest

from schemas import Draft, GenerationRequest, Ledger, LedgerEntry, ResultStatus
from services.critic.consistency import rule_verdicts
from services.critic.decide import decide
from services.critic.validators import check_draft, schema_verdicts
from services.documents.bfcl import read_jsonl
from tests.conftest import make_request

SCHEMA = {
    "type": "object",
    "properties": {
        "email": {"type": "string", "format": "email"},
        "when": {"type": "string", "format": "date-time"},
        "items": {
            "type": "array",
            "items": {"type": "object", "properties": {"qty": {"type": "integer", "minimum": 1}}},
        },
        "name": {"type": "string"},
    },
    "required": ["email", "name"],
    "additionalProperties": False,
}


def draft(output: object, *, round_: int = 0, max_tokens: int = 1000, parsed: bool = True, used: int = 100) -> Draft:
    request = GenerationRequest.model_validate(make_request(schema=SCHEMA, budget={"max_tokens": max_tokens}))
    ledger = Ledger().add(LedgerEntry(stage="generator", input_tokens=used - 10, output_tokens=10))
    return Draft(
        request=request,
        tier="small",
        ledger=ledger,
        received_at_ms=0,
        round=round_,
        output=output,
        parsed=parsed,
        text="" if not parsed else orjson.dumps(output).decode(),
    )


def test_each_failure_has_its_own_pointer_and_kind() -> None:
    verdicts = schema_verdicts({"email": "not-an-email", "when": "yesterday", "items": [{"qty": 0}]}, SCHEMA)
    by_pointer = {v.pointer: v for v in verdicts}
    assert by_pointer["/email"].kind == "format"
    assert by_pointer["/when"].kind == "format"
    assert by_pointer["/items/0/qty"].kind == "schema" and "minimum" in by_pointer["/items/0/qty"].message
    assert by_pointer["/name"].message == "required property 'name' is missing"


def test_unparsed_draft_is_a_root_parse_verdict() -> None:
    [verdict] = check_draft(draft(None, parsed=False))
    assert verdict.pointer == "" and verdict.kind == "parse"


def test_jsonschemabench_instances(shared_data) -> None:
    """The critic agrees with JSONSchemaBench's labelled instances (formats included)."""
    checked = disagreements = 0
    for task in read_jsonl(shared_data / "jsonschemabench" / "dev.jsonl"):
        for case in task["tests"]:
            try:
                verdicts = schema_verdicts(case["data"], task["schema"])
            except Exception:  # unresolvable remote $refs: not the critic's concern here
                continue
            checked += 1
            if bool(verdicts) == case["valid"]:
                disagreements += 1
    assert checked > 500
    assert disagreements / checked < 0.02, f"{disagreements} of {checked} instances misjudged"


def test_decide_accepts_a_clean_draft() -> None:
    decision = decide(draft({"email": "a@b.co", "name": "A"}), [], max_rounds=2)
    assert decision.result is not None and decision.result.status is ResultStatus.accepted


def test_decide_sends_failures_back_for_revision() -> None:
    d = draft({"email": "nope", "name": "A"})
    decision = decide(d, check_draft(d), max_rounds=2)
    assert decision.critique is not None and decision.critique.verdicts[0].pointer == "/email"


def test_decide_stops_at_the_round_cap() -> None:
    d = draft({"email": "nope", "name": "A"}, round_=2)
    decision = decide(d, check_draft(d), max_rounds=2)
    assert decision.result is not None and decision.result.status is ResultStatus.rejected
    assert decision.result.verdicts[0].pointer == "/email"


@pytest.mark.parametrize(("max_tokens", "status"), [(120, ResultStatus.budget_exhausted), (5000, None)])
def test_decide_stops_when_budget_cannot_cover_a_round(max_tokens: int, status: ResultStatus | None) -> None:
    d = draft({"email": "nope", "name": "A"}, max_tokens=max_tokens, used=100)
    decision = decide(d, check_draft(d), max_rounds=2)
    if status is None:
        assert decision.critique is not None
    else:
        assert decision.result is not None and decision.result.status is status
        assert decision.result.verdicts[-1].kind == "budget"


def test_a_round_of_repairs_that_need_no_model_fits_any_budget() -> None:
    """A key the schema forbids is dropped without a token: the round goes ahead on an exhausted budget."""
    output = {"email": "a@example.org", "name": "A", "extra": 1}
    d = draft(output, max_tokens=120, used=100)
    decision = decide(d, schema_verdicts(output, SCHEMA), max_rounds=2)
    assert decision.critique is not None and [v.code for v in decision.critique.verdicts] == ["additionalProperties"]
    broken = {**output, "email": "nope"}  # this one needs the model: the budget stops it
    decision = decide(draft(broken, max_tokens=120, used=100), schema_verdicts(broken, SCHEMA), max_rounds=2)
    assert decision.result is not None and decision.result.status is ResultStatus.budget_exhausted


def test_every_verdict_names_its_check() -> None:
    verdicts = schema_verdicts({"email": "x", "name": 3, "extra": 1}, SCHEMA)
    assert {v.code for v in verdicts} == {"format", "type", "additionalProperties"}


def test_a_rule_reading_a_broken_field_waits_for_it() -> None:
    output = {"rent": "1450 pounds", "deposit": 2900, "items": [{"price": "x"}], "total": 3}
    [waiting] = rule_verdicts(output, ["deposit == 2 * rent"], failing={"/rent"})
    assert (waiting.pointer, waiting.severity) == ("/deposit", "warning")
    assert "/rent fails its schema" in waiting.message
    [fanned] = rule_verdicts(output, ["total == sum(items[*].price)"], failing={"/items/0/price"})
    assert fanned.severity == "warning"
    # without a schema failure the same output breaks the rule: an error on the field it blames
    [error] = rule_verdicts(output, ["deposit == 2 * rent"])
    assert (error.pointer, error.severity) == ("/deposit", "error")
    # the blamed field's own schema failure does not hold its rule back
    [own] = rule_verdicts({"rent": 1450, "deposit": "x"}, ["deposit == 2 * rent"], failing={"/deposit"})
    assert own.severity == "error"


def test_array_items_repeating_beyond_what_the_source_states_are_flagged() -> None:
    from services.critic.consistency import repeated_items

    schema = {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}}
    loop = {"tags": ["Mary Jackson", "3", "3", "3", "Mary Jackson"]}
    flagged = repeated_items(loop, schema, "Mary Jackson and 3 others.")
    assert [(v.pointer, v.kind, v.code) for v in flagged] == [
        ("/tags/2", "consistency", "repeated"),
        ("/tags/3", "consistency", "repeated"),
        ("/tags/4", "consistency", "repeated"),
    ]
    assert repeated_items({"tags": ["Ada", "Ada"]}, schema, "Ada met Ada.") == []  # stated twice
    rolls = {"rolls": [3, 3, 5], "tags": ["2025-06-12T15:00", "2025-06-12T15:00"]}  # no context: strings only
    assert [v.pointer for v in repeated_items(rolls, schema, "Roll a die 3 times.", strings_only=True)] == ["/tags/1"]
    enum = {"type": "object", "properties": {"days": {"type": "array", "items": {"enum": ["sunny", "rain"]}}}}
    assert repeated_items({"days": ["sunny", "sunny"]}, enum, "Forecast.") == []  # choices, not claims


def test_decimal_multiples_are_judged_exactly() -> None:
    """jsonschema's float division calls 10000.89 no multiple of 0.01 (1000088.9999…); JSON means the decimal."""
    schema = {"type": "object", "properties": {"amount": {"type": "number", "multipleOf": 0.01}}}
    assert schema_verdicts({"amount": 10000.89}, schema) == []
    [verdict] = schema_verdicts({"amount": 10000.891}, schema)
    assert verdict.pointer == "/amount" and verdict.code == "multipleOf"
    assert schema_verdicts({"amount": 7}, {"properties": {"amount": {"multipleOf": 3}}})[0].code == "multipleOf"
