"""Cascade escalation over the real broker with the real models: a small-tier draft the verifier doubts is
generated again on the medium tier (Qwen2.5-Coder-0.5B), every tier's tokens on one ledger, the budget a
ceiling across tiers; a budget that pays for one draft only starts it on the top tier. The router is
pinned to the cheapest tier and the small tier made maximally doubtful (threshold 0), so the path is
deterministic; what the thresholds should be is bench/ladder.py's."""

import asyncio
import re

import orjson
import pytest

from refinery.client import run_batch
from refinery.devstack.stack import Stack
from schemas import ResultStatus
from services.settings import Settings
from tests.refinery.tier_settings import tiers_file

pytestmark = pytest.mark.broker

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 30}, "days": {"type": "integer"}},
    "required": ["city", "days"],
}
PROMPT = "Plan a trip: 3 days in Lisbon. Give the city and the number of days."


@pytest.fixture(scope="module")
def doubting_stack(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("escalation")
    # every small draft with a choice is doubted: it climbs
    tiers = tiers_file(workdir, {"small": {"verify_min_logprob": 0.0}})
    env = {"REFINERY_TIERS_FILE": str(tiers), "REFINERY_ROUTER_COST_WEIGHT": "100"}
    with Stack(workdir, env=env) as running:
        running.start()
        yield running


def test_a_doubted_draft_climbs_a_tier_and_the_budget_holds(doubting_stack: Stack) -> None:
    settings = Settings(bootstrap_servers=doubting_stack.bootstrap)
    roomy = {"id": "climb", "prompt": PROMPT, "schema": SCHEMA, "budget": {"max_tokens": 2000}}
    # the small draft fits, a second one does not; the router, knowing that, would start on the top tier:
    # a cost ceiling (set high) keeps it on its pick, so the climb is what the budget stops
    tight = {**roomy, "id": "tight", "budget": {"max_tokens": 200, "max_cost": 1.0}}
    one_shot = {**roomy, "id": "one-shot", "budget": {"max_tokens": 200}}
    forced = {**roomy, "id": "forced", "tier": "small"}
    results = asyncio.run(run_batch([orjson.dumps(r) for r in (roomy, tight, one_shot, forced)], settings, 300))
    climbed, poor, top, pinned = results

    assert climbed.status == ResultStatus.accepted and climbed.tier == "medium" and climbed.escalations == 1
    generators = [e.model for e in climbed.ledger.entries if e.stage == "generator"]
    assert generators == ["SmolLM2-135M-Instruct-Q4_1", "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M"]
    critic_checks = [e.model for e in climbed.ledger.entries if e.stage == "critic"]
    assert critic_checks[0].endswith("+confidence")
    assert climbed.output["days"] == 3 and climbed.output["city"].startswith("Lisbo")  # Qwen may say "Lisboa"
    assert climbed.ledger.tokens <= 2000

    assert poor.status == ResultStatus.budget_exhausted and poor.ledger.tokens <= 200
    assert re.search(r"escalating to medium needs", poor.verdicts[-1].message)

    assert top.tier == "large" and top.escalations == 0 and top.ledger.tokens <= 200
    assert [e.stage for e in top.ledger.entries].count("generator") == 1
    assert top.status in (ResultStatus.accepted, ResultStatus.budget_exhausted)  # unverified if unsure

    assert pinned.tier == "small" and pinned.escalations == 0  # a forced tier is never escalated
    assert pinned.status == ResultStatus.rejected and pinned.verdicts[-1].kind == "semantic"
