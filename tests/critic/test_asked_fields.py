"""Optional fields the ask names by a word of their own, left out of the draft (kinds of wrong drafts the
tiers made on BFCL, rewritten)."""

from schemas import Draft, GenerationRequest
from services.critic.asked_fields import asked_left_out
from services.critic.validators import check_draft
from tests.conftest import make_request

BLACKJACK = {
    "type": "object",
    "properties": {
        "player_cards": {"type": "array", "items": {"type": "string"}},
        "dealer_cards": {"type": "array", "items": {"type": "string"}},
        "ace_value": {"type": "integer", "description": "The value of an ace, 1 or 11. Default 11."},
    },
    "required": ["player_cards", "dealer_cards"],
}
ASK = "Who wins at blackjack: I hold A and 9, the dealer 10 and 8. The Ace counts as 1."
PROMPT = f"{ASK}\nGive the arguments for calling blackjack.winner: Decides the winner of a hand."
HANDS = {"player_cards": ["A", "9"], "dealer_cards": ["10", "8"]}


def test_an_optional_field_the_ask_names_and_the_draft_leaves_out_is_asked_for() -> None:
    assert asked_left_out(HANDS, BLACKJACK, PROMPT) == ["/ace_value"]
    assert asked_left_out({**HANDS, "ace_value": 1}, BLACKJACK, PROMPT) == []
    assert asked_left_out(HANDS, BLACKJACK, "Who wins: A and 9 against 10 and 8?\nGive the arguments.") == []


def test_words_of_the_functions_own_lines_or_of_other_fields_do_not_ask_for_a_field() -> None:
    schema = {
        "type": "object",
        "properties": {"school": {"type": "string"}, "fetch_limit": {"type": "integer"}, "school_year": {}},
        "required": ["school"],
    }
    prompt = "Fetch all records of 'Bluebird High School'.\nGive the arguments for calling db.fetch: Fetches rows."
    assert asked_left_out({"school": "Bluebird High School"}, schema, prompt) == []  # fetch: the function's


def test_inside_a_menu_the_called_functions_arguments_are_read() -> None:
    menu = {"anyOf": [{"type": "object", "properties": {"blackjack": BLACKJACK}, "required": ["blackjack"]}]}
    prompt = f"{ASK}\nCall the one function that does this. Functions:\n- blackjack: Decides a hand."
    assert asked_left_out({"blackjack": HANDS}, menu, prompt) == ["/blackjack/ace_value"]


def test_the_critic_asks_once_on_a_tiers_first_draft() -> None:
    request = GenerationRequest.model_validate(make_request(prompt=PROMPT, schema=BLACKJACK))
    draft = Draft(request=request, tier="large", received_at_ms=0, output=HANDS)
    assert [(v.pointer, v.kind, v.code) for v in check_draft(draft)] == [("/ace_value", "schema", "asked")]
    assert check_draft(draft.model_copy(update={"round": 1})) == []


SHOP = {
    "type": "object",
    "properties": {
        "product_id": {"type": "string"},
        "sizes": {"type": "array", "items": {"type": "string", "enum": ["S", "M", "L", "XL"]}},
        "price_range": {"type": "string", "enum": ["cheap", "moderate", "pricey"], "default": "moderate"},
        "transport": {"type": "string", "description": "How to travel: 'train', 'bus' or 'plane'."},
    },
    "required": ["product_id"],
}


def test_a_field_whose_option_the_ask_names_is_asked_for() -> None:
    prompt = "Is the V-neck sweater back in sizes M and L?\nGive the arguments for calling stock: Checks stock."
    assert asked_left_out({"product_id": "V-neck sweater"}, SHOP, prompt) == ["/sizes"]
    by_train = "Ship the V-neck sweater by train.\nGive the arguments for calling ship."
    assert asked_left_out({"product_id": "V-neck sweater"}, SHOP, by_train) == ["/transport"]
    assert asked_left_out({"product_id": "V-neck sweater"}, SHOP, by_train, by_options=False) == []


def test_a_stem_a_default_or_a_letter_inside_a_word_names_no_option() -> None:
    for ask in ("I'm after the V-neck sweater, any price.", "A moderate V-neck sweater", "Training shoes?"):
        assert asked_left_out({"product_id": "V-neck sweater"}, SHOP, f"{ask}\nGive the arguments.") == [], ask
