"""Refiner: regenerate only the failing segments, constrained to their sub-schemas, and patch them in.

Per round: repairs that need no model first (refiner/no_model.py), then values the context fixes alone,
then one constrained call for every remaining failing segment together (an object keyed by segment), or,
when that is estimated to cost more, one whole regeneration."""

import logging
from dataclasses import dataclass
from typing import Any

import orjson

from schemas import Critique, Draft, Ledger
from services.documents.segments import get, outermost, parts, patch, subschema
from services.inference.budget import BudgetExceeded
from services.inference.calls import CallResult, constrained_call
from services.inference.engines import EnginePool
from services.inference.engines.base import Engine, Message, SchemaCompileError
from services.inference.prompts import SegmentAsk, generation_messages, segment_messages
from services.inference.tiers import Tier
from services.refiner.context_values import context_choices, untaken
from services.refiner.no_model import deterministic_repairs

log = logging.getLogger("refinery.refiner")


@dataclass(frozen=True)
class Segment:
    pointer: str
    schema: dict[str, Any]  # what the decoder is constrained to
    stated: bool = False  # constrained to values the context states that break no rule


def _shown(schema: dict[str, Any]) -> dict[str, Any]:
    """The sub-schema as shown in the prompt: `$defs` are for the decoder, not worth the tokens."""
    return {k: v for k, v in schema.items() if k not in ("$defs", "definitions", "description", "title")}


def feedback_for(critique: Critique, pointer: str) -> list[str]:
    inside = [v.message for v in critique.verdicts if v.pointer == pointer or v.pointer.startswith(pointer + "/")]
    return inside or [v.message for v in critique.verdicts]


def labels(pointers: list[str]) -> list[str]:
    """Field names where they say which segment is meant, else the pointer without its leading slash."""
    names = [(parts(p) or ["value"])[-1] for p in pointers]
    return [
        name if names.count(name) == 1 and not name.isdigit() else pointer.lstrip("/")
        for name, pointer in zip(names, pointers, strict=True)
    ]


def segment_prompt(critique: Critique, output: Any, segments: list[Segment]) -> list[Message]:
    """The one prompt for regenerating these segments together (used by the loop and its cost estimate)."""
    request = critique.request
    asks = [
        SegmentAsk(
            label=label,
            schema=_shown(segment.schema),
            feedback=feedback_for(critique, segment.pointer),
            current=get(output, segment.pointer),
            description=subschema(request.json_schema, segment.pointer).get("description"),
        )
        for label, segment in zip(labels([s.pointer for s in segments]), segments, strict=True)
    ]
    ruled = [
        s.pointer
        for s in segments
        if not s.stated and any(v.kind == "consistency" and v.pointer == s.pointer for v in critique.verdicts)
    ]
    parents = {p.rsplit("/", 1)[0] for p in ruled}
    draft = None
    if ruled:  # a cross-field rule needs the fields it relates
        draft = get(output, parents.pop()) if len(parents) == 1 else output
    # values that failed grounding only are settled by the context alone: the instruction adds nothing
    grounding_only = all(
        v.kind == "grounding" for v in critique.verdicts if any(v.pointer == s.pointer for s in segments)
    )
    return segment_messages(request.prompt, request.context, asks, draft=draft, with_task=not grounding_only)


def combined_schema(segments: list[Segment]) -> dict[str, Any]:
    """One object with a required property per segment, even for one: inside an object a small model
    closes a number or string with `}` where, decoding the bare value, it can run on digit after digit."""
    keys = labels([s.pointer for s in segments])
    properties = {
        key: {k: v for k, v in s.schema.items() if k not in ("$defs", "definitions")}
        for key, s in zip(keys, segments, strict=True)
    }
    defs = {k: v for s in segments for k, v in s.schema.items() if k in ("$defs", "definitions")}
    return {**defs, "type": "object", "properties": properties, "required": keys, "additionalProperties": False}


SCALAR_TOKENS = 48  # a number, boolean, enum choice or short string is far shorter than this


def token_cap(segments: list[Segment]) -> int | None:
    """New tokens the call needs at most: bounded when every segment is a scalar (None: the tier's cap)."""
    total = 8  # the object's keys and braces
    for segment in segments:
        schema = segment.schema
        kinds = schema.get("type") if isinstance(schema.get("type"), list) else [schema.get("type")]
        if {"enum", "const"} & schema.keys() or set(kinds) <= {"number", "integer", "boolean", "null"}:
            total += SCALAR_TOKENS
        elif kinds == ["string"] and schema.get("maxLength", 256) <= 256:
            total += SCALAR_TOKENS + schema.get("maxLength", 256) // 2
        else:
            return None
    return total


def _value_tokens(value: object) -> int:
    return len(orjson.dumps(value)) // 3 + 2  # a generous estimate of a value's length in tokens


def whole_messages(critique: Critique) -> list[Message]:
    request = critique.request
    messages = generation_messages(request.prompt, request.json_schema, request.context)
    messages[-1]["content"] += "\n\nA previous attempt failed: " + "; ".join(v.message for v in critique.verdicts)
    return messages


