"""Refiner: regenerate only the failing segments, each constrained to its own sub-schema, and patch them in."""

import logging

import orjson

from schemas import Critique, Draft
from services.common.budget import BudgetExceeded
from services.common.drafting import constrained_call
from services.common.engines.base import Engine
from services.common.evidence import grounded_choices
from services.common.prompts import generation_messages, segment_messages
from services.common.segments import get, outermost, patch, subschema
from services.common.tiers import Tier
from services.refiner.repairs import deterministic_repairs

log = logging.getLogger("refinery.refiner")


def _without_defs(schema: dict) -> dict:
    """The sub-schema as shown in the prompt: `$defs` are for the decoder, not worth the tokens."""
    shown = {k: v for k, v in schema.items() if k not in ("$defs", "definitions", "description", "title")}
    if isinstance(shown.get("enum"), list) and len(shown["enum"]) > 12:
        shown["enum"] = [*shown["enum"][:12], "…"]  # the decoder enforces them all; the prompt needs a taste
    return shown


def segment_prompt(critique: Critique, output: object, pointer: str, sub: dict) -> list[dict[str, str]]:
    """The one prompt for regenerating the value at `pointer` (used by the loop and its cost estimate)."""
    request = critique.request
    parent = get(output, pointer.rsplit("/", 1)[0]) if "/" in pointer[1:] else output
    rule_failure = any(v.kind == "consistency" and v.pointer == pointer for v in critique.verdicts)
    return segment_messages(
        request.prompt,
        request.context,
        parent,
        pointer,
        _without_defs(sub),
        feedback_for(critique, pointer),
        current=get(output, pointer),
        with_siblings=rule_failure,
    )


def _value_tokens(value: object) -> int:
    return len(orjson.dumps(value)) // 3 + 2  # a generous estimate of a value's length in tokens


def full_is_cheaper(critique: Critique, output: object, pointers: list[str], engine: Engine) -> bool:
    """Several failing segments each pay for their own prompt: when one whole regeneration is estimated
    to cost fewer tokens, do that instead. Never for grounding failures: their constrained fix is worth more."""
    if any(v.kind == "grounding" for v in critique.verdicts):
        return False
    request = critique.request
    full = engine.count_tokens(generation_messages(request.prompt, request.json_schema, request.context))
    full += _value_tokens(output)
    segments = 0
    for pointer in pointers:
        messages = segment_prompt(critique, output, pointer, subschema(request.json_schema, pointer))
        segments += engine.count_tokens(messages) + _value_tokens(get(output, pointer))
    return full < segments


def feedback_for(critique: Critique, pointer: str) -> list[str]:
    inside = [v.message for v in critique.verdicts if v.pointer == pointer or v.pointer.startswith(pointer + "/")]
    return inside or [v.message for v in critique.verdicts]


def refine(critique: Critique, engine: Engine, tier: Tier) -> Draft:
    """A new draft (round + 1). Segments the budget cannot cover are left as they were."""
    request = critique.request
    round_ = critique.round + 1
    ledger = critique.ledger
    text, parsed, truncated = critique.text, critique.parsed, False
    output, needing_model = deterministic_repairs(critique) if parsed else (critique.output, critique.verdicts)
    critique = critique.model_copy(update={"verdicts": needing_model})
    pointers = outermost([v.pointer for v in needing_model])
    if parsed and len(pointers) > 1 and full_is_cheaper(critique, output, pointers, engine):
        pointers = [""]
    for pointer in pointers:
        feedback = feedback_for(critique, pointer)
        if pointer == "" or not parsed:  # the whole output is wrong or unreadable: regenerate it
            messages = generation_messages(request.prompt, request.json_schema, request.context)
            messages[-1]["content"] += "\n\nA previous attempt failed: " + "; ".join(feedback)
            sub = request.json_schema
        else:
            sub = subschema(request.json_schema, pointer)
            if request.context and any(v.kind == "grounding" and v.pointer == pointer for v in critique.verdicts):
                choices = grounded_choices(request.context, sub)
                if choices and len(choices) == 1:  # the context allows one value: no model needed
                    output = patch(output, pointer, choices[0])
                    continue
                if choices:  # decode only values the context states: grounded by construction
                    sub = {**sub, "enum": choices}
            messages = segment_prompt(critique, output, pointer, sub)
        try:
            call = constrained_call(
                engine=engine,
                tier=tier,
                request=request,
                ledger=ledger,
                messages=messages,
                json_schema=sub,
                stage="refiner",
                round_=round_,
                note=pointer or "/",
            )
        except BudgetExceeded as exc:
            log.info("request %s: budget stops refinement at %s: %s", request.id, pointer, exc)
            break
        ledger = ledger.add(call.entry)
        if not call.parsed:
            truncated = truncated or call.truncated
            continue
        if pointer == "" or not parsed:
            output, text, parsed = call.value, call.text, True
        else:
            output = patch(output, pointer, call.value)
    return Draft(
        request=request,
        tier=critique.tier,
        ledger=ledger,
        received_at_ms=critique.received_at_ms,
        round=round_,
        output=output,
        text=text,
        parsed=parsed,
        truncated=truncated,
    )
