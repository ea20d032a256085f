"""The token budget is a hard ceiling: no stage starts a model call the remaining budget cannot cover."""

from schemas import GenerationRequest, Ledger
from services.inference.tiers import Tier

MIN_NEW_TOKENS = 8  # below this a call cannot produce a useful JSON value


class BudgetExceeded(Exception):
    pass


def remaining_tokens(request: GenerationRequest, ledger: Ledger) -> int:
    return request.budget.max_tokens - ledger.tokens


def plan_call(
    request: GenerationRequest,
    ledger: Ledger,
    tier: Tier,
    input_tokens: int,
    wanted_new: int,
    least_new: int = MIN_NEW_TOKENS,
) -> int:
    """How many new tokens the next call may generate; raises BudgetExceeded when it may not run at all,
    or with room for fewer than `least_new` (a call whose answer cut short would be worthless)."""
    least_new = max(least_new, MIN_NEW_TOKENS)
    room = remaining_tokens(request, ledger) - input_tokens
    if room < least_new:
        raise BudgetExceeded(
            f"call needs {input_tokens} input + {least_new} output tokens, "
            f"{remaining_tokens(request, ledger)} of {request.budget.max_tokens} left"
        )
    max_new = min(wanted_new, room)
    if request.budget.max_cost is not None:
        worst_case = ledger.cost + tier.cost(input_tokens, max_new)
        if worst_case > request.budget.max_cost:
            raise BudgetExceeded(f"call could cost up to {worst_case:.6f} > max_cost {request.budget.max_cost}")
    return max_new
