import pytest

from schemas import GenerationRequest, Ledger, LedgerEntry
from services.inference.budget import BudgetExceeded, plan_call
from services.inference.tiers import load_tiers
from services.settings import Settings
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
