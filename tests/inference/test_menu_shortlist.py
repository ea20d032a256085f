"""The menu shortlist: a menu cut, before drafting, to the calls within the margin of the ask's closest
(the real MiniLM encoder), and the generator drafting from it while the critic judges the whole menu."""

import pytest

from schemas import Classification, ClassifiedRequest, GenerationRequest
from services.documents.function_menu import without_entries
from services.documents.menus import narrowed
from services.generator.drafting import first_draft
from services.inference.encoder import SentenceEncoder
from services.inference.menu_shortlist import MenuShortlist
from services.inference.tiers import load_tiers
from services.settings import Settings
from tests.conftest import make_request
from tests.critic.test_menu_judge import offering
from tests.stub_engine import StubEngine

FUNCTIONS = {
    "restaurants.find": "Finds restaurants of a cuisine in a city.",
    "restaurants.book": "Books a table at a named restaurant for a date, a time and a party size.",
    "weather.now": "Current weather conditions for a city.",
    "alarm.set": "Sets an alarm on the phone for a given time.",
}
SCHEMA = {  # a plain menu: a tool_calls tier asks it as a tool call
    "anyOf": [{**branch, "additionalProperties": False} for branch in offering(list(FUNCTIONS))["anyOf"]]
}
LISTED = "\n".join(f"- {n}: {d}" for n, d in FUNCTIONS.items())
PROMPT = f"Book a table for four at Sushi Ran tonight at 7pm.\nCall one function. Functions:\n{LISTED}"


@pytest.fixture(scope="module")
def shortlist() -> MenuShortlist:
    return MenuShortlist(SentenceEncoder(threads=2), margin=0.2)


def request(**changes) -> GenerationRequest:
    return GenerationRequest.model_validate(make_request(**{"prompt": PROMPT, "schema": SCHEMA, **changes}))


def test_the_shortlist_keeps_the_calls_the_ask_can_mean_in_the_menus_order(shortlist: MenuShortlist) -> None:
    kept = shortlist.calls(request())
    assert kept is not None and "restaurants.book" in kept
    assert "alarm.set" not in kept and "weather.now" not in kept
    assert kept == [name for name in FUNCTIONS if name in kept]


def test_no_shortlist_where_it_cannot_read_the_menu_or_would_keep_it_all(shortlist: MenuShortlist) -> None:
    assert shortlist.calls(request(context="Sushi Ran, 7pm, four people.")) is None  # grounding's to judge
    bare = request(prompt="Book a table for four at Sushi Ran tonight at 7pm.")  # no descriptions
    assert shortlist.calls(bare) is None
    assert MenuShortlist(shortlist.encoder, margin=2.0).calls(request()) is None  # every call kept
    flat = {"type": "object", "properties": {"city": {"type": "string"}}}
    assert shortlist.calls(request(schema=flat)) is None


def test_a_menu_narrowed_and_its_lines_left_out_keep_everything_else() -> None:
    assert narrowed(SCHEMA, ["weather.now", "restaurants.find"])["anyOf"] == [SCHEMA["anyOf"][0], SCHEMA["anyOf"][2]]
    assert narrowed(SCHEMA, ["nothing"]) is None and narrowed({"type": "object"}, ["weather.now"]) is None
    cut = without_entries(PROMPT, {"weather.now", "alarm.set"})
    assert cut.splitlines() == PROMPT.splitlines()[:4]
    assert without_entries("- weather.now: ask line stays", {"weather.now"}) == "- weather.now: ask line stays"


def test_the_generator_drafts_from_the_shortlist_and_says_so(shortlist: MenuShortlist) -> None:
    tiers = load_tiers(Settings().tiers_file)
    engine = StubEngine('{"name": "restaurants.book", "arguments": {"name": "Sushi Ran"}}')
    forced = Classification(complexity=0, reason="test", forced=True)
    message = ClassifiedRequest(request=request(), tier="large", classification=forced, received_at_ms=0)
    draft = first_draft(message, engine, tiers["large"], shortlist)
    [(messages, decoded, _)] = engine.calls
    offered = [branch["properties"]["name"]["const"] for branch in decoded["anyOf"]]
    assert offered == shortlist.calls(message.request) and "alarm.set" not in offered
    assert "Sets an alarm" not in str(messages)  # neither its tool nor its menu line is read
    assert draft.output == {"restaurants.book": {"name": "Sushi Ran"}}
    assert draft.ledger.entries[-1].note == f"{len(offered)} of 4 calls; as a tool call"
    whole = first_draft(message, StubEngine(engine.replies[0]), tiers["large"])  # no shortlist: the whole menu
    assert whole.ledger.entries[-1].note == "as a tool call"
