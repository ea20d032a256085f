import pytest
from jsonschema.validators import validator_for

from schemas import GenerationRequest, Ledger, LedgerEntry
from services.client.datasets import bfcl_correct, bfcl_requests
from services.common.budget import BudgetExceeded, plan_call
from services.common.settings import Settings
from services.common.tiers import load_tiers
from tests.conftest import make_request

TIER = next(iter(load_tiers(Settings().tiers_file).values()))


def test_plan_call_caps_new_tokens_at_the_budget() -> None:
    request = GenerationRequest.model_validate(make_request(budget={"max_tokens": 300}))
    ledger = Ledger().add(LedgerEntry(stage="generator", input_tokens=150, output_tokens=50))
    assert plan_call(request, ledger, TIER, input_tokens=60, wanted_new=384) == 40
    with pytest.raises(BudgetExceeded):
        plan_call(request, ledger, TIER, input_tokens=95, wanted_new=384)


def test_plan_call_respects_max_cost() -> None:
    request = GenerationRequest.model_validate(make_request(budget={"max_tokens": 10_000, "max_cost": 1e-9}))
    with pytest.raises(BudgetExceeded, match="max_cost"):
        plan_call(request, Ledger(), TIER, input_tokens=100, wanted_new=100)


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
