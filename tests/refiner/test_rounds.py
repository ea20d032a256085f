"""Refiner logic with the real model: deterministic repairs, budget exhaustion mid-loop, nested patches."""

import re

from schemas import Critique, GenerationRequest, Ledger, LedgerEntry, Verdict
from services.critic.validators import check_draft
from services.refiner.rounds import refine
from tests.conftest import make_request
from tests.refiner.conftest import TIER

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
    assert full_is_cheaper(many, output, [plan_segment(many, output, p) for p in pointers], engine, TIER)
    draft = refine(many, engine, TIER)
    [entry] = draft.ledger.entries
    assert entry.note == "/"  # one whole regeneration, not a joint call for seven segments
    few = critique(output, verdicts[:3])
    assert not full_is_cheaper(few, output, [plan_segment(few, output, p) for p in pointers[:3]], engine, TIER)
    grounded = critique(output, [v.model_copy(update={"kind": "grounding"}) for v in verdicts])
    assert not full_is_cheaper(grounded, output, [plan_segment(grounded, output, p) for p in pointers], engine, TIER)


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


def test_a_value_written_unlike_its_descriptions_example_is_rewritten_in_its_shape(engine) -> None:
    """Told "'Chicago' is not written like 'New York, NY'", a model may write "Chicago" again; decoded under
    the example's shape it cannot (small tier: the constraint, not the model, is under test)."""
    city = {"type": "string", "description": "The city for the weather, such as 'New York, NY'."}
    schema = {"type": "object", "properties": {"city": city, "date": {"type": "string"}}, "required": ["city"]}
    prompt = "How's the weather in Chicago on 2023-01-01?\nGive the arguments for calling weather: Weather."
    request = GenerationRequest.model_validate(make_request(prompt=prompt, schema=schema))
    draft = Critique(
        request=request,
        tier="small",
        ledger=Ledger(),
        received_at_ms=0,
        output={"city": "Chicago", "date": "2023-01-01"},
        verdicts=[],
    )
    before = draft.model_copy(update={"verdicts": check_draft(draft)})
    assert [(v.pointer, v.code) for v in before.verdicts] == [("/city", "described")]
    refined = refine(before, engine, TIER)
    assert re.fullmatch(r"[^,]+, [A-Z]{2}", refined.output["city"]), refined.output
    assert refined.output["date"] == "2023-01-01"
