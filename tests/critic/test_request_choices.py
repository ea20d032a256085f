"""Choices the request did not make, or made otherwise (kinds of wrong drafts the tiers wrote on BFCL,
rewritten), and the refiner leaving out what was not asked for without a model call."""

from typing import Any

from schemas import Critique, Draft, GenerationRequest
from services.critic.request_choices import RequestReading, contradicted_choices, unasked_choices
from services.critic.validators import check_draft
from services.documents.names import name_words
from services.documents.no_model_repairs import deterministic_repairs
from tests.conftest import make_request

RESTAURANTS = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "price_range": {"type": "string", "enum": ["cheap", "moderate", "pricey"], "default": "moderate"},
        "has_vegetarian_options": {"type": "boolean", "default": False},
        "has_laundry_service": {"type": "string", "enum": ["True", "False", "dontcare"], "default": "dontcare"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Defaults to fahrenheit."},
        "organic": {"type": "boolean"},
        "avoid_tolls": {"type": "boolean", "default": False},
        "preferences": {"type": "array", "items": {"type": "string", "enum": ["pet_friendly", "gym", "parking"]}},
    },
    "required": ["city", "organic"],
}


def unasked(output: dict[str, Any], prompt: str) -> list[tuple[str, Any]]:
    return [(c.pointer, c.value) for c in unasked_choices(output, RESTAURANTS, RequestReading(prompt))]


def contradicted(output: dict[str, Any], prompt: str) -> list[tuple[str, Any]]:
    return [(c.pointer, c.value) for c in contradicted_choices(output, RESTAURANTS, RequestReading(prompt))]


def test_a_field_name_says_what_it_is_about() -> None:
    assert name_words("has_vegetarian_options") == ["vegetarian"]
    assert name_words("avoidTolls") == ["avoid", "tolls"]
    assert name_words("include") == []


def test_an_optional_choice_the_request_never_speaks_of_is_unasked() -> None:
    prompt = "Find an Asian Fusion restaurant in Santa Clara."
    assert unasked({"city": "Santa Clara", "organic": False, "has_vegetarian_options": True}, prompt) == [
        ("/has_vegetarian_options", True)
    ]
    assert unasked({"city": "Santa Clara", "organic": False, "unit": "celsius"}, prompt) == [("/unit", "celsius")]
    assert unasked({"city": "Santa Clara", "organic": True, "price_range": "pricey"}, prompt) == [
        ("/price_range", "pricey")
    ]


def test_a_default_written_out_unasked_is_unasked_too() -> None:
    output = {"city": "Santa Clara", "organic": True, "has_vegetarian_options": False, "price_range": "moderate"}
    assert unasked(output, "Find a restaurant in Santa Clara.") == [
        ("/has_vegetarian_options", False),
        ("/price_range", "moderate"),
    ]  # left out, the defaults still apply; `organic` is required
    assert unasked({"city": "X", "organic": False, "unit": "fahrenheit"}, "Weather in X") == [("/unit", "fahrenheit")]


def test_required_fields_and_what_the_request_mentions_are_not_unasked() -> None:
    assert unasked({"city": "Santa Clara", "organic": True}, "Find a restaurant in Santa Clara.") == []
    said = "A cheap restaurant in Santa Clara with vegetarian dishes, in celsius"
    output = {"city": "Santa Clara", "organic": False, "has_vegetarian_options": True, "price_range": "cheap"}
    assert unasked(output | {"unit": "celsius"}, said) == []


def test_a_yes_no_enum_is_judged_by_whether_the_request_mentions_its_field() -> None:
    output = {"city": "Los Angeles", "organic": False, "has_laundry_service": "True"}
    assert unasked(output, "A house in Los Angeles with laundry service.") == []
    assert unasked(output, "A house in Los Angeles.") == [("/has_laundry_service", "True")]


def test_a_boolean_only_the_menu_or_instructions_speak_of_is_unasked() -> None:
    """The lines after the ask describe what the function can do, not what this request wants."""
    output = {"city": "New York", "organic": False, "has_vegetarian_options": True}
    menu = "Find a coffeehouse in New York.\nFunctions:\n- find_restaurants: by city, with vegetarian options"
    assert unasked(output, menu) == [("/has_vegetarian_options", True)]
    asked = "Find a coffeehouse in New York with vegetarian food.\nFunctions:\n- find_restaurants: by city"
    assert unasked(output, asked) == []


