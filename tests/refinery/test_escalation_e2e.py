"""Cascade escalation over the real broker with the real models: a small-tier draft the verifier doubts is
generated again on the medium tier (Qwen2.5-Coder-0.5B), every tier's tokens on one ledger, the budget a
ceiling across tiers. The router is pinned to the cheapest tier and the small tier made maximally
doubtful (threshold 0), so the path is deterministic; what the thresholds should be is bench/ladder.py's."""

import asyncio
import re

import orjson
import pytest

from refinery.client import run_batch
from refinery.devstack.stack import Stack
from schemas import ResultStatus
from services.settings import Settings

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
    lines = Settings().tiers_file.read_text().splitlines(keepends=True)
    tiers = "".join(line for line in lines if not line.startswith("verify_min_logprob"))  # none but ours
    small = tiers.index('name = "small"')
    tiers = tiers[:small] + "verify_min_logprob = 0.0\n" + tiers[small:]  # every small draft with a choice is doubted
    (workdir / "tiers.toml").write_text(tiers)
    env = {"REFINERY_TIERS_FILE": str(workdir / "tiers.toml"), "REFINERY_ROUTER_COST_WEIGHT": "100"}
    with Stack(workdir, env=env) as running:
        running.start()
        yield running


def test_a_doubted_draft_climbs_a_tier_and_the_budget_holds(doubting_stack: Stack) -> None:
    settings = Settings(bootstrap_servers=doubting_stack.bootstrap)
    roomy = {"id": "climb", "prompt": PROMPT, "schema": SCHEMA, "budget": {"max_tokens": 2000}}
    tight = {**roomy, "id": "tight", "budget": {"max_tokens": 200}}  # the small draft fits, a second one does not
    forced = {**roomy, "id": "forced", "tier": "small"}
    results = asyncio.run(run_batch([orjson.dumps(r) for r in (roomy, tight, forced)], settings, 300))
    climbed, poor, pinned = results

    assert climbed.status == ResultStatus.accepted and climbed.tier == "medium" and climbed.escalations == 1
    generators = [e.model for e in climbed.ledger.entries if e.stage == "generator"]
    assert generators == ["SmolLM2-135M-Instruct-Q4_1", "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M"]
    critic_checks = [e.model for e in climbed.ledger.entries if e.stage == "critic"]
    assert critic_checks[0].endswith("+confidence")
    assert climbed.output["days"] == 3 and climbed.output["city"].startswith("Lisbo")  # Qwen may say "Lisboa"
    assert climbed.ledger.tokens <= 2000

    assert poor.status == ResultStatus.budget_exhausted and poor.ledger.tokens <= 200
    assert re.search(r"escalating to medium needs", poor.verdicts[-1].message)

    assert pinned.tier == "small" and pinned.escalations == 0  # a forced tier is never escalated
    assert pinned.status == ResultStatus.rejected and pinned.verdicts[-1].kind == "semantic"
