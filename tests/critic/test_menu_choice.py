"""The call a draft makes from a menu of functions, against the call the request names (kinds of wrong
picks the tiers made on BFCL, rewritten)."""

from services.critic.menu_choice import contradicted_call, menu_choice_verdicts, option_of_another_call
from services.critic.request_choices import RequestReading
from services.documents.menus import menu


def offering(*names: str) -> dict:
    return {
        "anyOf": [{"type": "object", "properties": {name: {"type": "object"}}, "required": [name]} for name in names]
    }


MOVIES = offering("Movies_1_BuyMovieTickets", "Movies_1_FindMovies", "Weather_1_GetWeather")
LISTING = "\nCall the one function that does this. Functions:\n- Movies_1_BuyMovieTickets: buy tickets"


def called(name: str, ask: str) -> list[str]:
    return [c.value for c in contradicted_call({name: {}}, MOVIES, RequestReading(ask + LISTING))]


def test_a_menu_is_alternatives_of_one_named_property_each() -> None:
    assert menu(MOVIES) == ["Movies_1_BuyMovieTickets", "Movies_1_FindMovies", "Weather_1_GetWeather"]
    two = {"anyOf": [{"properties": {"a": {}, "b": {}}}, {"properties": {"c": {}}}]}
    assert menu(two) == [] and menu({"type": "object"}) == [] and menu(offering("only_one")) == []


def test_a_call_is_doubted_when_the_ask_names_another_in_full_and_not_it() -> None:
    assert called("Movies_1_BuyMovieTickets", "Can you find action movies in Sonoma?") == ["Movies_1_BuyMovieTickets"]
    assert called("Movies_1_FindMovies", "Can you find action movies in Sonoma?") == []
    assert called("Movies_1_BuyMovieTickets", "Buy two tickets for the movies at 8") == []  # it is named too
    assert called("Weather_1_GetWeather", "Will it rain in Sonoma?") == []  # no call named in full: no doubt


def test_only_the_ask_names_a_call_not_the_menu_listed_after_it() -> None:
    assert called("Weather_1_GetWeather", "Anything on in Sonoma?") == []  # the listing names BuyMovieTickets


def test_anything_but_one_call_is_left_to_the_schema_checks() -> None:
    assert contradicted_call({}, MOVIES, RequestReading("find movies")) == []
    assert contradicted_call({"a": {}, "b": {}}, MOVIES, RequestReading("find movies")) == []
    assert contradicted_call(["Movies_1_FindMovies"], MOVIES, RequestReading("find movies")) == []


def call(name: str, arguments: dict) -> dict:
    return {"type": "object", "properties": {name: {"type": "object", "properties": arguments}}, "required": [name]}


METHOD = {"type": "string", "enum": ["app balance", "debit card", "credit card"]}
SERVICE = {"type": "string", "enum": ["haircut", "coloring"]}
PAYMENTS = {
    "anyOf": [
        call("Payment_1_RequestPayment", {"receiver": {"type": "string"}, "amount": {"type": "number"}}),
        call("Payment_1_MakePayment", {"payment_method": METHOD, "receiver": {"type": "string"}}),
        call("Services_1_BookAppointment", {"service_type": SERVICE}),
        call("Services_1_FindProvider", {"city": {"type": "string"}}),
    ]
}


def test_an_option_only_another_call_takes_doubts_the_call_toward_it() -> None:
    ask = RequestReading("I need to send $50 to Margaret using my debit card, privately" + LISTING)
    requested = {"Payment_1_RequestPayment": {"receiver": "Margaret", "amount": 50}}
    [doubt] = option_of_another_call(requested, PAYMENTS, ask)
    assert doubt.value == "Payment_1_RequestPayment" and doubt.instead == "Payment_1_MakePayment"
    [verdict] = menu_choice_verdicts(requested, PAYMENTS, ask)
    assert verdict.kind == "semantic" and verdict.code == "contradicted"
    assert verdict.expected == "Payment_1_MakePayment" and "'debit card'" in verdict.message
    made = {"Payment_1_MakePayment": {"payment_method": "debit card", "receiver": "Margaret"}}
    assert option_of_another_call(made, PAYMENTS, ask) == []


def test_a_one_word_option_is_the_topic_and_words_apart_are_no_option() -> None:
    haircut = RequestReading("We need a haircut in New York: find a unisex salon" + LISTING)
    assert option_of_another_call({"Services_1_FindProvider": {"city": "New York"}}, PAYMENTS, haircut) == []
    apart = RequestReading("Request $20 from Bob by card, the debit one" + LISTING)
    assert option_of_another_call({"Payment_1_RequestPayment": {"receiver": "Bob"}}, PAYMENTS, apart) == []
