"""Bound free-running strings and arrays for decoding only (the critic still checks the request's schema).

A small model inside an unbounded string or array can run to the token limit; a bound keeps every output
a valid, finite value. Bounds only narrow the set of outputs, so every bounded output is valid under the
original schema."""

from typing import Any

MAX_STRING = 256
MAX_ITEMS = 16


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
    if "string" in kinds and "maxLength" not in out and not {"enum", "const", "format", "pattern"} & out.keys():
        out["maxLength"] = max(max_string, out.get("minLength", 0))
    if "array" in kinds and "maxItems" not in out:
        out["maxItems"] = max(max_items, out.get("minItems", 0))
    return out