def test_enum_items_the_request_does_not_name_are_unasked_one_by_one() -> None:
    output = {"city": "Manhattan", "organic": False, "preferences": ["pet_friendly", "gym", "parking"]}
    found = unasked(output, "Book a single room at a pet friendly hotel near Manhattan.")
    assert found == [("/preferences/1", "gym"), ("/preferences/2", "parking")]


def test_an_enum_value_is_contradicted_when_the_request_names_another_option() -> None:
    output = {"city": "Santa Clara", "organic": False, "price_range": "moderate"}
    assert contradicted(output, "A cheap place to eat in Santa Clara") == [("/price_range", "moderate")]
    assert contradicted(output, "A cheap or moderate place in Santa Clara") == []  # the chosen one is named too
    assert contradicted(output, "A place in Santa Clara") == []


def test_a_boolean_is_contradicted_when_the_ask_wants_what_it_means_and_it_says_false() -> None:
    output = {"city": "Austin", "organic": False, "avoid_tolls": False}
    assert contradicted(output, "Find the top organic bananas brands in Austin.") == [("/organic", False)]
    assert contradicted(output, "Drive to Austin and avoid tolls") == [("/avoid_tolls", False)]
    assert contradicted(output, "Find bananas that are not organic in Austin.") == []
    assert contradicted(output, "Find non-organic bananas in Austin.") == []
    assert contradicted(output, "Bananas in Austin; I don't need them organic") == []  # "don t"
    assert contradicted(output, "No apples, but organic bananas in Austin") == [("/organic", False)]  # new clause


def test_a_boolean_is_contradicted_when_the_ask_refuses_what_it_means_and_it_says_true() -> None:
    output = {"city": "Fremont", "organic": True}
    assert contradicted(output, "Bananas in Fremont, and they shouldn't be organic") == [("/organic", True)]
    assert contradicted(output, "Organic bananas in Fremont") == []
    # named only after the first line (a function menu, instructions): not the ask
    assert contradicted(output, "Find bananas in Austin.\n- search: organic or not, avoid tolls") == []


def request(prompt: str, schema: dict[str, Any] = RESTAURANTS) -> GenerationRequest:
    return GenerationRequest.model_validate(make_request(prompt=prompt, schema=schema))


def test_the_critic_flags_both_kinds_and_skips_creative_requests() -> None:
    output = {"city": "Austin", "organic": False, "has_vegetarian_options": True}
    draft = Draft(request=request("Organic food in Austin"), tier="small", received_at_ms=0, output=output)
    codes = {(v.pointer, v.kind, v.code) for v in check_draft(draft)}
    assert codes == {("/organic", "semantic", "contradicted"), ("/has_vegetarian_options", "grounding", "unasked")}
    creative = draft.request.model_copy(update={"creative": True})
    assert check_draft(draft.model_copy(update={"request": creative})) == []


def test_the_refiner_leaves_out_what_was_not_asked_for_without_a_model_call() -> None:
    output = {
        "city": "Manhattan",
        "organic": True,
        "has_vegetarian_options": True,
        "preferences": ["pet_friendly", "gym"],
    }
    prompt = "Organic food near a pet friendly hotel in Manhattan."
    draft = Draft(request=request(prompt), tier="small", received_at_ms=0, output=output)
    verdicts = [v for v in check_draft(draft) if v.severity == "error"]
    critique = Critique(**dict(draft), verdicts=verdicts)
    repaired, remaining = deterministic_repairs(critique)
    assert remaining == []
    assert repaired == {"city": "Manhattan", "organic": True, "preferences": ["pet_friendly"]}
    assert check_draft(draft.model_copy(update={"output": repaired})) == []