def full_is_cheaper(critique: Critique, output: Any, segments: list[Segment], engine: Engine) -> bool:
    """When one whole regeneration is estimated to cost fewer tokens than the call for these segments.
    Never for grounding failures: their constrained fix is worth more."""
    if any(v.kind == "grounding" for v in critique.verdicts):
        return False
    full = engine.count_tokens(whole_messages(critique)) + _value_tokens(output)
    together = engine.count_tokens(segment_prompt(critique, output, segments))
    together += sum(_value_tokens(get(output, s.pointer)) for s in segments)
    return full < together


def plan_segment(critique: Critique, output: Any, pointer: str) -> Segment:
    """The segment to decode for `pointer`: its sub-schema, narrowed to the values the context states
    where it has to come from there (refiner/context_values.py, `context_choices`)."""
    sub = subschema(critique.request.json_schema, pointer)
    choices = context_choices(critique, output, pointer)
    if not choices:
        return Segment(pointer, sub)
    choices = untaken(choices, output, pointer, critique.request.context or "") or choices
    return Segment(pointer, {**sub, "enum": choices}, stated=True)  # grounded and consistent by construction


class _Round:
    """The calls of one refinement round, each charged to the ledger within the request's budget."""

    def __init__(self, critique: Critique, engine: Engine, tier: Tier) -> None:
        self.critique, self.engine, self.tier = critique, engine, tier
        self.ledger: Ledger = critique.ledger
        self.truncated = False

    def call(
        self, messages: list[Message], schema: dict[str, Any], note: str, cap: int | None = None
    ) -> CallResult | None:
        result = constrained_call(
            engine=self.engine,
            tier=self.tier,
            request=self.critique.request,
            ledger=self.ledger,
            messages=messages,
            json_schema=schema,
            stage="refiner",
            round_=self.critique.round + 1,
            note=note,
            max_new_tokens=cap,
        )
        self.ledger = self.ledger.add(result.entry)
        if not result.parsed:
            self.truncated = self.truncated or result.truncated
            return None
        return result

    def segments(self, output: Any, segments: list[Segment]) -> Any:
        """All segments in one call; if the budget cannot cover that, one by one until it cannot."""
        try:
            result = self.call(
                segment_prompt(self.critique, output, segments),
                combined_schema(segments),
                ", ".join(s.pointer for s in segments),
                token_cap(segments),
            )
        except BudgetExceeded as exc:
            if len(segments) == 1:
                raise
            log.info("request %s: budget splits the segment call: %s", self.critique.request.id, exc)
            for segment in segments:
                try:
                    output = self.segments(output, [segment])
                except BudgetExceeded:
                    break
            return output
        if result is None:
            return output
        for key, segment in zip(labels([s.pointer for s in segments]), segments, strict=True):
            if isinstance(result.value, dict) and key in result.value:  # always, when the decoder is constrained
                output = patch(output, segment.pointer, result.value[key])
        return output


# What a round can fail on (a segment schema the decoder refuses, a tier the pool does not know).
REFINE_FAILURES = (SchemaCompileError, ValueError, KeyError)


def failure_reason(exc: Exception) -> str:
    return f"refinement failed: {exc}"


def refine_on(pool: EnginePool, critique: Critique, refiner_tier: str = "") -> Draft:
    """`refine` on the refiner's own tier when one is set, else on the draft's."""
    tier = refiner_tier or critique.tier
    return refine(critique, pool.get(tier), pool.tiers[tier])


def refine(critique: Critique, engine: Engine, tier: Tier) -> Draft:
    """A new draft (round + 1). Segments the budget cannot cover are left as they were."""
    text, parsed = critique.text, critique.parsed
    output, needing_model = deterministic_repairs(critique) if parsed else (critique.output, critique.verdicts)
    critique = critique.model_copy(update={"verdicts": needing_model})
    pointers = outermost([v.pointer for v in needing_model])
    segments = [plan_segment(critique, output, p) for p in pointers] if parsed and "" not in pointers else []
    whole = (not parsed or "" in pointers) or (
        len(segments) > 1 and full_is_cheaper(critique, output, segments, engine)
    )
    round_ = _Round(critique, engine, tier)
    try:
        if whole:  # the whole output is wrong, unreadable, or cheaper to redo than its parts
            result = round_.call(whole_messages(critique), critique.request.json_schema, "/")
            if result is not None:
                output, text, parsed = result.value, result.text, True
        elif segments:
            output = round_.segments(output, segments)
    except BudgetExceeded as exc:
        log.info("request %s: budget stops refinement: %s", critique.request.id, exc)
    return Draft(
        request=critique.request,
        tier=critique.tier,
        ledger=round_.ledger,
        received_at_ms=critique.received_at_ms,
        round=critique.round + 1,
        output=output,
        text=text,
        parsed=parsed,
        truncated=round_.truncated,
        confidence=critique.confidence,  # the verifier judges the tier's own draft, not the patches
        escalations=critique.escalations,
    )
