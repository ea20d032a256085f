"""Refiner logic with the real model: deterministic repairs, budget exhaustion mid-loop, nested patches."""

import pytest

from schemas import Critique, GenerationRequest, Ledger, LedgerEntry, Verdict
from services.common.engines.registry import build_engine
from services.common.settings import Settings
from services.common.tiers import load_tiers
from services.critic.validators import check_draft
from services.refiner.logic import refine
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
        make_request(prompt="A house named Elm with two rooms.", schema=SCHEMA, budget={"max_tokens": max_tokens})
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


def test_budget_stops_refinement_mid_loop_and_is_never_exceeded(engine) -> None:
    output = {"name": "Elm", "rooms": [{"floor": 40, "label": "a"}, {"floor": 41, "label": "b"}]}
    verdicts = [Verdict(pointer=f"/rooms/{i}/floor", kind="schema", message="too high", code="maximum") for i in (0, 1)]
    roomy = refine(critique(output, verdicts), engine, TIER)
    one_call = roomy.ledger.entries[0].input_tokens + roomy.ledger.entries[0].output_tokens
    # room for the first segment's call but not the second
    tight = refine(critique(output, verdicts, max_tokens=100 + one_call + 20, used=100), engine, TIER)
    assert len(tight.ledger.entries) == 2  # the prior usage + one refiner call
    assert tight.ledger.tokens <= 100 + one_call + 20
    assert tight.output["rooms"][1]["floor"] == 41  # left as it was: the budget could not cover it


def test_many_failing_segments_fall_back_to_one_cheaper_full_regeneration(engine) -> None:
    from services.refiner.logic import full_is_cheaper

    output = {"name": "Elm", "rooms": [{"floor": 40 + i, "label": "x"} for i in range(3)]}
    verdicts = [
        Verdict(pointer=f"/rooms/{i}/floor", kind="schema", message="too high", code="maximum") for i in range(3)
    ]
    many = critique(output, verdicts)
    assert full_is_cheaper(many, output, [v.pointer for v in verdicts], engine)
    draft = refine(many, engine, TIER)
    [entry] = draft.ledger.entries
    assert entry.note == "/"  # one whole regeneration, not three segment calls
    one = critique(output, verdicts[:1])
    assert not full_is_cheaper(one, output, ["/rooms/0/floor"], engine)
    grounded = critique(output, [v.model_copy(update={"kind": "grounding"}) for v in verdicts])
    assert not full_is_cheaper(grounded, output, [v.pointer for v in verdicts], engine)
