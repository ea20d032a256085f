"""Refiner: regenerate only the failing segments, constrained to their sub-schemas (refiner/segment_asks.py),
and patch them in.

Per round: repairs that need no model first (documents/no_model_repairs.py), then values the context fixes alone,
then one constrained call for every remaining failing segment together (an object keyed by segment), or,
when that is estimated to cost more, one whole regeneration."""

import dataclasses
import logging
from typing import Any

import orjson

from schemas import Critique, Draft, Ledger
from services.documents.no_model_repairs import deterministic_repairs
from services.documents.segments import get, outermost, patch
from services.inference.budget import BudgetExceeded
from services.inference.calls import CallResult, constrained_call
from services.inference.engines import EnginePool
from services.inference.engines.base import Engine, Message, SchemaCompileError
from services.inference.tiers import Tier
from services.inference.whole_output import WholeAsk, whole_ask
from services.refiner.segment_asks import Segment, combined_schema, labels, plan_segment, segment_prompt, token_cap

log = logging.getLogger("refinery.refiner")


def _value_tokens(value: object) -> int:
    return len(orjson.dumps(value)) // 3 + 2  # a generous estimate of a value's length in tokens


def whole_regeneration(critique: Critique, tier: Tier) -> WholeAsk:
    """The generator's ask for the tier, plus what the previous attempt failed on."""
    request = critique.request
    ask = whole_ask(request.prompt, request.json_schema, request.context, tier)
    failed = "\n\nA previous attempt failed: " + "; ".join(v.message for v in critique.verdicts)
    last = {**ask.messages[-1], "content": ask.messages[-1]["content"] + failed}
    return dataclasses.replace(ask, messages=[*ask.messages[:-1], last])


def full_is_cheaper(critique: Critique, output: Any, segments: list[Segment], engine: Engine, tier: Tier) -> bool:
    """When one whole regeneration is estimated to cost fewer tokens than the call for these segments.
    Never for grounding failures: their constrained fix is worth more."""
    if any(v.kind == "grounding" for v in critique.verdicts):
        return False
    full = engine.count_tokens(whole_regeneration(critique, tier).messages) + _value_tokens(output)
    together = engine.count_tokens(segment_prompt(critique, output, segments))
    together += sum(_value_tokens(get(output, s.pointer)) for s in segments)
    return full < together


class _Round:
    """The calls of one refinement round, each charged to the ledger within the request's budget."""

    def __init__(self, critique: Critique, engine: Engine, tier: Tier) -> None:
        self.critique, self.engine, self.tier = critique, engine, tier
        self.ledger: Ledger = critique.ledger
        self.truncated = False

    def call(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        note: str,
        cap: int | None = None,
        prompt_version: str | None = None,
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
            prompt_version=prompt_version,
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
    """`refine` on the refiner's own tier when one is set, else on the draft's; in the request's voice (its
    adapter) where that tier carries it."""
    tier = refiner_tier or critique.tier
    adapter = critique.request.adapter if critique.request.adapter in pool.tiers[tier].adapters else None
    return refine(critique, pool.get(tier, adapter), pool.tiers[tier])


def refine(critique: Critique, engine: Engine, tier: Tier) -> Draft:
    """A new draft (round + 1). Segments the budget cannot cover are left as they were."""
    text, parsed = critique.text, critique.parsed
    output, needing_model = deterministic_repairs(critique) if parsed else (critique.output, critique.verdicts)
    critique = critique.model_copy(update={"verdicts": needing_model})
    pointers = outermost([v.pointer for v in needing_model])
    segments = [plan_segment(critique, output, p) for p in pointers] if parsed and "" not in pointers else []
    whole = (not parsed or "" in pointers) or (
        len(segments) > 1 and full_is_cheaper(critique, output, segments, engine, tier)
    )
    round_ = _Round(critique, engine, tier)
    try:
        if whole:  # the whole output is wrong, unreadable, or cheaper to redo than its parts
            ask = whole_regeneration(critique, tier)
            note = f"/; {ask.note}" if ask.note else "/"
            result = round_.call(ask.messages, ask.json_schema, note, prompt_version=ask.prompt_version)
            if result is not None:
                result = ask.answer(result)
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
