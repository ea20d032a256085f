from jsonschema.validators import validator_for

from schemas import GenerationRequest
from services.documents.bfcl import bfcl_correct, bfcl_requests
from services.documents.bfcl_answers import mismatched_keys
from services.inference.tiers import load_tiers
from services.settings import Settings

TIER = next(iter(load_tiers(Settings().tiers_file).values()))


def test_bfcl_tasks_become_valid_requests(shared_data) -> None:
    requests = bfcl_requests(root=shared_data)
    assert len(requests) == 400
    for raw in requests:
        request = GenerationRequest.model_validate(raw)
        validator_for(request.json_schema).check_schema(request.json_schema)
        assert "dict" not in str(request.json_schema.get("type"))


def test_bfcl_scoring_rule() -> None:
    truth = [{"f": {"base": [10], "unit": ["units", ""]}}]
    assert bfcl_correct({"base": 10}, truth)
    assert bfcl_correct({"base": 10, "unit": "units"}, truth)
    assert not bfcl_correct({"base": 11}, truth)
    assert not bfcl_correct({"unit": "units"}, truth)
    assert not bfcl_correct({"base": 10, "extra": 1}, truth)


def test_the_keys_a_call_gets_wrong_are_named() -> None:
    expected = {"city": ["Chicago"], "unit": ["", "celsius"], "days": [3]}
    assert mismatched_keys({"city": "Chicago", "days": 3}, expected) == set()
    assert mismatched_keys({"city": "Boston", "unit": "kelvin", "extra": 1}, expected) == {
        "city",
        "unit",
        "days",
        "extra",
    }
