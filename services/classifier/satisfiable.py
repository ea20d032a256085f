"""Reject schemas no value can satisfy (contradictory bounds), before any token is spent on them."""

from typing import Any

PAIRS = (
    ("minLength", "maxLength"),
    ("minItems", "maxItems"),
    ("minProperties", "maxProperties"),
    ("minimum", "maximum"),
)


def _problems(node: Any, pointer: str) -> list[str]:
    if isinstance(node, list):
        return [p for i, item in enumerate(node) for p in _problems(item, f"{pointer}/{i}")]
    if not isinstance(node, dict):
        return []
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
    for key, value in node.items():
        if key in ("properties", "$defs", "definitions", "patternProperties") and isinstance(value, dict):
            found += [p for name, sub in value.items() for p in _problems(sub, f"{pointer}/{key}/{name}")]
        elif key in ("items", "additionalProperties", "allOf", "prefixItems"):
            found += _problems(value, f"{pointer}/{key}")
    return found


def unsatisfiable_reasons(schema: dict[str, Any]) -> list[str]:
    return _problems(schema, "")
