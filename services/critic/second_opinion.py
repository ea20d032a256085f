"""A second opinion for an answer its model was only fairly sure of: the same tier drafts the request again
with the schema's properties, branches and menu in reverse order (documents/reordered.py), and the critic
accepts the candidate only if both drafts agree.

A rewrite that keeps every meaning should not change a right answer; when it changes the answer, the model
was swayed by the order, not the request. It is the model's own signal, like its confidence, never its
opinion of itself. Measured on the 114 large-tier calibration drafts the checks and the confidence
threshold accept (bench/second_opinion.py): the two drafts disagree on 11 of the 17 wrong ones and on 7 of
the 97 right ones; with the second opinion asked below log P -0.1 (61 of the 114), wrong accepts fall
from 17 to 7 for 7 right answers turned away. A disagreement is a `semantic` verdict (code `disagreed`):
a tier up, or rejected at the top.

A menu call is asked again over that call alone, and the drafts agree when the candidate says all the
second one says (`said_by`). On 41 large-tier tool-call drafts of BFCL live_multiple (29 of them below
-0.1; bench/results/narrow_second_opinion.json, 15 on tasks never tuned on): the whole menu with both
drafts equal caught 4 of the 9 wrong for 9 right turned away at ~900 tokens; the call alone, 4 for 6 at
~445; the call alone with `said_by`, 4 for 2 (most disagreements were an optional argument one draft
left out). At ~445 tokens it fits a 2 000-token budget after a ~1 100-token first draft (39 of 41; the
whole menu 31)."""

from dataclasses import dataclass
from typing import Any

from schemas import Draft, ResultStatus, SecondOpinion, Verdict
from services.critic.decide import Decision, Escalation, decide, redrafted
from services.critic.free_repairs import free_repairs
from services.critic.menu_judge import MenuJudge
from services.critic.validators import check_draft
from services.documents.menus import made_call
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

    def ask(self, draft: Draft) -> Decision:
        """Draft the request again for a second opinion: for a menu call, over that call alone (its
        arguments asked again in reverse order; the choice of call is the menu checks' to judge). The
        generator, which counts tokens, ends it `budget_exhausted` with the candidate kept when the budget
        cannot pay for the second draft: it is never accepted unverified."""
        assert draft.confidence is not None  # wants() held
        reason = f"second opinion on {draft.tier}: least log P {draft.confidence.min_logprob:.2f}"
        candidate = SecondOpinion(output=draft.output, rounds=draft.round, confidence=draft.confidence)
        call = made_call(draft.request.json_schema, draft.output)
        return Decision(escalate=redrafted(draft, draft.tier, reason, second_opinion_of=candidate, call=call))


def said_by(candidate: Any, second: Any) -> bool:
    """Whether the candidate says everything the second draft says: each property the second gives, at
    any depth, with the same value. A second draft that leaves out a property the candidate gives does not
    disagree (an optional argument a model is unsure of it leaves out; whether the candidate's is asked
    for, the grounding checks judge); one that gives another value, or a property the candidate left
    out, does."""
    if isinstance(second, dict) and isinstance(candidate, dict):
        return all(key in candidate and said_by(candidate[key], value) for key, value in second.items())
    return candidate == second


def compare(draft: Draft, menu_judge: MenuJudge | None) -> tuple[bool, Any]:
    """Whether the second draft, as the refiner's free round would leave it, agrees with the candidate
    (`said_by`); and it."""
    assert draft.second_opinion_of is not None
    failing = [v for v in check_draft(draft, menu_judge=menu_judge) if v.severity == "error"]
    second, left = free_repairs(draft, failing, menu_judge)
    return not left and said_by(draft.second_opinion_of.output, second), second


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
