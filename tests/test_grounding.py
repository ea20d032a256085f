"""Grounding with the real MiniLM int8 encoder."""

import pytest

from services.common.encoder import SentenceEncoder
from services.critic.grounding import GroundingChecker, context_numbers, date_forms

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
    verdicts = checker.verdicts({"a": 2, "b": 2, "c": 5, "sides": 5}, schema, context, set())
    assert [(v.pointer, v.message) for v in verdicts] == [("/b", "the context gives b as 6, not 2")]
    # not named right after the field ("4 sides"): any stated number is as good as the context can tell
    assert checker.verdicts({"a": 2, "b": 6, "c": 5, "sides": 2}, schema, context, set()) == []
