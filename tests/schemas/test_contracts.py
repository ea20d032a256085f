import orjson
import pytest
from pydantic import ValidationError

from schemas import (
    Classification,
    ClassifiedRequest,
    Critique,
    Draft,
    GenerationRequest,
    Ledger,
    LedgerEntry,
    Result,
    ResultStatus,
    Verdict,
    decode,
    encode,
)
from schemas.export import rendered
from tests.conftest import make_request


def test_request_round_trips_with_schema_alias() -> None:
    request = GenerationRequest.model_validate(make_request())
    data = orjson.loads(encode(request))
    assert "schema" in data and "json_schema" not in data
    assert decode(GenerationRequest, encode(request)) == request


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"prompt": "   "}, "prompt has no visible character"),
        ({"prompt": ""}, "prompt"),
        ({"budget": {"max_tokens": 0}}, "budget.max_tokens"),
        ({"budget": {"max_tokens": -5}}, "budget.max_tokens"),
        ({"schema": {"type": "strng"}}, "invalid JSON Schema"),
        ({"schema": {"properties": {"a": {"minLength": -1}}}}, "invalid JSON Schema"),
        ({"id": ""}, "id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_requests_are_rejected(override: dict, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        GenerationRequest.model_validate(make_request(**override))
    assert fragment in str(info.value)


def test_ledger_totals_per_stage() -> None:
    ledger = Ledger()
    ledger = ledger.add(LedgerEntry(stage="generator", input_tokens=100, output_tokens=20, cost=0.5, duration_ms=10))
    ledger = ledger.add(LedgerEntry(stage="refiner", round=1, input_tokens=50, output_tokens=5, cost=0.25))
    ledger = ledger.add(LedgerEntry(stage="refiner", round=2, input_tokens=50, output_tokens=5, cost=0.25))
    assert ledger.tokens == 230
    assert ledger.cost == 1.0
    assert ledger.by_stage["refiner"]["input_tokens"] == 100
    dumped = orjson.loads(orjson.dumps(ledger.model_dump(mode="json")))
    assert dumped["tokens"] == 230 and Ledger.model_validate(dumped) == ledger


def test_internal_messages_round_trip() -> None:
    request = GenerationRequest.model_validate(make_request())
    classified = ClassifiedRequest(
        request=request, tier="small", received_at_ms=1, classification=Classification(complexity=0.1, reason="x")
    )
    draft = Draft(**dict(classified), round=0, output={"greeting": "hi"}, text='{"greeting": "hi"}')
    critique = Critique(**dict(draft), verdicts=[Verdict(pointer="/greeting", kind="schema", message="bad")])
    for message in (classified, draft, critique):
        assert decode(type(message), encode(message)) == message
    result = Result(id="r-1", status=ResultStatus.accepted, output={"greeting": "hi"})
    assert decode(Result, encode(result)).status is ResultStatus.accepted


def test_exported_schemas_are_current() -> None:
    from schemas.export import OUT

    for name, data in rendered().items():
        assert (OUT / name).read_bytes() == data, f"{name} is stale: run make schemas"
