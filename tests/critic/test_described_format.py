"""Values against the format their field's description spells out (kinds of wrong drafts the tiers wrote
on BFCL, rewritten)."""

from schemas import Draft, GenerationRequest
from services.critic.described_format import described_examples, described_format_verdicts
from services.critic.validators import check_draft
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


def test_only_a_described_format_with_an_example_counts() -> None:
    assert described_examples({"type": "string", "description": "The city, such as 'Berkeley, CA'."}) == []
    assert described_examples({"type": "string", "description": "Formatted as 'City, State'.", "enum": ["x"]}) == []
    assert described_examples(CITY) == ["City, State", "Berkeley, CA"]
    assert described_format_verdicts({"where_to": "X, CA", "note": "Miami"}, SCHEMA) == []


def test_the_critic_asks_for_a_rewrite() -> None:
    request = GenerationRequest.model_validate(make_request(prompt="A house in Chi-town", schema=SCHEMA))
    draft = Draft(request=request, tier="large", received_at_ms=0, output={"where_to": "Chi-town"})
    [verdict] = [v for v in check_draft(draft) if v.pointer == "/where_to"]
    assert (verdict.kind, verdict.code) == ("format", "described")
