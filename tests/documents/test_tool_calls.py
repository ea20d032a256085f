"""A menu of calls as tool calls and back: only plain menus convert, every tool call turns back into an
output the menu allows, pointers follow the call."""

import pytest
from jsonschema import validate

from services.documents.tool_calls import as_menu_call, described_in_prompt, menu_pointer, tool_call_schema, tools


def branch(name: str, **extra: object) -> dict:
    arguments = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    return {
        "type": "object",
        "properties": {name: arguments},
        "required": [name],
        "additionalProperties": False,
        **extra,
    }


MENU = {"anyOf": [branch("find_events", description="Finds events."), branch("buy_tickets")]}


def test_a_plain_menu_lists_its_calls_in_order_with_their_descriptions() -> None:
    listed = tools(MENU)
    assert [t["function"]["name"] for t in listed] == ["find_events", "buy_tickets"]
    assert listed[0]["function"]["description"] == "Finds events."
    assert "description" not in listed[1]["function"]  # none given: none made up
    assert listed[1]["function"]["parameters"] == MENU["anyOf"][1]["properties"]["buy_tickets"]
    assert all(t["type"] == "function" for t in listed)


def test_every_tool_call_turns_back_into_an_output_the_menu_allows() -> None:
    schema = tool_call_schema(MENU)
    call = {"name": "buy_tickets", "arguments": {"city": "Lima"}}
    validate(call, schema)
    validate(as_menu_call(call), MENU)
    assert as_menu_call(call) == {"buy_tickets": {"city": "Lima"}}
    with pytest.raises(Exception, match="is not valid"):
        validate({"name": "sell_house", "arguments": {"city": "Lima"}}, schema)  # not on the menu
    with pytest.raises(Exception, match="is not valid"):
        validate({"name": "buy_tickets", "arguments": {}}, schema)  # its own arguments' schema holds


def test_a_menu_narrowed_to_one_call_is_one_tool_and_definitions_are_kept() -> None:
    narrowed = {"$defs": {"city": {"type": "string"}}, "anyOf": [branch("buy_tickets")]}
    assert [t["function"]["name"] for t in tools(narrowed)] == ["buy_tickets"]
    assert tool_call_schema(narrowed)["$defs"] == narrowed["$defs"]


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"city": {"type": "string"}}},  # no menu at all
        {"anyOf": [branch("a", minProperties=1), branch("b")]},  # a branch says more than its call
        {"anyOf": [branch("a")], "oneOf": [branch("b")]},  # both: a call must match each
        {"anyOf": [branch("a"), {**branch("b"), "required": []}]},  # a branch that may be empty
        {"anyOf": [branch("a"), {"$ref": "#/anyOf/0"}]},  # a reference into the branches
        {"anyOf": [branch("a"), branch("b")], "minProperties": 1},  # a constraint beside the menu
    ],
)
def test_what_is_not_a_plain_menu_keeps_its_own_schema(schema: dict) -> None:
    assert tools(schema) is None and tool_call_schema(schema) is None


def test_an_unparsed_or_other_value_is_left_as_it_is() -> None:
    assert as_menu_call(None) is None
    assert as_menu_call({"find_events": {"city": "Lima"}}) == {"find_events": {"city": "Lima"}}


def test_pointers_into_the_tool_call_point_into_the_menu_call() -> None:
    call = {"name": "a/b", "arguments": {"city": "Lima"}}
    assert menu_pointer("/arguments/city", call) == "/a~1b/city"
    assert menu_pointer("/arguments", call) == "/a~1b"
    assert menu_pointer("/name", call) == "/a~1b"  # the pick of the call itself: the call's key
    assert menu_pointer("", call) == ""
    assert menu_pointer("/arguments/city", None) == "/arguments/city"


def test_menu_lines_of_the_prompt_become_the_tools_descriptions() -> None:
    prompt = "Find events in Lima.\nFunctions:\n- find_events: Schema's own.\n- buy_tickets: Buys tickets.\n- other: x"
    asked, described = described_in_prompt(prompt, tools(MENU))
    assert asked == "Find events in Lima.\nFunctions:\n- other: x"  # a line for no offered call stays
    assert [t["function"].get("description") for t in described] == ["Finds events.", "Buys tickets."]
    assert list(described[1]["function"]) == ["name", "description", "parameters"]
    assert described_in_prompt("No menu here.", tools(MENU)) == ("No menu here.", tools(MENU))
