"""The second opinion over the real broker with a real model: a medium-tier draft (Qwen2.5-Coder-0.5B)
about to be accepted is drafted again with the schema reordered, and the Result comes only after both
drafts were compared, every token of both on its ledger; a budget that cannot pay for the second draft
ends unverified (budget_exhausted, the draft kept). The medium tier is made to ask for every draft with a
choice (below 0) and the request is pinned to it, so the path is deterministic; what the band should be is
bench/second_opinion.py's."""

import asyncio

import orjson
import pytest

from refinery.client import run_batch
from refinery.devstack.stack import Stack
from schemas import ResultStatus
from services.settings import Settings
from tests.refinery.test_escalation_e2e import PROMPT, SCHEMA  # the same trip request
from tests.refinery.tier_settings import tiers_file

pytestmark = pytest.mark.broker

MEDIUM = "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M"


@pytest.fixture(scope="module")
def asking_stack(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("second-opinion")
    # every medium draft with a choice asks for a second opinion; no draft is doubted for its confidence
    tiers = tiers_file(workdir, {"medium": {"second_opinion_below": 0.0}}, cleared=("verify_min_logprob",))
    with Stack(workdir, env={"REFINERY_TIERS_FILE": str(tiers)}) as running:
        running.start()
        yield running


def test_an_answer_is_accepted_only_after_a_second_draft_agrees(asking_stack: Stack) -> None:
    settings = Settings(bootstrap_servers=asking_stack.bootstrap)
    roomy = {"id": "second", "prompt": PROMPT, "schema": SCHEMA, "budget": {"max_tokens": 2000}, "tier": "medium"}
    tight = {**roomy, "id": "one-only", "budget": {"max_tokens": 200}}  # one draft fits, a second does not
    asked, poor = asyncio.run(run_batch([orjson.dumps(r) for r in (roomy, tight)], settings, 300))

    assert [e.model for e in asked.ledger.entries if e.stage == "generator"] == [MEDIUM, MEDIUM]
    assert asked.ledger.entries[-1].model.endswith("+second-opinion")
    if asked.status == ResultStatus.accepted:  # the model answered the same in both orders
        assert asked.output["days"] == 3 and asked.output["city"].startswith("Lisbo") and asked.verdicts == []
    else:  # a forced tier has nowhere to climb: a disagreement is an honest rejection
        assert asked.status == ResultStatus.rejected and asked.verdicts[-1].code == "disagreed"

    assert poor.status == ResultStatus.budget_exhausted and poor.ledger.tokens <= 200 and poor.output is not None
    assert [e.stage for e in poor.ledger.entries].count("generator") == 1
    assert poor.verdicts[-1].message.startswith("unverified") and poor.verdicts[-1].kind == "budget"
