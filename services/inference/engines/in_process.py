"""What every in-process engine (llama.cpp, transformers) shares: the few-shot form for base models, the
test for one whole JSON value, the room a context window leaves, the grammar cache, and batches whose
calls fail in place."""

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import orjson

from services.inference.engines.base import Completion, Message, SchemaCompileError

GRAMMAR_CACHE_SIZE = 256
Call = tuple[list[Message], dict[str, Any] | None, int]  # messages, json_schema, max_new_tokens
Prepared = TypeVar("Prepared")

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


def context_room(prompt_tokens: int, max_new_tokens: int, context_window: int) -> int:
    """New tokens the context window leaves after the prompt (at most `max_new_tokens`); ValueError if none."""
    room = min(max_new_tokens, context_window - prompt_tokens)
    if room <= 0:
        raise ValueError(f"prompt of {prompt_tokens} tokens leaves no room in a {context_window}-token context")
    return room


class GrammarCache:
    """Compiled constraints per schema (least recently used out first): compiling costs milliseconds,
    and a worker sees the same few schemas again and again."""

    def __init__(self, size: int = GRAMMAR_CACHE_SIZE) -> None:
        self._size = size
        self._compiled: OrderedDict[bytes, Any] = OrderedDict()

    def get(self, json_schema: dict[str, Any], compile_schema: Callable[[dict[str, Any]], Any]) -> Any:
        key = orjson.dumps(json_schema, option=orjson.OPT_SORT_KEYS)
        if key not in self._compiled:
            self._compiled[key] = compile_schema(json_schema)
            if len(self._compiled) > self._size:
                self._compiled.popitem(last=False)
        self._compiled.move_to_end(key)
        return self._compiled[key]


def prepare_in_place(
    calls: Sequence[Call], prepare: Callable[[list[Message], dict[str, Any] | None, int], Prepared]
) -> tuple[list[Completion | Exception | None], list[tuple[int, Prepared]]]:
    """A batch's calls made ready to decode; a call that cannot start (schema, context size) gets its
    exception in its place in the results, and the others still run."""
    results: list[Completion | Exception | None] = [None] * len(calls)
    prepared: list[tuple[int, Prepared]] = []
    for index, call in enumerate(calls):
        try:
            prepared.append((index, prepare(*call)))
        except (SchemaCompileError, ValueError) as exc:
            results[index] = exc
    return results, prepared
