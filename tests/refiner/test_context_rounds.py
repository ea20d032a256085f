"""Refinement from a context with the real model: values the context settles, stated values the rules
allow, values copied between fields, names the context states."""

from schemas import Critique, GenerationRequest, Ledger
from services.critic.grounding import GroundingChecker
from services.critic.validators import check_draft
from services.inference.encoder import SentenceEncoder
from services.refiner.rounds import refine
from tests.conftest import make_request
from tests.refiner.conftest import TIER

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
