"""What every local engine shares about prompts and stopping: the few-shot form for base models, and
the test for one whole JSON value."""

import orjson

from services.common.engines.base import Message

FEW_SHOT = (
    "Each request is answered with one JSON value that satisfies its JSON Schema, using only stated facts.\n\n"
    'Request: Book a table for 4 people at 19:30 under the name Rivera.\n\nJSON Schema: {"type":"object",'
    '"properties":{"name":{"type":"string"},"people":{"type":"integer"},"time":{"type":"string"}}}\n'
    'JSON: {"name": "Rivera", "people": 4, "time": "19:30"}'
)


def render_completion(messages: list[Message]) -> str:
    """A base model has no chat template: one worked example, then the request, then "JSON:"."""
    task = "\n\n".join(m["content"] for m in messages if m["role"] != "system")
    return f"{FEW_SHOT}\n\n{task}\nJSON:"


def looks_complete(text: str) -> bool:
    """True once `text` is one whole JSON object, array or string (nothing more can follow)."""
    stripped = text.rstrip()
    if not stripped or stripped[-1] not in '}]"':
        return False
    try:
        orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return False
    return True