def test_an_array_holding_nothing_asked_for_goes_whole_where_it_may_else_the_model_is_asked_again() -> None:
    output = {"city": "Manhattan", "organic": True, "preferences": ["gym"]}
    draft = Draft(request=request("Organic food in Manhattan."), tier="small", received_at_ms=0, output=output)
    critique = Critique(**dict(draft), verdicts=[v for v in check_draft(draft) if v.severity == "error"])
    assert deterministic_repairs(critique) == ({"city": "Manhattan", "organic": True}, [])
    required = {**RESTAURANTS, "required": ["city", "organic", "preferences"]}
    draft = Draft(
        request=request("Organic food in Manhattan.", required), tier="small", received_at_ms=0, output=output
    )
    critique = Critique(**dict(draft), verdicts=[v for v in check_draft(draft) if v.severity == "error"])
    repaired, remaining = deterministic_repairs(critique)
    assert repaired == output
    assert [v.pointer for v in remaining] == ["/preferences/0"]


def test_a_description_quoting_two_or_more_values_names_the_options_of_a_free_text_field() -> None:
    about = "Can be 'list' for a list of all prime factors or 'dictionary' for a count of each. Default is 'list'."
    schema = {"type": "object", "properties": {"return_type": {"type": "string", "description": about}}}
    prompt = "Prime factors of 60, in the form of a dictionary."
    found = contradicted_choices({"return_type": "list"}, schema, RequestReading(prompt))
    assert [(c.pointer, c.value) for c in found] == [("/return_type", "list")]
    assert contradicted_choices({"return_type": "dictionary"}, schema, RequestReading(prompt)) == []
    one = {"type": "object", "properties": {"unit": {"type": "string", "description": "Default is 'cm'."}}}
    assert (
        contradicted_choices({"unit": "cm"}, one, RequestReading("A circle of radius 4 inches")) == []
    )  # a default, no options


def test_an_optional_string_or_number_the_request_does_not_state_is_unasked() -> None:
    schema = {
        "type": "object",
        "properties": {
            "teams": {"type": "array", "items": {"type": "string"}},
            "venue": {"type": "string", "description": "Where it was played. Default is 'home'."},
            "top": {"type": "integer", "default": 10},
            "season": {"type": "string"},
        },
        "required": ["teams", "season"],
    }
    prompt = "Who won between the Lakers and Clippers in the 2020 season? Show the top 5."
    output = {"teams": ["Lakers", "Clippers"], "season": "2019", "venue": "home", "top": 3}
    found = [(c.pointer, c.value) for c in unasked_choices(output, schema, RequestReading(prompt))]
    assert found == [("/venue", "home"), ("/top", 3)]  # `season` is required: request support's to judge
    stated = {"teams": ["Lakers", "Clippers"], "season": "2020", "venue": "Clippers", "top": 5}
    assert unasked_choices(stated, schema, RequestReading(prompt)) == []
    found = unasked_choices({**stated, "top": 10}, schema, RequestReading(prompt))
    assert [(c.pointer, c.value) for c in found] == [("/top", 10)]  # its default, but not what was asked


def test_in_a_function_menu_only_the_unasked_argument_goes_never_the_call() -> None:
    menu = {
        "anyOf": [
            {
                "type": "object",
                "properties": {"check_stock": {"type": "object", "properties": RESTAURANTS["properties"]}},
                "required": ["check_stock"],
                "additionalProperties": False,
            },
            {"type": "object", "properties": {"search": {"type": "object"}}, "required": ["search"]},
        ]
    }
    output = {"check_stock": {"city": "Austin", "organic": True, "preferences": ["gym"], "unit": "celsius"}}
    draft = Draft(request=request("Organic food in Austin", menu), tier="small", received_at_ms=0, output=output)
    critique = Critique(**dict(draft), verdicts=[v for v in check_draft(draft) if v.severity == "error"])
    assert deterministic_repairs(critique) == ({"check_stock": {"city": "Austin", "organic": True}}, [])


def test_an_option_the_ask_names_that_an_array_of_choices_leaves_out_is_contradicted() -> None:
    output = {"city": "Manhattan", "organic": True, "preferences": ["pet_friendly"]}
    found = contradicted(output, "A pet friendly hotel in Manhattan with parking")
    assert found == [("/preferences", ["pet_friendly"])]
    assert contradicted(output, "A pet friendly hotel in Manhattan") == []
