"""The one walk over a JSON Schema's sub-schemas: which keywords hold schemas, and in what shape.

A keyword holds a map of named sub-schemas (`properties`), one sub-schema (`not`), or either one or a list
(`items`, `allOf`). Everything that visits or rebuilds a schema (decoding bounds, the classifier's checks
and features) goes through here, so a keyword is taught once. Values under other keywords (`enum`,
`const`, `default`, `examples`) are data, never walked as schemas."""

from collections.abc import Callable, Iterator
from typing import Any

import jsonpointer

SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
SCHEMA_KEYWORDS = frozenset(
    {"items", "additionalProperties", "not", "if", "then", "else", "contains", "anyOf", "oneOf", "allOf", "prefixItems"}
)
ALL_KEYWORDS = SCHEMA_MAPS | SCHEMA_KEYWORDS
COMBINATORS = frozenset({"allOf", "anyOf", "oneOf"})


def children(node: dict[str, Any], keywords: frozenset[str] = ALL_KEYWORDS) -> Iterator[tuple[str, str, Any]]:
    """(keyword, relative pointer, sub-schema) for each direct sub-schema of `node` under `keywords`."""
    for key, value in node.items():
        if key not in keywords:
            continue
        if key in SCHEMA_MAPS:
            if isinstance(value, dict):
                for name, sub in value.items():
                    yield key, f"/{key}/{jsonpointer.escape(name)}", sub
        elif isinstance(value, list):
            for index, sub in enumerate(value):
                yield key, f"/{key}/{index}", sub
        else:
            yield key, f"/{key}", value


def walk(
    node: Any, keywords: frozenset[str] = ALL_KEYWORDS, pointer: str = "", depth: int = 1
) -> Iterator[tuple[str, dict[str, Any], int]]:
    """(pointer, schema, depth) for `node` and every sub-schema below it, parents first."""
    if not isinstance(node, dict):
        return
    yield pointer, node, depth
    for _, relative, sub in children(node, keywords):
        yield from walk(sub, keywords, pointer + relative, depth + 1)


Rebuild = Callable[[str, Any], Any]  # (keyword it sits under, sub-schema) → the rebuilt sub-schema


def map_children(node: dict[str, Any], rebuild: Rebuild, keywords: frozenset[str] = ALL_KEYWORDS) -> dict[str, Any]:
    """A copy of `node` with each direct sub-schema replaced by `rebuild(keyword, sub)`."""
    out = dict(node)
    for key in keywords & node.keys():
        value = node[key]
        if key in SCHEMA_MAPS:
            if isinstance(value, dict):
                out[key] = {name: rebuild(key, sub) for name, sub in value.items()}
        elif isinstance(value, list):
            out[key] = [rebuild(key, sub) for sub in value]
        else:
            out[key] = rebuild(key, value)
    return out
