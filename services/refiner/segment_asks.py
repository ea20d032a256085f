"""What the refiner asks a model for when segments fail: each segment's sub-schema (narrowed to what the
context states where the value must come from there), one lean prompt for all of them, one object schema
keyed by segment, and the few tokens scalar answers need."""

from dataclasses import dataclass
from typing import Any

from schemas import Critique
from services.documents.context_values import context_choices, untaken
from services.documents.example_shapes import described_examples, shape_pattern
from services.documents.segments import get, parts, subschema
from services.inference.engines.base import Message
from services.inference.prompts import SegmentAsk, segment_messages


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


def _shaped(sub: dict[str, Any], critique: Critique, pointer: str) -> dict[str, Any]:
    """A string the critic found shaped unlike its description's examples is decoded in their shape ("Chicago"
    rewritten as "Chicago, IL" for 'New York, NY'): told the shape, a model still wrote "Chicago" twice."""
    described = any(v.pointer == pointer and v.code == "described" for v in critique.verdicts)
    examples = described_examples(sub) if described and "pattern" not in sub else []
    return {**sub, "pattern": shape_pattern(examples)} if examples else sub


def plan_segment(critique: Critique, output: Any, pointer: str) -> Segment:
    """The segment to decode for `pointer`: its sub-schema, narrowed to the values the context states
    where it has to come from there (documents/context_values.py, `context_choices`), or to its
    description's example shape where the critic found it written otherwise."""
    sub = _shaped(subschema(critique.request.json_schema, pointer), critique, pointer)
    choices = context_choices(critique, output, pointer)
    if not choices:
        return Segment(pointer, sub)
    choices = untaken(choices, output, pointer, critique.request.context or "") or choices
    return Segment(pointer, {**sub, "enum": choices}, stated=True)  # grounded and consistent by construction
