"""The critic's step: check a draft (deterministic checks first, then the verifier), charge the check to
its ledger, decide what happens to it."""

import time
from dataclasses import dataclass

from schemas import Draft, LedgerEntry, Verdict
from services.critic.decide import Decision, Escalation, decide
from services.critic.grounding import GroundingChecker
from services.critic.menu_judge import MenuJudge
from services.critic.second_opinion import SecondOpinionPolicy, accepted, compare, settled
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
    second_opinion: SecondOpinionPolicy | None = None,
) -> Review:
    started = time.perf_counter()
    checks = ["validators"]
    if (draft.request.context and grounding) or (menu_judge and menu_judge.judges(draft.request)):
        checks.append("all-MiniLM-L6-v2-int8")
    if draft.second_opinion_of is not None:  # a second draft: compared with its candidate, no verifier
        agreed, second = compare(draft, menu_judge)
        draft = _charged(draft, [*checks, "second-opinion"], started)
        verdicts, decision = settled(draft, agreed, second, max_rounds, escalation)
        return Review(draft, verdicts, decision)
    verdicts = check_draft(draft, grounding, menu_judge)
    if verifier is not None and verifier.judges(draft):
        verdicts += verifier.check(draft)  # the drafting model's own log-probabilities: no tokens spent
        checks.append("confidence")
    draft = _charged(draft, checks, started)
    decision = decide(draft, verdicts, max_rounds, escalation)
    if second_opinion is not None and accepted(decision) and second_opinion.wants(draft):
        decision = second_opinion.ask(draft)
    return Review(draft, verdicts, decision)


def _charged(draft: Draft, checks: list[str], started: float) -> Draft:
    """The draft with the critic's ledger entry: which checks ran, how long they took (no tokens)."""
    entry = LedgerEntry(
        stage="critic", round=draft.round, model="+".join(checks), duration_ms=(time.perf_counter() - started) * 1000
    )
    return draft.model_copy(update={"ledger": draft.ledger.add(entry)})
