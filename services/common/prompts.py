"""Prompts for the generator (whole output) and the refiner (one failing segment)."""

import re
from typing import Any

import orjson

from services.common.engines.base import Message

SYSTEM = (
    "You turn requests into JSON. Reply with one JSON value that satisfies the given JSON Schema. "
    "Use only facts stated in the request or the context; never invent values."
)


def _compact(value: Any) -> str:
    return orjson.dumps(value).decode()


def generation_messages(prompt: str, json_schema: dict[str, Any], context: str | None) -> list[Message]:
    parts = [f"Request: {prompt}"]
    if context:
        parts.append(f"Context:\n{context}")
    parts.append(f"JSON Schema: {_compact(json_schema)}")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n\n".join(parts)}]


SEGMENT_SYSTEM = "Reply with one JSON value only."
CONTEXT_CHARS = 600  # longer contexts are cut to the passages that mention the segment
WORD = re.compile(r"[A-Za-z0-9]{3,}")


def relevant_context(context: str, hints: list[str], limit: int = CONTEXT_CHARS) -> str:
    """The context, or, when long, its sentences sharing the most words with the hints (in order)."""
    if len(context) <= limit:
        return context
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", context) if s.strip()]
    wanted = {w.lower() for h in hints for w in WORD.findall(h)}
    ranked = sorted(range(len(sentences)), key=lambda i: -len(wanted & {w.lower() for w in WORD.findall(sentences[i])}))
    chosen, size = [], 0
    for index in ranked:
        if size + len(sentences[index]) > limit and chosen:
            break
        chosen.append(index)
        size += len(sentences[index])
    return " ".join(sentences[i] for i in sorted(chosen))


def segment_messages(
    prompt: str,
    context: str | None,
    parent: Any,
    pointer: str,
    sub_schema: dict[str, Any],
    feedback: list[str],
    *,
    current: Any = None,
    with_siblings: bool = False,
) -> list[Message]:
    """A lean prompt for one segment: the task, what is wrong, the sub-schema, and only what the fix needs.

    Segment refinement is only worth it if it costs far fewer tokens than regenerating the whole output,
    so no full schema, no whole draft (siblings only for cross-field rules), and only the context
    sentences that concern the segment."""
    field = pointer.rsplit("/", 1)[-1] or "/"
    parts = [f"Task: {prompt}"]
    if context and context.strip() not in prompt:
        parts.append(f"Source: {relevant_context(context, [field, prompt, *feedback])}")
    where = f"In {_compact(parent)[:300]}, " if with_siblings else f"Current {field!r}: {_compact(current)[:120]}. "
    parts.append(f"{where}{field!r} is wrong: " + "; ".join(feedback))
    parts.append(f"Write a correct {field!r} as JSON matching {_compact(sub_schema)}")
    return [{"role": "system", "content": SEGMENT_SYSTEM}, {"role": "user", "content": "\n".join(parts)}]
