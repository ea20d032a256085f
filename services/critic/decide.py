"""What happens to a checked draft: accept, refine, escalate a tier up, or stop (round cap, budget)."""

from dataclasses import dataclass
from typing import Any

from schemas import Classification, ClassifiedRequest, Critique, Draft, Result, ResultStatus, Verdict
from services.documents.menus import menu
from services.documents.no_model_repairs import deterministic_repairs
from services.inference.budget import MIN_NEW_TOKENS, remaining_tokens


@dataclass(frozen=True)
class Escalation:
    """Cascade policy: a draft the verifier doubts, or one still failing at the round cap, is generated
    again one tier up, at most `max_escalations` times (toward the call a menu check expects, if any)."""

    ladder: tuple[str, ...]  # tiers, smallest first
    max_escalations: int = 2

    def next_tier(self, draft: Draft) -> str | None:
        """None at the top, past the cap, or for a request that forced its tier (the forced tier wins) or
        named an adapter (its voice lives on the tier that carries it)."""
        pinned = draft.request.tier is not None or draft.request.adapter is not None
        if pinned or draft.escalations >= self.max_escalations or draft.tier not in self.ladder:
            return None
        index = self.ladder.index(draft.tier) + 1
        return self.ladder[index] if index < len(self.ladder) else None


@dataclass(frozen=True)
class Decision:
    result: Result | None = None  # terminal outcome
    critique: Critique | None = None  # or: go round again
    escalate: ClassifiedRequest | None = None  # or: generate again on a larger tier


def prompt_tokens(draft: Draft, stages: tuple[str, ...]) -> int:
    sizes = [e.input_tokens for e in draft.ledger.entries if e.stage in stages]
    return min(sizes) if sizes else 0


def refine_estimate(draft: Draft, failing: list[Verdict]) -> int:
    """Tokens the cheapest useful refinement round needs: none when the repairs that need no model settle
    every failure (an unasked value left out), else one segment call at the draft's prompt size."""
    _, needing_a_model = deterministic_repairs(Critique(**dict(draft), verdicts=failing))
    return prompt_tokens(draft, ("generator", "refiner")) + MIN_NEW_TOKENS if needing_a_model else 0


def expected_call(draft: Draft, failing: list[Verdict]) -> str | None:
    """The offered call a menu check read the request as asking for, when a draft made another."""
    offered = menu(draft.request.json_schema)
    return next((v.expected for v in failing if v.expected in offered), None)


def redrafted(draft: Draft, tier: str, reason: str, **changes: Any) -> ClassifiedRequest:
    """The request sent back to a generator for another draft on `tier`: its ledger, receipt time and
    escalations carried, `changes` (escalations, a call to draft, a candidate awaiting a second opinion)
    set."""
    carried = {"escalations": draft.escalations, **changes}
    return ClassifiedRequest(
        request=draft.request,
        tier=tier,
        ledger=draft.ledger,
        received_at_ms=draft.received_at_ms,
        classification=Classification(complexity=1.0, reason=reason),
        **carried,
    )


def _escalated(draft: Draft, tier: str, failing: list[Verdict]) -> ClassifiedRequest:
    why = "; ".join(sorted({v.kind for v in failing}))
    call = expected_call(draft, failing)
    toward = f", toward {call}" if call else ""
    reason = f"escalated from {draft.tier} ({why}{toward})"
    return redrafted(draft, tier, reason, escalations=draft.escalations + 1, call=call)


def _next_draft_tier(draft: Draft, failing: list[Verdict], escalation: Escalation | None) -> str | None:
    """The tier above; at the top (or a pinned tier), the same tier once more when a menu check knows the
    call the request asks for: drafted against that call alone, it is a new draft, judged as any."""
    if escalation is None:
        return None
    above = escalation.next_tier(draft)
    if above is None and expected_call(draft, failing) and draft.escalations < escalation.max_escalations:
        return draft.tier
    return above


def decide(draft: Draft, verdicts: list[Verdict], max_rounds: int, escalation: Escalation | None = None) -> Decision:
    def result(status: ResultStatus, extra: list[Verdict] | None = None) -> Result:
        return draft.result(
            status,
            output=draft.output,
            rounds=draft.round,
            verdicts=[*verdicts, *(extra or [])],
            confidence=draft.confidence,
        )

    failing = [v for v in verdicts if v.severity == "error"]
    if not failing:
        return Decision(result=result(ResultStatus.accepted))
    left = remaining_tokens(draft.request, draft.ledger)
    doubted = any(v.kind == "semantic" for v in failing)
    if doubted or draft.round >= max_rounds:  # refining cannot help: a larger tier may
        above = _next_draft_tier(draft, failing, escalation)
        if above is None:
            return Decision(result=result(ResultStatus.rejected))
        needed = prompt_tokens(draft, ("generator",)) + MIN_NEW_TOKENS
        if left < needed:
            note = Verdict(
                pointer="", kind="budget", message=f"{left} tokens left; escalating to {above} needs ~{needed}"
            )
            return Decision(result=result(ResultStatus.budget_exhausted, [note]))
        return Decision(escalate=_escalated(draft, above, failing))
    needed = refine_estimate(draft, failing)
    if left < needed:
        note = Verdict(pointer="", kind="budget", message=f"{left} tokens left; a refinement round needs ~{needed}")
        return Decision(result=result(ResultStatus.budget_exhausted, [note]))
    return Decision(critique=Critique(**dict(draft), verdicts=failing))
