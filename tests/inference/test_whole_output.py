"""A tier whose `menu_format` is tool_calls drafts a menu (and regenerates one whole) as a tool call and hands
on the menu's own shape; other schemas, and tiers that read menus as schemas, draft as before."""

import orjson

from schemas import Critique, GenerationRequest, SecondOpinion, Verdict
from services.documents.tool_calls import tool_call_schema
from services.generator.drafting import generate_draft
from services.inference.prompts import TOOL_PROMPT_VERSION
from services.inference.tiers import load_tiers
from services.refiner.rounds import refine
from services.settings import Settings
from tests.conftest import classified, make_request
from tests.documents.test_tool_calls import MENU
from tests.stub_engine import StubEngine

PROMPT = "Find events in Lima.\nCall the one function that does this. Functions:\n- find_events: Finds events."
TIERS = load_tiers(Settings().tiers_file)
TOOL_TIER = TIERS["medium"].model_copy(update={"menu_format": "tool_calls"})
SCHEMA_TIER = TIERS["medium"].model_copy(update={"menu_format": "schema"})
TOOL_CALL = orjson.dumps({"name": "find_events", "arguments": {"city": "Lima"}}).decode()


def test_a_menu_is_drafted_as_a_tool_call_and_handed_on_as_the_menus_call() -> None:
    engine = StubEngine(TOOL_CALL)
    draft = generate_draft(classified(make_request(prompt=PROMPT, schema=MENU)), engine, TOOL_TIER)
    [(messages, decoded, _)] = engine.calls
    assert "<tools>" in messages[0]["content"] and '"name":"buy_tickets"' in messages[0]["content"]
    # no schema (the tools are it), and the menu line said once, in its tool
    assert messages[1] == {
        "role": "user",
        "content": "Request: Find events in Lima.\nCall the one function that does this. Functions:",
    }
    assert [b["properties"]["name"] for b in decoded["anyOf"]] == [{"const": "find_events"}, {"const": "buy_tickets"}]
    assert draft.output == {"find_events": {"city": "Lima"}} and draft.parsed
    assert orjson.loads(draft.text) == draft.output
    [entry] = draft.ledger.entries
    assert entry.prompt_version == TOOL_PROMPT_VERSION and entry.note == "as a tool call"


def test_a_second_opinion_lists_the_tools_in_reverse() -> None:
    engine = StubEngine(TOOL_CALL)
    message = classified(make_request(prompt=PROMPT, schema=MENU))
    again = message.model_copy(update={"second_opinion_of": SecondOpinion(output={"find_events": {"city": "Lima"}})})
    generate_draft(again, engine, TOOL_TIER)
    system = engine.calls[0][0][0]["content"]
    assert system.index('"name":"buy_tickets"') < system.index('"name":"find_events"')


def test_a_schema_tier_and_a_schema_that_is_no_menu_draft_as_before() -> None:
    engine = StubEngine('{"find_events":{"city":"Lima"}}', '{"greeting":"hi"}')
    draft = generate_draft(classified(make_request(prompt=PROMPT, schema=MENU)), engine, SCHEMA_TIER)
    assert engine.calls[0][1] == MENU and draft.ledger.entries[0].note is None
    plain = generate_draft(classified(make_request()), engine, TOOL_TIER)
    assert "JSON Schema:" in engine.calls[1][0][-1]["content"] and plain.output == {"greeting": "hi"}


def test_the_refiners_whole_regeneration_of_a_menu_is_a_tool_call_too() -> None:
    request = GenerationRequest.model_validate(make_request(prompt=PROMPT, schema=MENU))
    unreadable = Critique(
        request=request,
        tier="medium",
        received_at_ms=0,
        output=None,
        verdicts=[Verdict(pointer="", kind="parse", message="not JSON")],
    )
    engine = StubEngine(TOOL_CALL)
    redrafted = refine(unreadable, engine, TOOL_TIER)
    [(messages, decoded, _)] = engine.calls
    assert "<tools>" in messages[0]["content"] and "A previous attempt failed: not JSON" in messages[-1]["content"]
    assert decoded == tool_call_schema(MENU)
    assert redrafted.output == {"find_events": {"city": "Lima"}}
    assert redrafted.ledger.entries[-1].note == "/; as a tool call"
