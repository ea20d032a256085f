"""Real model (SmolLM2-135M via llama.cpp), no broker: engine, generator and refiner logic."""

import pytest

from schemas import Classification, ClassifiedRequest, Critique, GenerationRequest, Ledger, Verdict
from services.inference.engines.registry import build_engine
from services.inference.tiers import load_tiers
from services.refiner.rounds import refine
from services.settings import Settings
from tests.conftest import make_request

SETTINGS = Settings(model_threads=2)
TIER = load_tiers(SETTINGS.tiers_file)["small"]


@pytest.fixture(scope="module")
def engine():
    return build_engine(TIER, SETTINGS)


def classified(raw: dict) -> ClassifiedRequest:
    request = GenerationRequest.model_validate(raw)
    return ClassifiedRequest(
        request=request, tier="small", received_at_ms=0, classification=Classification(complexity=0, reason="test")
    )


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
