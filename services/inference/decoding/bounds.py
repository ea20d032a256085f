"""Bound free-running strings and arrays for decoding only (the critic still checks the request's schema).

A small model inside an unbounded string or array can run to the token limit; a bound keeps every output
a valid, finite value. An object that declares its properties but says nothing about others is decoded
closed (`additionalProperties: false`): a small model otherwise fills it with invented keys, often an echo
of the schema itself, that cost tokens and fail grounding. Bounds only narrow the set of outputs, so every
bounded output is valid under the original schema."""

import re
from dataclasses import dataclass
from typing import Any

import orjson

from services.documents.schema_walk import ALL_KEYWORDS, map_children

MAX_STRING = 256  # added where a string has no maxLength
MAX_FORMATTED = 100  # likewise, for a string with a `format` other than uri (email, date-time, uuid…)
MAX_ITEMS = 16  # added where an array has no maxItems
DECODE_STRING_CAP = 1000  # llama.cpp's GBNF parser rejects longer bounded repetitions (measured: 1500 fails)
DECODE_ITEMS_CAP = 64
SAFE_INTEGER = 2**53 - 1  # integers decode within ±this (exact in every JSON parser, JavaScript's included)
PATTERN_REPEATS = 32  # `+`, `*` and `{n,}` in a pattern become at most this many repeats (pattern fallback)


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
BOUNDED_KEYWORDS = ALL_KEYWORDS - {"not"}


def bounded(
    schema: Any,
    max_string: int = MAX_STRING,
    max_items: int = MAX_ITEMS,
    *,
    bound_patterns: bool = False,
    pattern_repeats: int | None = None,
) -> Any:
    """The decoding schema. Definitions stay open when any `allOf` could extend them by reference.

    `bound_patterns`: strings with a `format` or `pattern` get a length bound too (llguidance intersects
    the two; llama.cpp's grammar converter cannot). Without it, a format a decoder does not enforce,
    `email` say, runs free: measured, SmolLM2 wrote an "email" of 380 tokens.
    `pattern_repeats`: bound each pattern's own repeats instead (for a pattern llguidance cannot intersect
    with a length: measured, SmolLM2 ran `[^@]+` of an email pattern to the token limit in digits)."""
    close_defs = b'"allOf"' not in orjson.dumps(schema)
    limits = _Limits(max_string, max_items, bound_patterns, close_defs, pattern_repeats)
    return _bound(schema, limits, closable=True)


_OPEN_REPEAT = re.compile(r"\{(\d+),\}")


def bound_repeats(pattern: str, most: int) -> str:
    """`pattern` with its unbounded repeats bounded: `+` → `{1,most}`, `*` → `{0,most}`, `{n,}` →
    `{n,n+most}` (escapes and character classes left as they are). It matches a subset of `pattern`."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]" or pattern[i - 1] == "[" or pattern[i - 2 : i] == "[^"
        elif char == "[":
            in_class = True
        elif char in "+*" and i > 0 and pattern[i - 1] not in "(|":
            char = f"{{{1 if char == '+' else 0},{most}}}"
        elif char == "{" and (repeat := _OPEN_REPEAT.match(pattern, i)):
            low = int(repeat.group(1))
            out.append(f"{{{low},{low + most}}}")
            i = repeat.end()
            continue
        out.append(char)
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class _Limits:
    max_string: int
    max_items: int
    bound_patterns: bool
    close_defs: bool
    pattern_repeats: int | None = None


def _bound_integer(out: dict[str, Any]) -> None:
    """Decode an integer without a maximum (minimum) at most (least) ±SAFE_INTEGER, where that leaves a value."""
    bounds = [out.get(k) for k in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")]
    if not all(isinstance(v, int | float | None) and not isinstance(v, bool) for v in bounds):
        return
    floors, ceilings = [v for v in bounds[:2] if v is not None], [v for v in bounds[2:] if v is not None]
    if not ceilings and all(v < SAFE_INTEGER for v in floors):
        out["maximum"] = SAFE_INTEGER
    if not floors and all(v > -SAFE_INTEGER for v in ceilings):
        out["minimum"] = -SAFE_INTEGER


def _bound(node: Any, limits: "_Limits", *, closable: bool) -> Any:
    """Nothing under `not` changes: narrowing there would widen the whole."""
    if not isinstance(node, dict):
        return node

    def rebuild(keyword: str, sub: Any) -> Any:
        close = limits.close_defs if keyword in ("$defs", "definitions") else keyword not in BESIDE
        return _bound(sub, limits, closable=close)

    out = map_children(node, rebuild, BOUNDED_KEYWORDS)
    if closable and _closable(node):
        out["additionalProperties"] = False
    kind = out.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    free = {"enum", "const"} if limits.bound_patterns else {"enum", "const", "format", "pattern"}
    if limits.pattern_repeats and isinstance(out.get("pattern"), str):
        out["pattern"] = bound_repeats(out["pattern"], limits.pattern_repeats)
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
    if kinds == ["integer"]:  # a small model can run "1000000…" to the token limit
        _bound_integer(out)
    if "array" in kinds:
        floor = out.get("minItems", 0)
        out["maxItems"] = max(min(out.get("maxItems", limits.max_items), DECODE_ITEMS_CAP), floor)
    return out
