"""Refiner logic with the real model: deterministic repairs, budget exhaustion mid-loop, nested patches."""

import pytest

from schemas import Critique, GenerationRequest, Ledger, LedgerEntry, Verdict
from services.critic.encoder import SentenceEncoder
from services.critic.grounding import GroundingChecker
from services.critic.validators import check_draft
from services.inference.engines.registry import build_engine
from services.inference.tiers import load_tiers
from services.refiner.rounds import refine
from services.settings import Settings
from tests.conftest import make_request

SETTINGS = Settings(model_threads=2)
TIER = load_tiers(SETTINGS.tiers_file)["small"]
SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 30},
        "rooms": {
            "type": "array",
            "maxItems": 3,
            "items": {
                "type": "object",
                "properties": {
                    "floor": {"type": "integer", "minimum": 0, "maximum": 9},
                    "label": {"type": "string", "maxLength": 10},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def engine():
    return build_engine(TIER, SETTINGS)


def critique(output: dict, verdicts: list[Verdict], max_tokens: int = 4000, used: int = 0) -> Critique:
    request = GenerationRequest.model_validate(
        make_request(
            prompt="A house named Elm with two rooms.", creative=True, schema=SCHEMA, budget={"max_tokens": max_tokens}
        )
    )
    ledger = Ledger().add(LedgerEntry(stage="generator", input_tokens=used, output_tokens=0)) if used else Ledger()
    return Critique(request=request, tier="small", ledger=ledger, received_at_ms=0, output=output, verdicts=verdicts)


def test_extra_properties_are_dropped_without_the_model(engine) -> None:
    output = {"name": "Elm", "colour": "red", "rooms": [{"floor": 1, "label": "a", "area": 12}]}
    draft_verdicts = check_draft(critique(output, []).model_copy(update={"round": 0}))
    assert {v.code for v in draft_verdicts} == {"additionalProperties"}
    draft = refine(critique(output, draft_verdicts), engine, TIER)
    assert draft.output == {"name": "Elm", "rooms": [{"floor": 1, "label": "a"}]}
    assert draft.ledger.entries == []  # zero tokens spent


def test_only_the_failing_array_element_is_regenerated(engine) -> None:
    output = {"name": "Elm", "rooms": [{"floor": 1, "label": "hall"}, {"floor": 42, "label": "attic"}]}
    verdicts = [
        Verdict(pointer="/rooms/1/floor", kind="schema", message="maximum: 42 is greater than 9", code="maximum")
    ]
    draft = refine(critique(output, verdicts), engine, TIER)
    assert draft.output["rooms"][0] == {"floor": 1, "label": "hall"}
    assert draft.output["rooms"][1]["label"] == "attic" and isinstance(draft.output["rooms"][1]["floor"], int)
    assert [e.note for e in draft.ledger.entries] == ["/rooms/1/floor"]


def test_failing_segments_are_regenerated_together_in_one_call(engine) -> None:
    output = {"name": "Elm", "rooms": [{"floor": 40, "label": "hall"}, {"floor": 1, "label": "k"}, {"floor": 41}]}
    verdicts = [Verdict(pointer=f"/rooms/{i}/floor", kind="schema", message="too high", code="maximum") for i in (0, 2)]
    draft = refine(critique(output, verdicts), engine, TIER)
    [entry] = draft.ledger.entries  # one call for both segments
    assert entry.note == "/rooms/0/floor, /rooms/2/floor"
    rooms = draft.output["rooms"]
    assert all(isinstance(rooms[i]["floor"], int) and 0 <= rooms[i]["floor"] <= 9 for i in (0, 2))
    assert rooms[0]["label"] == "hall" and rooms[1] == {"floor": 1, "label": "k"}  # passing segments untouched
    assert check_draft(draft) == []


def test_budget_splits_the_joint_call_then_stops_and_is_never_exceeded(engine) -> None:
    output = {"name": "Elm", "rooms": [{"floor": 40, "label": "a"}, {"floor": 41, "label": "b"}]}
    verdicts = [Verdict(pointer=f"/rooms/{i}/floor", kind="schema", message="too high", code="maximum") for i in (0, 1)]
    single = refine(critique(output, verdicts[:1]), engine, TIER)
    one_call = single.ledger.tokens
    # room for one segment's own call, not for the joint call nor a second one
    tight = refine(critique(output, verdicts, max_tokens=100 + one_call + 20, used=100), engine, TIER)
    assert [e.note for e in tight.ledger.entries[1:]] == ["/rooms/0/floor"]
    assert tight.ledger.tokens <= 100 + one_call + 20
    assert 0 <= tight.output["rooms"][0]["floor"] <= 9
    assert tight.output["rooms"][1]["floor"] == 41  # left as it was: the budget could not cover it


def test_many_failing_segments_fall_back_to_one_cheaper_full_regeneration(engine) -> None:
    from services.refiner.rounds import full_is_cheaper
    from services.refiner.segment_asks import plan_segment

    output = {"name": "Elm", "rooms": [{"floor": 40 + i, "label": "x"} for i in range(3)]}
    pointers = ["/name", *(f"/rooms/{i}/{key}" for i in range(3) for key in ("floor", "label"))]
    verdicts = [Verdict(pointer=p, kind="schema", message="wrong", code="maximum") for p in pointers]
    many = critique(output, verdicts)
    assert full_is_cheaper(many, output, [plan_segment(many, output, p) for p in pointers], engine)
    draft = refine(many, engine, TIER)
    [entry] = draft.ledger.entries
    assert entry.note == "/"  # one whole regeneration, not a joint call for seven segments
    few = critique(output, verdicts[:3])
    assert not full_is_cheaper(few, output, [plan_segment(few, output, p) for p in pointers[:3]], engine)
    grounded = critique(output, [v.model_copy(update={"kind": "grounding"}) for v in verdicts])
    assert not full_is_cheaper(grounded, output, [plan_segment(grounded, output, p) for p in pointers], engine)


def test_ungrounded_optional_and_undeclared_values_are_omitted_without_the_model(engine) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city", "days"],
    }
    request = GenerationRequest.model_validate(
        make_request(prompt="Weather", schema=schema, context="Porto, for 3 days.", budget={"max_tokens": 4000})
    )
    output = {"city": "Porto", "unit": "kelvin", "days": 3, "properties": {"type": "integer", "description": "x"}}
    verdicts = [
        Verdict(pointer=p, kind="grounding", message="not supported by the context", code="grounding")
        for p in ("/unit", "/properties/type", "/properties/description")
    ]
    draft = refine(
        Critique(request=request, tier="small", ledger=Ledger(), received_at_ms=0, output=output, verdicts=verdicts),
        engine,
        TIER,
    )
    assert draft.output == {"city": "Porto", "days": 3}
    assert draft.ledger.entries == []


GROUNDING = GroundingChecker(SentenceEncoder(threads=2))


def context_critique(schema: dict, context: str, output: dict, rules: list[str] | None = None) -> Critique:
    request = GenerationRequest.model_validate(
        make_request(
            prompt="Extract the fields.", schema=schema, context=context, rules=rules or [], budget={"max_tokens": 4000}
        )
    )
    draft = Critique(request=request, tier="small", ledger=Ledger(), received_at_ms=0, output=output, verdicts=[])
    return draft.model_copy(update={"verdicts": [v for v in check_draft(draft, GROUNDING) if v.severity == "error"]})


MEETING = {
    "type": "object",
    "required": ["date", "contact", "start", "end"],
    "properties": {
        "date": {"type": "string", "format": "date"},
        "contact": {"type": "string", "format": "email"},
        "start": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
        "end": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
        "radius": {"type": "integer"},
    },
}
MINUTES = "Met on 14 March 2025 (write to ops@harbour.example), from 09:00 to 10:30, within a radius of 4 miles."


def test_values_the_context_settles_are_fixed_without_the_model(engine) -> None:
    """A bad format, a broken rule and an ungrounded number, each with one stated value that fits (the
    rule and the field's name decide between several), cost no tokens."""
    output = {"date": "14th of March", "contact": "ops at harbour", "start": "09:00", "end": "08:30", "radius": 7}
    before = context_critique(MEETING, MINUTES, output, rules=["end > start"])
    assert {(v.pointer, v.kind) for v in before.verdicts} == {
        ("/date", "format"),
        ("/contact", "format"),
        ("/end", "consistency"),
        ("/radius", "grounding"),
    }
    draft = refine(before, engine, TIER)
    assert draft.output == {
        "date": "2025-03-14",
        "contact": "ops@harbour.example",
        "start": "09:00",
        "end": "10:30",
        "radius": 4,
    }
    assert draft.ledger.entries == []
    assert check_draft(draft, GROUNDING) == []


def test_the_model_chooses_among_stated_values_that_keep_the_rules(engine) -> None:
    schema = {"type": "object", "properties": {"failures": {"type": "integer", "minimum": 0}}, "required": ["failures"]}
    context = "Ticket 8812: the export job failed twice on 2025-02-03, after 3 retries 25 minutes apart."
    before = context_critique(schema, context, {"failures": 0}, rules=["failures >= 1", "failures < 100"])
    assert [(v.pointer, v.kind) for v in before.verdicts] == [("/failures", "consistency")]
    draft = refine(before, engine, TIER)
    [entry] = draft.ledger.entries  # several stated values keep the rules: the model picks one of them
    assert entry.note == "/failures"
    assert draft.output["failures"] in {2, 3, 25}  # stated, and 1 <= value < 100
    assert check_draft(draft, GROUNDING) == []


def test_free_text_with_a_bad_length_is_left_to_an_open_decode(engine) -> None:
    from services.refiner.segment_asks import Segment, plan_segment

    schema = {"type": "object", "properties": {"summary": {"type": "string", "maxLength": 20}}}
    before = context_critique(schema, "The export job failed twice.", {"summary": "x" * 30})
    planned = plan_segment(before, before.output, "/summary")
    assert planned == Segment("/summary", {"type": "string", "maxLength": 20})  # not limited to stated phrases


def test_a_value_another_field_holds_is_neither_forced_on_an_optional_field_nor_offered_first(engine) -> None:
    from services.refiner.segment_asks import plan_segment

    schema = {
        "type": "object",
        "properties": {"time": {"type": "integer"}, "gravity": {"type": "number"}, "num": {"type": "integer"}},
        "required": ["time", "num"],
    }
    context = "An object falls for 5 seconds; the two numbers are 40 and 50."
    before = context_critique(schema, context, {"time": 5, "gravity": 1.5, "num": 7})
    assert {v.pointer for v in before.verdicts} == {"/gravity", "/num"}
    draft = refine(before, engine, TIER)
    assert "gravity" not in draft.output  # 5 is the time, not the gravity: the optional field is omitted
    assert plan_segment(before, {"time": 5, "num": 7, "other": 2}, "/num").schema["enum"] == [40, 50]
    assert draft.output["num"] in {2, 40, 50}  # stated ("two" included), and not the 5 the time holds


def test_a_value_is_taken_only_when_other_fields_hold_it_as_often_as_the_context_states_it() -> None:
    from services.documents.context_values import untaken

    output = {"width": 5, "height": 7}
    assert untaken([5, 2024], output, "/height", "A 5 cm square, made in 2024.") == [2024]
    assert untaken([5, 2024], output, "/height", "A 5 by 5 square, made in 2024.") == [5, 2024]
    assert untaken([5], output, "/height", "A 5 cm square.") == []


def test_a_value_copied_from_another_field_is_replaced_by_the_one_named_for_this_field(engine) -> None:
    schema = {
        "type": "object",
        "properties": {"invoice_number": {"type": "string", "maxLength": 32}, "total": {"type": "number"}},
        "required": ["invoice_number", "total"],
    }
    context = "INVOICE No. INV-2024-0042\nBilled to: Ada Lovelace\nTotal due: 120.00 GBP by 31 March 2025."
    before = context_critique(schema, context, {"invoice_number": "120.00", "total": 120.0})
    assert [(v.pointer, v.kind) for v in before.verdicts] == [("/invoice_number", "grounding")]
    draft = refine(before, engine, TIER)
    assert draft.output == {"invoice_number": "INV-2024-0042", "total": 120.0}  # "No." names it
    assert draft.ledger.entries == []
    assert check_draft(draft, GROUNDING) == []


def test_values_the_field_names_settle_even_when_another_failing_field_holds_them(engine) -> None:
    schema = {"type": "object", "properties": {k: {"type": "integer"} for k in "abc"}, "required": ["a", "b", "c"]}
    before = context_critique(schema, "Solve a quadratic equation where a=2, b=6, and c=5", {"a": 1, "b": 2, "c": 5})
    assert {v.pointer for v in before.verdicts} == {"/a", "/b"}
    draft = refine(before, engine, TIER)  # b's wrong 2 does not make a's named 2 taken
    assert draft.output == {"a": 2, "b": 6, "c": 5}
    assert draft.ledger.entries == []
    swapped = {"type": "object", "properties": {"inductance": {"type": "number"}, "capacitance": {"type": "number"}}}
    context = "Resonant frequency of an LC circuit given capacitance of 100µF and inductance of 50mH."
    draft = refine(context_critique(swapped, context, {"inductance": 100, "capacitance": 50}), engine, TIER)
    assert draft.output == {"inductance": 50, "capacitance": 100}


def test_a_wrong_name_is_replaced_by_the_one_stated_name_no_passing_field_holds(engine) -> None:
    schema = {
        "type": "object",
        "properties": {k: {"type": "string"} for k in ("id", "origin", "destination")},
        "required": ["id", "origin", "destination"],
    }
    context = "Shipment SH-204 left Rotterdam on 2025-01-20 bound for Lisbon. Contact: ops@harbour.example."
    before = context_critique(schema, context, {"id": "SH-204", "origin": "Rotterdam", "destination": "Hamburg"})
    assert [(v.pointer, v.kind) for v in before.verdicts] == [("/destination", "grounding")]
    draft = refine(before, engine, TIER)  # "Shipment SH-204" holds the id, Rotterdam is the origin
    assert draft.output["destination"] == "Lisbon"
    assert draft.ledger.entries == []


def test_items_repeating_in_a_decoding_loop_are_dropped_without_the_model(engine) -> None:
    schema = {
        "type": "object",
        "properties": {"attendees": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
    }
    output = {"attendees": ["Grace", "2025-06-12T15:00", "2025-06-12T15:00", "2025-06-12T15:00"]}
    request = GenerationRequest.model_validate(
        make_request(prompt="Retro on 2025-06-12T15:00 with Grace.", schema=schema, budget={"max_tokens": 4000})
    )
    draft = Critique(request=request, tier="small", ledger=Ledger(), received_at_ms=0, output=output, verdicts=[])
    before = draft.model_copy(update={"verdicts": [v for v in check_draft(draft) if v.severity == "error"]})
    assert [v.pointer for v in before.verdicts] == ["/attendees/2", "/attendees/3"]
    refined = refine(before, engine, TIER)
    assert refined.output == {"attendees": ["Grace", "2025-06-12T15:00"]}
    assert refined.ledger.entries == []
    assert check_draft(refined) == []


def test_a_field_the_request_asks_for_and_the_draft_left_out_is_generated_alone(engine) -> None:
    schema = {
        "type": "object",
        "properties": {"player": {"type": "string"}, "ace_value": {"type": "integer", "minimum": 1, "maximum": 11}},
        "required": ["player"],
    }
    prompt = "Score the hand of player Ann. The Ace counts as 1.\nGive the arguments for calling score: Scores."
    request = GenerationRequest.model_validate(make_request(prompt=prompt, schema=schema))
    draft = Critique(
        request=request, tier="small", ledger=Ledger(), received_at_ms=0, output={"player": "Ann"}, verdicts=[]
    )
    before = draft.model_copy(update={"verdicts": check_draft(draft)})
    assert [(v.pointer, v.code) for v in before.verdicts] == [("/ace_value", "asked")]
    refined = refine(before, engine, TIER)
    assert refined.output["player"] == "Ann" and isinstance(refined.output["ace_value"], int)
    assert [e.stage for e in refined.ledger.entries] == ["refiner"]  # one call, for that value alone
