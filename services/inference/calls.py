"""One constrained model call turned into a parsed value plus its ledger entry (generator and refiner)."""

from dataclasses import dataclass
from typing import Any

import orjson

from schemas import Confidence, GenerationRequest, Ledger, LedgerEntry
from schemas.ledger import Stage
from services.documents.positions import pointer_at
from services.inference.budget import MIN_NEW_TOKENS, plan_call, remaining_tokens
from services.inference.engines.base import Completion, Engine, Message
from services.inference.engines.registry import engine_kind
from services.inference.spans import CallInfo, model_call_span, record_completion, record_error
from services.inference.tiers import Tier
from services.settings import get_settings


@dataclass(frozen=True)
class CallResult:
    value: Any
    text: str
    parsed: bool
    truncated: bool
    entry: LedgerEntry
    confidence: Confidence | None = None


def constrained_call(
    *,
    engine: Engine,
    tier: Tier,
    request: GenerationRequest,
    ledger: Ledger,
    messages: list[Message],
    json_schema: dict[str, Any],
    stage: Stage,
    round_: int,
    note: str | None = None,
    max_new_tokens: int | None = None,
    least_new_tokens: int = MIN_NEW_TOKENS,
    prompt_version: str | None = None,
) -> CallResult:
    """Plan within the budget (raises BudgetExceeded), generate, parse, and account for the call.
    `max_new_tokens` lowers the tier's cap for a call whose value is known to be short; `least_new_tokens`
    is the room below which the call is not worth starting."""
    input_tokens = engine.count_tokens(messages)
    wanted = min(tier.max_new_tokens, max_new_tokens or tier.max_new_tokens)
    max_new = plan_call(request, ledger, tier, input_tokens, wanted, least_new_tokens)
    info = CallInfo(
        provider=engine_kind(tier),
        model=engine.model_name,
        operation="chat" if tier.prompt_format == "chat" else "text_completion",
        stage=stage,
        tier=tier.name,
        round=round_,
        request_id=request.id,
        max_tokens=max_new,
        budget_remaining=remaining_tokens(request, ledger),
        segment=note,
    )
    capture = get_settings().otel_capture_content
    with model_call_span(info, capture, str(messages) if capture else None) as span:
        try:
            completion = engine.complete(messages, json_schema, max_new)
        except Exception as exc:
            record_error(span, exc)
            raise
        record_completion(span, info, completion, capture)
    try:
        value, parsed = orjson.loads(completion.text), True
    except orjson.JSONDecodeError:
        value, parsed = None, False
    if completion.closed_early:  # the value may be cut short (a string, an optional item): say so
        note = f"{note}; closed early to fit its token limit" if note else "closed early to fit its token limit"
    entry = LedgerEntry(
        stage=stage,
        round=round_,
        model=engine.model_name,
        input_tokens=completion.input_tokens,
        output_tokens=completion.output_tokens,
        cost=tier.cost(completion.input_tokens, completion.output_tokens, completion.drafter_tokens),
        ttft_ms=round(completion.ttft_ms, 3) if completion.ttft_ms is not None else None,
        duration_ms=round(completion.duration_ms, 3),
        note=note,
        prompt_version=prompt_version,
        drafted_tokens=completion.drafted_tokens,
        accepted_tokens=completion.accepted_tokens,
        drafter_tokens=completion.drafter_tokens,
    )
    truncated = completion.finish_reason == "length" and not parsed
    return CallResult(value, completion.text, parsed, truncated, entry, confidence_of(completion))


def confidence_of(completion: Completion) -> Confidence | None:
    """The model's confidence in its picks, and the value its least confident pick was in: the same pick
    `min_logprob` reports ("" when that pick was the one to end the output, past its last token)."""
    confidence = Confidence.of(completion.logprobs)
    ends = completion.token_ends
    if confidence is None or not ends:
        return confidence
    least = min(range(len(completion.logprobs)), key=completion.logprobs.__getitem__)
    where = pointer_at(completion.text, max(ends[least] - 1, 0)) if least < len(ends) else ""
    return confidence.model_copy(update={"least_pointer": where})
