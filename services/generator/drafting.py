"""Generator: a whole first draft, constrained to the request's schema, within the budget."""

from typing import Any

from schemas import ClassifiedRequest, Draft, Result, ResultStatus, Verdict
from services.documents.function_menu import without_entries
from services.documents.menus import menu, narrowed
from services.documents.reordered import reordered_prompt, reordered_schema
from services.inference.budget import MIN_NEW_TOKENS, BudgetExceeded
from services.inference.calls import constrained_call
from services.inference.engines.base import Engine, SchemaCompileError
from services.inference.menu_shortlist import MenuShortlist
from services.inference.prompts import compact_json
from services.inference.tiers import Tier
from services.inference.whole_output import whole_ask

# What a request can fail on here, as opposed to a fault of the stage (see `failure_reason`).
REQUEST_FAILURES = (SchemaCompileError, ValueError)
TOOL_CALL_WRAP = 8  # `{"name": …, "arguments": …}` around a call's arguments, in Qwen's tokens


def drafted_calls(message: ClassifiedRequest, shortlist: MenuShortlist | None) -> list[str] | None:
    """The calls of a menu the draft may make: the one the critic asked for (a redirect, a second opinion),
    else the shortlist's; None: the whole schema."""
    if message.call:
        return [message.call]
    return shortlist.calls(message.request) if shortlist is not None else None


def drafting_schema(message: ClassifiedRequest, calls: list[str] | None = None) -> dict[str, Any]:
    """The request's schema, or its menu narrowed to `calls`; reordered for a second opinion."""
    schema = message.request.json_schema
    schema = (narrowed(schema, calls) if calls else None) or schema
    return reordered_schema(schema) if message.second_opinion_of else schema


def drafting_prompt(message: ClassifiedRequest, left_out: set[str] | None = None) -> str:
    """The request's prompt without the menu lines of the calls a shortlist `left_out`; reordered for a
    second opinion."""
    prompt = without_entries(message.request.prompt, left_out) if left_out else message.request.prompt
    return reordered_prompt(prompt) if message.second_opinion_of else prompt


def drafting_note(message: ClassifiedRequest, asked: str | None, shortlisted: str | None) -> str | None:
    """What the ledger says this draft was: a second opinion, over one call or a shortlist, how it was asked."""
    said = [
        "second opinion" if message.second_opinion_of else None,
        f"only {message.call!r}" if message.call else shortlisted,
        asked,
    ]
    return "; ".join(s for s in said if s) or None


def answer_room(message: ClassifiedRequest, engine: Engine, as_tool_call: bool) -> int:
    """The fewest new tokens worth drafting with: for a second opinion, as many as its candidate takes (a
    second answer cut shorter would disagree for lack of room, not of meaning), with a tool call's wrapping;
    else the budget's floor."""
    candidate = message.second_opinion_of
    if candidate is None:
        return MIN_NEW_TOKENS
    written = engine.count_tokens([{"role": "assistant", "content": compact_json(candidate.output)}])
    return written + (TOOL_CALL_WRAP if as_tool_call else 0)


def generate_draft(
    message: ClassifiedRequest, engine: Engine, tier: Tier, shortlist: MenuShortlist | None = None
) -> Draft:
    """Raises BudgetExceeded when the budget cannot cover the call, SchemaCompileError for unsupported schemas."""
    request = message.request
    calls = drafted_calls(message, shortlist)
    offered = menu(request.json_schema)
    left_out = set(offered) - set(calls) if calls and not message.call else set()
    ask = whole_ask(drafting_prompt(message, left_out), drafting_schema(message, calls), request.context, tier)
    call = constrained_call(
        engine=engine,
        tier=tier,
        request=request,
        ledger=message.ledger,
        messages=ask.messages,
        json_schema=ask.json_schema,
        stage="generator",
        round_=0,
        note=drafting_note(message, ask.note, f"{len(calls)} of {len(offered)} calls" if left_out else None),
        least_new_tokens=answer_room(message, engine, ask.as_tool_call),
        prompt_version=ask.prompt_version,
    )
    call = ask.answer(call)
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
        confidence=call.confidence,
        escalations=message.escalations,
        second_opinion_of=message.second_opinion_of,
    )


def first_draft(
    message: ClassifiedRequest, engine: Engine, tier: Tier, shortlist: MenuShortlist | None = None
) -> Draft | Result:
    """The draft, or a `budget_exhausted` Result when the budget cannot cover even the first call (for a
    second opinion: its candidate kept as the output, unverified, as the critic ends one it cannot afford)."""
    try:
        return generate_draft(message, engine, tier, shortlist)
    except BudgetExceeded as exc:
        candidate = message.second_opinion_of
        if candidate is None:
            return message.result(
                ResultStatus.budget_exhausted, verdicts=[Verdict(pointer="", kind="budget", message=str(exc))]
            )
        return message.result(
            ResultStatus.budget_exhausted,
            output=candidate.output,
            rounds=candidate.rounds,
            confidence=candidate.confidence,
            verdicts=[Verdict(pointer="", kind="budget", message=f"unverified: no second opinion: {exc}")],
        )


def failure_reason(exc: Exception) -> str:
    if isinstance(exc, SchemaCompileError):
        return f"schema not supported by the constrained decoder: {exc}"
    return str(exc)
