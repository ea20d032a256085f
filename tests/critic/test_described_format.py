"""Values against the format their field's description spells out (kinds of wrong drafts the tiers wrote
on BFCL, rewritten)."""

from schemas import Critique, Draft, GenerationRequest, Verdict
from services.critic.described_format import described_format_verdicts
from services.critic.validators import check_draft
from services.documents.example_shapes import described_examples
from services.documents.no_model_repairs import deterministic_repairs
from tests.conftest import make_request

CITY = {"type": "string", "description": "The city, formatted as 'City, State', such as 'Berkeley, CA'."}
SCHEMA = {"type": "object", "properties": {"where_to": CITY, "note": {"type": "string"}}, "required": ["where_to"]}


def flagged(value: str) -> list[str]:
    return [v.pointer for v in described_format_verdicts({"where_to": value}, SCHEMA)]


def test_a_value_shaped_like_none_of_the_examples_is_flagged() -> None:
    assert flagged("Chi-town") == ["/where_to"]
    assert flagged("Los Angeles") == ["/where_to"]
    assert flagged("New York, NY,") == ["/where_to"]  # a part too many
    assert flagged("New_York_NY") == ["/where_to"]


def test_a_value_shaped_like_an_example_passes() -> None:
    assert flagged("Chicago, IL") == []
    assert flagged("Paris, France") == []  # the shape of 'City, State'


def test_only_a_described_format_or_example_with_a_comma_counts() -> None:
    assert described_examples({"type": "string", "description": "The city, such as 'Berkeley, CA'."}) == [
        "Berkeley, CA"
    ]
    assert described_examples({"type": "string", "description": "The city: 'Berkeley, CA' or 'Napa, CA'."}) == []
    assert described_examples({"type": "string", "description": "The user's country, such as 'US'."}) == []
    assert described_examples({"type": "string", "description": "Formatted as 'City, State'.", "enum": ["x"]}) == []
    assert described_examples(CITY) == ["City, State", "Berkeley, CA"]
    assert described_format_verdicts({"where_to": "X, CA", "note": "Miami"}, SCHEMA) == []


def test_the_critic_asks_for_a_rewrite() -> None:
    request = GenerationRequest.model_validate(make_request(prompt="A house in Chi-town", schema=SCHEMA))
    draft = Draft(request=request, tier="large", received_at_ms=0, output={"where_to": "Chi-town"})
    [verdict] = [v for v in check_draft(draft) if v.pointer == "/where_to"]
    assert (verdict.kind, verdict.code) == ("format", "described")


RATE = {
    "type": "object",
    "properties": {
        "principal": {"type": "integer"},
        "annual_rate": {"type": "number", "description": "The yearly interest rate as a percentage."},
        "fee": {"type": "number", "description": "The fee, a fraction of the amount."},
    },
}


def repaired(said: str, schema: dict, output: dict, verdict: Verdict) -> tuple:
    """What the repairs that need no model make of a draft with this verdict."""
    request = GenerationRequest.model_validate(make_request(prompt=said, schema=schema))
    critique = Critique(request=request, tier="large", received_at_ms=0, output=output, verdicts=[verdict])
    return deterministic_repairs(critique)


def test_a_stated_percentage_written_as_a_fraction_where_a_percentage_is_asked_for_is_repaired() -> None:
    said = "Compound interest on $10000 at 5% a year, with a 2% fee."
    [verdict] = described_format_verdicts({"principal": 10000, "annual_rate": 0.05, "fee": 0.02}, RATE, said)
    assert (verdict.pointer, verdict.kind, verdict.code) == ("/annual_rate", "format", "restate")
    assert described_format_verdicts({"principal": 10000, "annual_rate": 5, "fee": 0.02}, RATE, said) == []
    assert described_format_verdicts({"annual_rate": 0.05}, RATE, "at 0.05% a year") == []  # as stated
    assert repaired(said, RATE, {"annual_rate": 0.05}, verdict) == ({"annual_rate": 5.0}, [])


def test_a_rates_percentage_written_whole_where_no_percentage_is_asked_for_is_repaired_to_its_fraction() -> None:
    schema = {
        "type": "object",
        "properties": {
            "annual_interest_rate": {"type": "number", "description": "The annual interest rate provided by the bank."},
            "volume": {"type": "number", "description": "The speaker volume."},
        },
    }
    said = "The return on $1000 at an annual interest rate of 3% for 1 year, at 40% volume."
    [verdict] = described_format_verdicts({"annual_interest_rate": 3, "volume": 40}, schema, said)
    assert (verdict.pointer, verdict.code) == ("/annual_interest_rate", "restate") and "0.03" in verdict.message
    assert described_format_verdicts({"annual_interest_rate": 0.03}, schema, said) == []
    assert described_format_verdicts({"annual_rate": 5}, RATE, "at 5% a year") == []  # asked as a percentage
    assert repaired(said, schema, {"annual_interest_rate": 3}, verdict) == ({"annual_interest_rate": 0.03}, [])


def test_an_iso_date_where_the_description_names_another_order_is_rewritten_in_that_order() -> None:
    schema = {"type": "object", "properties": {"date": {"type": "string", "description": "The day (month-day-year)."}}}
    [verdict] = described_format_verdicts({"date": "2022-08-16"}, schema, "Air quality in London 2022/08/16?")
    assert (verdict.pointer, verdict.code) == ("/date", "restate") and "'08-16-2022'" in verdict.message
    assert described_format_verdicts({"date": "08-16-2022"}, schema) == []
    either = {"type": "object", "properties": {"date": {"type": "string", "description": "YYYY-MM-DD or MM/DD/YYYY"}}}
    assert described_format_verdicts({"date": "2022-08-16"}, either) == []  # two orders named: either will do
    assert repaired("London on 2022/08/16", schema, {"date": "2022-08-16"}, verdict) == ({"date": "08-16-2022"}, [])


def test_a_12_hour_time_where_the_24_hour_clock_is_asked_for_is_rewritten_on_it() -> None:
    clock = {"type": "string", "description": "The pickup time, in 24-hour format 'HH:MM'."}
    schema = {"type": "object", "properties": {"pickup_time": clock}}
    [verdict] = described_format_verdicts({"pickup_time": "10:00 AM"}, schema)
    assert (verdict.pointer, verdict.code) == ("/pickup_time", "restate") and "'10:00'" in verdict.message
    assert repaired("A car at 9pm", schema, {"pickup_time": "9pm"}, verdict) == ({"pickup_time": "21:00"}, [])
    assert repaired("at 12:30 a.m.", schema, {"pickup_time": "12:30 a.m."}, verdict) == ({"pickup_time": "00:30"}, [])
    assert described_format_verdicts({"pickup_time": "10:00"}, schema) == []
    assert described_format_verdicts({"pickup_time": "13 PM"}, schema) == []  # no clock has it: the model's to fix
    either = {"type": "object", "properties": {"t": {"type": "string", "description": "The time, 'HH:MM AM/PM'."}}}
    assert described_format_verdicts({"t": "10:00 AM"}, either) == []
