"""A second opinion for an answer its model was only fairly sure of: the same tier drafts the request again
with the schema's properties, branches and menu in reverse order (documents/reordered.py), and the critic
accepts the candidate only if both drafts agree.

A rewrite that keeps every meaning should not change a right answer; when it changes the answer, the model
was swayed by the order, not the request. It is the model's own signal, like its confidence, never its
opinion of itself. Measured on the 114 large-tier calibration drafts the checks and the confidence
threshold accept (bench/second_opinion.py): the two drafts disagree on 11 of the 17 wrong ones and on 7 of
the 97 right ones; with the second opinion asked below log P -0.1 (61 of the 114), wrong accepts fall
from 17 to 7 for 7 right answers turned away. A disagreement is a `semantic` verdict (code `disagreed`):
a tier up, or rejected at the top."""

from dataclasses import dataclass
from typing import Any

from schemas import Draft, ResultStatus, SecondOpinion, Verdict
from services.critic.decide import Decision, Escalation, decide, prompt_tokens, redrafted
from services.critic.free_repairs import free_repairs
from services.critic.menu_judge import MenuJudge
from services.critic.validators import check_draft
from services.inference.budget import MIN_NEW_TOKENS, remaining_tokens
from services.inference.tiers import Tier


@dataclass(frozen=True)
class SecondOpinionPolicy:
    below: dict[str, float]  # per tier: an accepted draft whose least confident pick is below this gets one

    @classmethod
    def for_tiers(cls, tiers: dict[str, Tier]) -> "SecondOpinionPolicy":
        return cls({t.name: t.second_opinion_below for t in tiers.values() if t.second_opinion_below is not None})

    def wants(self, draft: Draft) -> bool:
        """A draft about to be accepted whose model was only fairly sure of it, on a tier that asks, for a
        request whose answer the request alone settles (`answered_by_request`)."""
        confidence = draft.confidence
        return (
            draft.second_opinion_of is None
            and draft.tier in self.below
            and confidence is not None
            and confidence.min_logprob < self.below[draft.tier]
            and draft.request.answered_by_request
        )

    def ask(self, draft: Draft, accepted: Decision) -> Decision:
        """Draft the request again for a second opinion. When the budget cannot pay for the second draft,
        the answer is not accepted unverified: on the calibration drafts a quarter of the answers below the
        band were wrong (16 of 61), far above what "accepted" may mean, so the Result is `budget_exhausted`,
        the draft kept as its output and a `budget` verdict saying what was missing."""
        assert draft.confidence is not None  # wants() held
        left, needed = remaining_tokens(draft.request, draft.ledger), prompt_tokens(draft, ("generator",))
        if left < needed + MIN_NEW_TOKENS:
            assert accepted.result is not None
            note = Verdict(
                pointer="",
                kind="budget",
                message=f"unverified: least log P {draft.confidence.min_logprob:.2f} is below "
                f"{self.below[draft.tier]}, where {draft.tier} answers need a second opinion; {left} tokens "
                f"left, a second draft needs ~{needed + MIN_NEW_TOKENS}",
            )
            update = {"status": ResultStatus.budget_exhausted, "verdicts": [*accepted.result.verdicts, note]}
            return Decision(result=accepted.result.model_copy(update=update))
        reason = f"second opinion on {draft.tier}: least log P {draft.confidence.min_logprob:.2f}"
        candidate = SecondOpinion(output=draft.output, rounds=draft.round, confidence=draft.confidence)
        return Decision(escalate=redrafted(draft, draft.tier, reason, second_opinion_of=candidate))


def compare(draft: Draft, menu_judge: MenuJudge | None) -> tuple[bool, Any]:
    """Whether the second draft, as the refiner's free round would leave it, is the candidate; and it."""
    assert draft.second_opinion_of is not None
    failing = [v for v in check_draft(draft, menu_judge=menu_judge) if v.severity == "error"]
    second, left = free_repairs(draft, failing, menu_judge)
    return not left and second == draft.second_opinion_of.output, second


def settled(
    draft: Draft, agreed: bool, second: Any, max_rounds: int, escalation: Escalation | None
) -> tuple[list[Verdict], Decision]:
    """The candidate accepted if both drafts agree, else a `semantic` verdict decided as any doubt (a tier
    up, or rejected at the top); every token of both drafts on the ledger."""
    candidate = draft.second_opinion_of
    assert candidate is not None
    as_drafted = draft.model_copy(
        update={
            "output": candidate.output,
            "round": candidate.rounds,
            "confidence": candidate.confidence,
            "second_opinion_of": None,
        }
    )
    if agreed:
        return [], decide(as_drafted, [], max_rounds, escalation)
    verdict = Verdict(
        pointer="",
        kind="semantic",
        code="disagreed",
        message=f"the {draft.tier} tier answered otherwise with the schema in another order ({second!r:.200}): "
        "its answer hangs on the order, not on the request",
    )
    return [verdict], decide(as_drafted, [verdict], max_rounds, escalation)


def accepted(decision: Decision) -> bool:
    return decision.result is not None and decision.result.status == ResultStatus.accepted
