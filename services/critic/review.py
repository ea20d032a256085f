"""The critic's step: check a draft (deterministic checks first, then the verifier), charge the check to
its ledger, decide what happens to it."""

import time
from dataclasses import dataclass

from schemas import Draft, LedgerEntry, Verdict
from services.critic.decide import Decision, Escalation, decide
from services.critic.grounding import GroundingChecker
from services.critic.menu_judge import MenuJudge
from services.critic.validators import check_draft
from services.critic.verifier import ConfidenceVerifier


@dataclass(frozen=True)
class Review:
    draft: Draft  # with the critic's ledger entry
    verdicts: list[Verdict]
    decision: Decision


def review(
    draft: Draft,
    grounding: GroundingChecker | None,
    max_rounds: int,
    verifier: ConfidenceVerifier | None = None,
    escalation: Escalation | None = None,
    menu_judge: MenuJudge | None = None,
) -> Review:
    started = time.perf_counter()
    verdicts = check_draft(draft, grounding, menu_judge)
    checks = ["validators"]
    if (draft.request.context and grounding) or (menu_judge and menu_judge.judges(draft.request)):
        checks.append("all-MiniLM-L6-v2-int8")
    if verifier is not None and verifier.judges(draft):
        verdicts += verifier.check(draft)  # the drafting model's own log-probabilities: no tokens spent
        checks.append("confidence")
    entry = LedgerEntry(
        stage="critic", round=draft.round, model="+".join(checks), duration_ms=(time.perf_counter() - started) * 1000
    )
    draft = draft.model_copy(update={"ledger": draft.ledger.add(entry)})
    return Review(draft, verdicts, decide(draft, verdicts, max_rounds, escalation))
