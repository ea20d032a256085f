"""What happens to a checked draft: accept, send back for refinement, or stop (round cap, budget)."""

from dataclasses import dataclass

from schemas import Critique, Draft, Result, ResultStatus, Verdict
from services.inference.budget import MIN_NEW_TOKENS, remaining_tokens


@dataclass(frozen=True)
class Decision:
    result: Result | None = None  # terminal outcome
    critique: Critique | None = None  # or: go round again


def refine_estimate(draft: Draft, failing: list[Verdict]) -> int:
    """Tokens the cheapest useful refinement round needs: one segment call at the draft's prompt size."""
    prompt_sizes = [e.input_tokens for e in draft.ledger.entries if e.stage in ("generator", "refiner")]
    base = min(prompt_sizes) if prompt_sizes else 0
    return base + MIN_NEW_TOKENS if failing else 0


def decide(draft: Draft, verdicts: list[Verdict], max_rounds: int) -> Decision:
    request = draft.request

    def result(status: ResultStatus, extra: list[Verdict] | None = None) -> Result:
        return draft.result(status, output=draft.output, rounds=draft.round, verdicts=[*verdicts, *(extra or [])])

    failing = [v for v in verdicts if v.severity == "error"]
    if not failing:
        return Decision(result=result(ResultStatus.accepted))
    if draft.round >= max_rounds:
        return Decision(result=result(ResultStatus.rejected))
    left = remaining_tokens(request, draft.ledger)
    needed = refine_estimate(draft, failing)
    if left < needed:
        note = Verdict(pointer="", kind="budget", message=f"{left} tokens left; a refinement round needs ~{needed}")
        return Decision(result=result(ResultStatus.budget_exhausted, [note]))
    return Decision(critique=Critique(**dict(draft), verdicts=failing))
