"""Bound free-running strings and arrays for decoding only (the critic still checks the request's schema).

A small model inside an unbounded string or array can run to the token limit; a bound keeps every output
a valid, finite value. Bounds only narrow the set of outputs, so every bounded output is valid under the
original schema."""

from typing import Any

MAX_STRING = 256  # added where a string has no maxLength
MAX_ITEMS = 16  # added where an array has no maxItems
DECODE_STRING_CAP = 1000  # llama.cpp's GBNF parser rejects longer bounded repetitions (measured: 1500 fails)
DECODE_ITEMS_CAP = 64


def bounded(node: Any, max_string: int = MAX_STRING, max_items: int = MAX_ITEMS) -> Any:
    if isinstance(node, list):
        return [bounded(n, max_string, max_items) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: bounded(v, max_string, max_items) if isinstance(v, dict | list) else v for k, v in node.items()}
    if k := {"properties", "$defs", "definitions", "patternProperties"} & out.keys():
        for key in k:
            if isinstance(node[key], dict):
                out[key] = {name: bounded(sub, max_string, max_items) for name, sub in node[key].items()}
    kind = out.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "string" in kinds and not {"enum", "const", "format", "pattern"} & out.keys():
        floor = out.get("minLength", 0)
        out["maxLength"] = max(min(out.get("maxLength", max_string), DECODE_STRING_CAP), floor)
    low, high = out.get("minimum"), out.get("maximum")
    if kinds == ["integer"] and isinstance(low, int) and isinstance(high, int) and 0 <= high - low <= 256:
        # llama.cpp's schema converter ignores minimum/maximum; a small range decodes as its enum
        out.setdefault("enum", list(range(low, high + 1)))
    if "array" in kinds:
        floor = out.get("minItems", 0)
        out["maxItems"] = max(min(out.get("maxItems", max_items), DECODE_ITEMS_CAP), floor)
    return out
