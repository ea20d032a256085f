"""Values a request without a context does not support (drafts seen from the large tier on BFCL)."""

from schemas import Draft, GenerationRequest
from services.critic.request_support import shortened, unsupported_values
from services.critic.validators import check_draft
from tests.conftest import make_request

FLIGHT = {
    "type": "object",
    "properties": {
        "origin_airport": {"type": "string", "description": "IATA code or city of the origin, such as 'JFK'"},
        "destination_airport": {"type": "string"},
        "departure_date": {"type": "string", "description": "YYYY-MM-DD"},
        "seating_class": {"type": "string", "enum": ["Economy", "Business"]},
        "airlines": {"type": "string", "description": "Preferred airline, default 'dontcare'"},
        "number_of_tickets": {"type": "integer", "default": 1},
    },
}
ASK = (
    "Search for a one-way Economy flight from Chicago to Shanghai with Delta Airlines, "
    "departing on the 15th of April 2023."
)


def test_a_made_up_value_is_unsupported_and_the_rest_is_not() -> None:
    draft = {
        "origin_airport": "JFK",
        "destination_airport": "Shanghai",
        "departure_date": "2023-04-15",
        "seating_class": "Economy",
        "airlines": "Delta Airlines",
        "number_of_tickets": 1,
    }
    found = unsupported_values(draft, FLIGHT, ASK, numbers=True)
    assert [(u.pointer, u.value) for u in found] == [("/origin_airport", "JFK")]


def test_the_field_schema_supports_its_own_default() -> None:
    assert unsupported_values({"airlines": "dontcare"}, FLIGHT, ASK) == []
    assert unsupported_values({"number_of_tickets": 1}, FLIGHT, "Chicago to Shanghai", numbers=True) == []


def test_numbers_are_judged_only_when_asked() -> None:
    assert unsupported_values({"number_of_tickets": 3}, FLIGHT, ASK) == []
    found = unsupported_values({"number_of_tickets": 3}, FLIGHT, ASK, numbers=True)
    assert [u.value for u in found] == [3]


def test_words_are_matched_whole_and_by_share() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    assert unsupported_values({"city": "New York, NY"}, schema, "restaurants in New York") == []  # 2 of 3 words
    assert unsupported_values({"city": "ny"}, schema, "so many restaurants")  # not a whole word of the request
    assert unsupported_values({"city": "New York, NY"}, schema, "restaurants in New York", min_share=1.0)
    assert unsupported_values({"city": "The Beatles"}, schema, "the songs of the album")  # stop words aside


def test_an_email_or_url_is_said_in_full_or_not_at_all() -> None:
    schema = {"type": "object", "properties": {"email": {"type": "string"}, "site": {"type": "string"}}}
    prompt = "What is the contact of Adriel? Commands are listed at the end."
    made_up = {"email": "adriel@example.com", "site": "https://adriel.com"}  # 2 of 3 words each: "com" ~ commands
    assert [u.pointer for u in unsupported_values(made_up, schema, prompt)] == ["/email", "/site"]
    said = "Write to adriel@example.com or see https://adriel.com."
    assert unsupported_values(made_up, schema, said) == []


def _draft(creative: bool) -> Draft:
    request = make_request(prompt=ASK, schema=FLIGHT, creative=creative)
    output = {"origin_airport": "JFK", "destination_airport": "Shanghai"}
    return Draft(request=GenerationRequest.model_validate(request), tier="large", received_at_ms=0, output=output)


def test_the_critic_refuses_made_up_values_unless_the_request_is_creative() -> None:
    [verdict] = check_draft(_draft(creative=False))
    assert (verdict.pointer, verdict.kind, verdict.code) == ("/origin_airport", "grounding", "request")
    assert "'JFK' is not in the request" in verdict.message
    assert check_draft(_draft(creative=True)) == []


def test_abbreviations_count_as_said() -> None:
    schema = {"type": "object", "properties": {"currency": {"type": "string"}, "unit": {"type": "string"}}}
    said = "What's the total worth in euro of Messi, in miles?"
    assert unsupported_values({"currency": "EUR", "unit": "mile"}, schema, said) == []


def test_a_name_of_the_same_stem_counts_as_said() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    assert unsupported_values({"city": "Lisboa"}, schema, "Plan a trip: 3 days in Lisbon.") == []
    assert unsupported_values({"city": "Lima"}, schema, "Plan a trip: 3 days in Lisbon.")


def test_a_day_in_another_format_and_a_code_for_a_stated_name_count_as_said() -> None:
    schema = {
        "type": "object",
        "properties": {"check_in": {"type": "string"}, "currency": {"type": "string"}, "airport": {"type": "string"}},
    }
    said = "Book a room from 15th October for 200 US dollars, flying into Los Angeles."
    draft = {"check_in": "15-10-2023", "currency": "USD", "airport": "LAX"}
    assert unsupported_values(draft, schema, said) == []
    made_up = {"check_in": "16-10-2023", "currency": "EUR", "airport": "JFK"}
    assert [u.value for u in unsupported_values(made_up, schema, said)] == ["16-10-2023", "EUR", "JFK"]


def test_a_value_may_shorten_the_words_the_request_says_in_order() -> None:
    said = "what is the time in london in 24 hour format, in 10 minutes"
    assert shortened("24h", said) and shortened("10min", said)
    assert not shortened("12h", said) and not shortened("24", said) and not shortened("h24", said)
