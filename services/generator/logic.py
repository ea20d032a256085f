"""Generator: a whole first draft, constrained to the request's schema, within the budget."""

from schemas import ClassifiedRequest, Draft
from services.common.drafting import constrained_call
from services.common.engines.base import Engine
from services.common.prompts import generation_messages
from services.common.tiers import Tier


def generate_draft(message: ClassifiedRequest, engine: Engine, tier: Tier) -> Draft:
    """Raises BudgetExceeded when the budget cannot cover the call, SchemaCompileError for unsupported schemas."""
    request = message.request
    call = constrained_call(
        engine=engine,
        tier=tier,
        request=request,
        ledger=message.ledger,
        messages=generation_messages(request.prompt, request.json_schema, request.context),
        json_schema=request.json_schema,
        stage="generator",
        round_=0,
    )
    return Draft(
        request=request,
        tier=message.tier,
        ledger=message.ledger.add(call.entry),
        received_at_ms=message.received_at_ms,
        round=0,
        output=call.value,
        text=call.text,
        parsed=call.parsed,
        truncated=call.truncated,
    )
