import pytest
from pydantic import ValidationError

from schemas import Draft, GenerationRequest, Ledger
from schemas.rules import MissingPath, RuleError, compile_rule
from services.critic.consistency import derived_pointers, rule_verdicts
from services.critic.validators import check_draft
from tests.conftest import make_request

ORDER = {
    "total": 30,
    "items": [{"price": 10, "qty": 1}, {"price": 20, "qty": 2}],
    "start": "2025-01-01",
    "end": "2025-02-01",
    "tags": ["a", "b"],
    "discount": 0,
}


@pytest.mark.parametrize(
    ("rule", "holds"),
    [
        ("total == sum(items[*].price)", True),
        ("total == sum(items[*].qty)", False),
        ("end >= start", True),
        ("end < start", False),
        ("len(items) == 2 and count(tags) <= 2", True),
        ("max(items[*].price) - min(items[*].price) == 10", True),
        ("items[1].price / items[0].price == 2", True),
        ("not (discount > 0) or total > 0", True),
        ("0 <= discount < 1", True),
        ("abs(-3) == 3 and round(2.567, 2) == 2.57", True),
        ("total % 7 == 2", True),
        ("tags[0] == 'a' and discount == false", True),  # JSON false == 0 as in Python
        ("total != null", True),
    ],
)
def test_rules_evaluate_over_json(rule: str, holds: bool) -> None:
    assert compile_rule(rule).holds(ORDER) is holds


def test_blame_is_the_first_path_and_paths_are_json_pointers() -> None:
    rule = compile_rule("total == sum(items[*].price)")
    assert rule.paths == ("/total", "/items") and rule.blame == "/total"
    assert compile_rule("a.b[0].c > a.d").paths == ("/a/b/0/c", "/a/d")


def test_missing_paths_do_not_apply() -> None:
    with pytest.raises(MissingPath):
        compile_rule("shipping > 0").holds(ORDER)
    [verdict] = rule_verdicts(ORDER, ["shipping > 0"])
    assert verdict.severity == "warning" and verdict.pointer == "/shipping"


@pytest.mark.parametrize(
    "hostile",
    [
        "__import__('os').system('id')",
        "().__class__.__bases__[0].__subclasses__()",
        "items.__class__",
        "_secret == 1",
        "open('/etc/passwd')",
        "eval('1')",
        "exec('x=1')",
        "getattr(items, 'x')",
        "lambda: 1",
        "[x for x in items]",
        "{'a': 1}",
        "(x := 1)",
        "9 ** 9 ** 9",
        "total if total else 0",
        "items[total]",
        "items[0:1]",
        "f'{total}'",
        "b'bytes' == total",
        "sum(items[*].price, start=1)",
        "1 + " * 300 + "1",
        "(" * 240 + "1" + ")" * 240,  # past the parser's nesting limit
    ],
)
def test_hostile_expressions_are_refused(hostile: str) -> None:
    with pytest.raises(RuleError):
        compile_rule(hostile)


def test_type_errors_fail_the_rule_instead_of_crashing() -> None:
    [verdict] = rule_verdicts({"total": "thirty", "items": []}, ["total >= sum(items[*].price) + 1"])
    assert verdict.kind == "consistency" and verdict.severity == "error" and "cannot hold" in verdict.message
    [verdict] = rule_verdicts({"a": 1, "b": 0}, ["a / b > 1"])
    assert "division by zero" in verdict.message


def test_a_request_with_a_bad_rule_is_invalid() -> None:
    with pytest.raises(ValidationError, match=r"rules\[1\]"):
        GenerationRequest.model_validate(make_request(rules=["a == 1", "__import__('os')"]))


def test_critic_reports_rule_failures_at_the_blamed_pointer() -> None:
    schema = {"type": "object", "properties": {"total": {"type": "number"}, "items": {"type": "array"}}}
    request = GenerationRequest.model_validate(make_request(schema=schema, rules=["total == sum(items[*].price)"]))
    draft = Draft(
        request=request,
        tier="small",
        ledger=Ledger(),
        received_at_ms=0,
        output={"total": 31, "items": [{"price": 10}, {"price": 20}]},
    )
    [verdict] = check_draft(draft)
    assert (verdict.pointer, verdict.kind) == ("/total", "consistency")
    assert derived_pointers(request.rules) == {"/total"}


def test_paths_are_json_keys_never_python_attributes() -> None:
    rule = compile_rule("total.real == 30")  # legal syntax, but a key lookup: a number has no keys
    with pytest.raises(MissingPath):
        rule.holds(ORDER)
    assert compile_rule("total.real == 30").holds({"total": {"real": 30}})


@pytest.mark.parametrize(
    ("rule", "data", "solved"),
    [
        (
            "total == 2 * items[0].price + items[1].price",
            {"total": 91.0, "items": [{"price": 35.5}, {"price": 19}]},
            90.0,
        ),
        ("total == sum(items[*].price)", {"total": 1, "items": [{"price": 2}, {"price": 3}]}, 5),
        ("a.b == a.c * 2", {"a": {"b": 1, "c": 4}}, 8),
        ("end > start", {"end": 1, "start": 2}, None),  # not an equation
        ("total == total + 1", {"total": 1}, None),  # reads the field it would define
        ("a.b == len(a)", {"a": {"b": 1}}, None),  # reads the field's parent
        ("x[*].y == 3", {"x": [{"y": 1}]}, None),  # a fan-out is not one field
    ],
)
def test_a_field_a_rule_defines_can_be_solved_for(rule: str, data: dict, solved: object) -> None:
    solvable, value = compile_rule(rule).solve(data)
    assert (value if solvable else None) == solved


def test_the_refiner_computes_a_rule_defined_field_without_the_model() -> None:
    from schemas import Critique
    from services.documents.no_model_repairs import deterministic_repairs

    schema = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"type": "object", "properties": {"price": {"type": "number"}}}},
            "count": {"type": "integer"},
            "total": {"type": "number", "maximum": 100},
        },
    }
    rules = ["total == sum(items[*].price)", "count == len(items)"]
    prompt = "An order of two items priced 35.5 and 19.0, with their count and total."
    request = GenerationRequest.model_validate(make_request(prompt=prompt, schema=schema, rules=rules))
    output = {"items": [{"price": 35.5}, {"price": 19.0}], "count": 3, "total": 91.0}
    draft = Draft(request=request, tier="small", ledger=Ledger(), received_at_ms=0, output=output)
    verdicts = check_draft(draft)
    assert {v.pointer for v in verdicts} == {"/total", "/count"}
    critique = Critique(
        request=request, tier="small", ledger=Ledger(), received_at_ms=0, output=output, verdicts=verdicts
    )
    repaired, remaining = deterministic_repairs(critique)
    assert repaired == {"items": [{"price": 35.5}, {"price": 19.0}], "count": 2, "total": 54.5} and remaining == []
    too_big = {**output, "items": [{"price": 90.0}, {"price": 19.0}]}  # 109 would break the schema's maximum
    kept, remaining = deterministic_repairs(critique.model_copy(update={"output": too_big}))
    assert kept["total"] == 91.0 and [v.pointer for v in remaining] == ["/total"]
