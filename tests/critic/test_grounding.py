"""Grounding with the real MiniLM int8 encoder."""

import pytest

from services.critic.grounding import GroundingChecker, context_numbers, date_forms
from services.inference.encoder import SentenceEncoder

CONTEXT = (
    "INVOICE No. INV-2024-0042\nBilled to: Ada Lovelace, 12 St James's Square, London\n"
    "Items: 3 x analytical engine manuals at 40.00 each\nTotal due: 1,120.00 GBP by 31 March 2025."
)
SCHEMA = {
    "type": "object",
    "properties": {
        "customer": {"type": "string"},
        "number": {"type": "string"},
        "city": {"type": "string"},
        "total": {"type": "number"},
        "due": {"type": "string", "format": "date"},
        "currency": {"type": "string", "enum": ["GBP", "EUR"]},
        "paid": {"type": "boolean"},
        "items": {"type": "array", "items": {"type": "object", "properties": {"what": {"type": "string"}}}},
    },
}


@pytest.fixture(scope="module")
def checker() -> GroundingChecker:
    return GroundingChecker(SentenceEncoder(threads=2))


def pointers(checker: GroundingChecker, output: dict, derived: set[str] | None = None) -> set[str]:
    return {v.pointer for v in checker.verdicts(output, SCHEMA, CONTEXT, derived or set())}


def test_supported_values_pass(checker: GroundingChecker) -> None:
    output = {
        "customer": "ADA LOVELACE",
        "number": "INV-2024-0042",
        "city": "London",
        "total": 1120.0,
        "due": "2025-03-31",
        "currency": "EUR",
        "paid": False,
        "items": [{"what": "analytical engine manual"}],
    }
    assert pointers(checker, output) == set()


def test_invented_values_are_flagged_per_segment(checker: GroundingChecker) -> None:
    output = {
        "customer": "Grace Hopper",
        "number": "INV-2024-0042",
        "city": "Paris",
        "total": 999.0,
        "due": "2025-04-30",
        "items": [{"what": "analytical engine manual"}, {"what": "a steam locomotive"}],
    }
    assert pointers(checker, output) == {"/customer", "/city", "/total", "/due", "/items/1/what"}


def test_derived_values_are_not_claims(checker: GroundingChecker) -> None:
    assert pointers(checker, {"total": 999.0}, derived={"/total"}) == set()


def test_number_and_date_forms() -> None:
    numbers = context_numbers(CONTEXT)
    assert {1120.0, 40.0, 3.0, 12.0, 2025.0} <= numbers
    assert "31 march 2025" in date_forms("2025-03-31")
    assert date_forms("not a date") == []


def test_a_stated_number_given_to_the_wrong_field_is_not_grounded(checker: GroundingChecker) -> None:
    schema = {"type": "object", "properties": {k: {"type": "integer"} for k in ("a", "b", "c", "sides")}}
    context = "Solve a quadratic equation where a=2, b=6, and c=5 for a shape with 4 sides."
    verdicts = checker.verdicts({"a": 2, "b": 2, "c": 5, "sides": 4}, schema, context, set())
    assert [(v.pointer, v.message) for v in verdicts] == [("/b", "the context gives b as 6, not 2")]
    assert checker.verdicts({"a": 2, "b": 6, "c": 5, "sides": 4}, schema, context, set()) == []
    # a number right before the name names it too ("4 sides")
    verdicts = checker.verdicts({"a": 2, "b": 6, "c": 5, "sides": 5}, schema, context, set())
    assert [(v.pointer, v.message) for v in verdicts] == [("/sides", "the context gives sides as 4, not 5")]


def test_a_value_the_context_states_once_for_another_field_is_not_grounded(checker: GroundingChecker) -> None:
    schema = {
        "type": "object",
        "properties": {"invoice_number": {"type": "string"}, "total": {"type": "number"}, "paid": {"type": "number"}},
    }
    context = "INVOICE No. INV-2024-0042\nTotal due: 120.00 GBP. Paid so far: 120.00 GBP."
    good = {"invoice_number": "INV-2024-0042", "total": 120.0, "paid": 120.0}  # stated twice: both may hold it
    assert checker.verdicts(good, schema, context, set()) == []
    copied = {"invoice_number": "120.00", "total": 120.0, "paid": 120.0}
    assert [(v.pointer, v.message) for v in checker.verdicts(copied, schema, context, set())] == [
        (
            "/invoice_number",
            "the context states 120.0 for total, paid, not for invoice_number; use the value it states for this field",
        )
    ]
    # no field is named with the shared value: the context does not say whose it is
    assert checker.verdicts({"x": "7", "y": 7}, {"type": "object"}, "It costs 7 and weighs little.", set()) == []


def test_a_decoding_loop_is_not_grounded_by_its_words(checker: GroundingChecker) -> None:
    schema = {"type": "object", "properties": {"attendees": {"type": "array", "items": {"type": "string"}}}}
    context = "The budget committee met at 09:00; 3 members came: Mary Jackson and Christine Darden chaired."
    loop = "the committee was not a committee but the committee was a committee that met the committee"
    output = {"attendees": ["Mary Jackson", "Christine Darden", loop]}
    assert [v.pointer for v in checker.verdicts(output, schema, context, set())] == ["/attendees/2"]
