"""The refiner with the real small model: only the failing segment is regenerated."""

from schemas import Critique, GenerationRequest, Ledger, Verdict
from services.refiner.rounds import refine
from tests.conftest import SMALL as TIER
from tests.conftest import make_request


def test_refiner_regenerates_only_the_failing_segment(engine) -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string", "maxLength": 30},
            "forecast": {
                "type": "object",
                "properties": {
                    "days": {"type": "integer", "minimum": 1, "maximum": 7},
                    "unit": {"type": "string", "enum": ["C", "F"]},
                },
            },
        },
    }
    request = GenerationRequest.model_validate(
        make_request(prompt="Forecast for Porto for the next 3 days in C.", schema=schema, budget={"max_tokens": 3000})
    )
    output = {"city": "Porto", "forecast": {"days": 40, "unit": "C"}}
    critique = Critique(
        request=request,
        tier="small",
        ledger=Ledger(),
        received_at_ms=0,
        round=0,
        output=output,
        verdicts=[Verdict(pointer="/forecast/days", kind="schema", message="maximum: 40 is greater than 7")],
    )
    draft = refine(critique, engine, TIER)
    assert draft.round == 1
    assert draft.output["city"] == "Porto" and draft.output["forecast"]["unit"] == "C"
    assert isinstance(draft.output["forecast"]["days"], int)
    [entry] = draft.ledger.entries
    assert entry.stage == "refiner" and entry.note == "/forecast/days" and entry.round == 1
    assert entry.output_tokens <= 20  # a bare integer, not a whole object
