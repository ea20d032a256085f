"""Reject schemas no value can satisfy (contradictory bounds), before any token is spent on them."""

from typing import Any

from services.documents.schema_walk import SCHEMA_MAPS, walk

PAIRS = (
    ("minLength", "maxLength"),
    ("minItems", "maxItems"),
    ("minProperties", "maxProperties"),
    ("minimum", "maximum"),
)
# Where a contradiction binds the whole value (not under anyOf, oneOf or not, which may avoid it)
BINDING = SCHEMA_MAPS | {"items", "additionalProperties", "allOf", "prefixItems"}


def _problems(node: dict[str, Any], pointer: str) -> list[str]:
    found = []
    for low, high in PAIRS:
        lo, hi = node.get(low), node.get(high)
        if isinstance(lo, int | float) and isinstance(hi, int | float) and lo > hi:
            found.append(f"{pointer or '/'}: {low} {lo} > {high} {hi}")
    if node.get("enum") == []:
        found.append(f"{pointer or '/'}: empty enum")
    props = node.get("properties") if isinstance(node.get("properties"), dict) else {}
    if (
        node.get("additionalProperties") is False
        and isinstance(node.get("required"), list)
        and not node.get("patternProperties")
    ):
        missing = [r for r in node["required"] if r not in props]
        if missing:
            found.append(f"{pointer or '/'}: required {missing} not allowed by additionalProperties false")
    return found


def unsatisfiable_reasons(schema: dict[str, Any]) -> list[str]:
    return [p for pointer, node, _ in walk(schema, frozenset(BINDING)) for p in _problems(node, pointer)]
