"""The critic's step: check a draft, charge the check to its ledger, decide what happens to it."""

import time
from dataclasses import dataclass

from schemas import Draft, LedgerEntry, Verdict
from services.critic.decide import Decision, decide
from services.critic.grounding import GroundingChecker
from services.critic.validators import check_draft


@dataclass(frozen=True)
class Review:
    draft: Draft  # with the critic's ledger entry
    verdicts: list[Verdict]
    decision: Decision


def review(draft: Draft, grounding: GroundingChecker | None, max_rounds: int) -> Review:
    started = time.perf_counter()
    verdicts = check_draft(draft, grounding)
    model = "validators+all-MiniLM-L6-v2-int8" if draft.request.context and grounding else "validators"
    entry = LedgerEntry(
        stage="critic", round=draft.round, model=model, duration_ms=(time.perf_counter() - started) * 1000
    )
    draft = draft.model_copy(update={"ledger": draft.ledger.add(entry)})
    return Review(draft, verdicts, decide(draft, verdicts, max_rounds))
