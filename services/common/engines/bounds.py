"""Bound free-running strings and arrays for decoding only (the critic still checks the request's schema).

A small model inside an unbounded string or array can run to the token limit; a bound keeps every output
a valid, finite value. An object that declares its properties but says nothing about others is decoded
closed (`additionalProperties: false`): a small model otherwise fills it with invented keys, often an echo
of the schema itself, that cost tokens and fail grounding. Bounds only narrow the set of outputs, so every
bounded output is valid under the original schema."""

from dataclasses import dataclass
from typing import Any

import orjson

MAX_STRING = 256  # added where a string has no maxLength
MAX_FORMATTED = 100  # likewise, for a string with a `format` other than uri (email, date-time, uuid…)
MAX_ITEMS = 16  # added where an array has no maxItems
DECODE_STRING_CAP = 1000  # llama.cpp's GBNF parser rejects longer bounded repetitions (measured: 1500 fails)
DECODE_ITEMS_CAP = 64


# Keywords through which an object may gain properties its own `properties` does not list
OPEN_ENDED = {
    "additionalProperties",
    "patternProperties",
    "unevaluatedProperties",
    "allOf",
    "anyOf",
    "oneOf",
    "$ref",
    "if",
    "dependentSchemas",
    "dependencies",
}


def _closable(node: dict[str, Any]) -> bool:
    props = node.get("properties")
    if not isinstance(props, dict) or OPEN_ENDED & node.keys():
        return False
    required = node.get("required", [])
    return isinstance(required, list) and all(name in props for name in required)


# Sub-schemas applied beside their parent: one may list only some of the object's properties
BESIDE = {"allOf", "if", "then", "else", "dependentSchemas", "dependencies"}


def bounded(
    schema: Any, max_string: int = MAX_STRING, max_items: int = MAX_ITEMS, *, bound_patterns: bool = False
) -> Any:
    """The decoding schema. Definitions stay open when any `allOf` could extend them by reference.

    `bound_patterns`: strings with a `format` or `pattern` get a length bound too (llguidance intersects
    the two; llama.cpp's grammar converter cannot). Without it, a format a decoder does not enforce,
    `email` say, runs free: measured, SmolLM2 wrote an "email" of 380 tokens."""
    close_defs = b'"allOf"' not in orjson.dumps(schema)
    limits = _Limits(max_string, max_items, bound_patterns, close_defs)
    return _bound(schema, limits, closable=True)


@dataclass(frozen=True)
class _Limits:
    max_string: int
    max_items: int
    bound_patterns: bool
    close_defs: bool


def _bound(node: Any, limits: "_Limits", *, closable: bool) -> Any:
    """Nothing under `not` changes: narrowing there would widen the whole."""
    if isinstance(node, list):
        return [_bound(n, limits, closable=closable) for n in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: _bound(value, limits, closable=key not in BESIDE)
        if isinstance(value, dict | list) and key != "not"
        else value
        for key, value in node.items()
    }
    for key in {"properties", "$defs", "definitions", "patternProperties"} & out.keys():
        if isinstance(node[key], dict):
            close = limits.close_defs or key not in ("$defs", "definitions")
            out[key] = {name: _bound(sub, limits, closable=close) for name, sub in node[key].items()}
    if closable and _closable(node):
        out["additionalProperties"] = False
    kind = out.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    free = {"enum", "const"} if limits.bound_patterns else {"enum", "const", "format", "pattern"}
    if "string" in kinds and not free & out.keys():
        floor = out.get("minLength", 0)
        default = (
            MAX_FORMATTED if out.get("format", "uri") not in ("uri", "iri", "uri-reference") else limits.max_string
        )
        out["maxLength"] = max(min(out.get("maxLength", default), DECODE_STRING_CAP), floor)
    low, high = out.get("minimum"), out.get("maximum")
    if kinds == ["integer"] and isinstance(low, int) and isinstance(high, int) and 0 <= high - low <= 256:
        # llama.cpp's schema converter ignores minimum/maximum; a small range decodes as its enum
        out.setdefault("enum", list(range(low, high + 1)))
    if "array" in kinds:
        floor = out.get("minItems", 0)
        out["maxItems"] = max(min(out.get("maxItems", limits.max_items), DECODE_ITEMS_CAP), floor)
    return out
