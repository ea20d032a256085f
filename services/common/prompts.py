"""Prompts for the generator (whole output) and the refiner (one failing segment)."""

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


def segment_messages(
    prompt: str,
    context: str | None,
    draft: Any,
    pointer: str,
    sub_schema: dict[str, Any],
    feedback: list[str],
) -> list[Message]:
    parts = [f"Request: {prompt}"]
    if context:
        parts.append(f"Context:\n{context}")
    parts.append(f"Current draft: {_compact(draft)}")
    parts.append(f"The value at JSON pointer '{pointer or '/'}' is wrong: " + "; ".join(feedback))
    parts.append(f"Write only a corrected value for '{pointer or '/'}'. Its JSON Schema: {_compact(sub_schema)}")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n\n".join(parts)}]
