"""Bounds on what a request may ask, checked before any expensive work starts.

Every later step (schema validation, the decoding-bounds pass, llguidance, the critic) walks the schema
recursively and runs its regexes, so depth, size and regex complexity are capped here, iteratively and
in linear time. A request over a bound is refused with the bound it broke."""

from typing import Any

import jsonpointer

from services.documents.patterns import PatternRefused, compiled
from services.documents.schema_walk import walk

MAX_NESTING = 48  # JSON levels in the whole request (schema, metadata, defaults)
MAX_SCHEMA_NODES = 5000  # sub-schemas
MAX_ENUM = 2000  # values in one enum
MAX_BRANCHES = 500  # anyOf/oneOf/allOf alternatives, all together


def nesting_depth(document: Any, limit: int) -> int:
    """Depth of nested arrays/objects, counted without recursion; stops counting past `limit`."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items if isinstance(item, dict | list))
    return deepest


def too_deep(document: Any) -> str | None:
    if nesting_depth(document, MAX_NESTING) > MAX_NESTING:
        return f"request nested deeper than {MAX_NESTING} levels"
    return None


def _patterns(node: dict[str, Any]) -> list[str]:
    found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
    if isinstance(node.get("patternProperties"), dict):
        found.extend(node["patternProperties"])
    names = node.get("propertyNames")
    if isinstance(names, dict) and isinstance(names.get("pattern"), str):
        found.append(names["pattern"])
    return found


def _ref_problem(schema: dict[str, Any], ref: str) -> str | None:
    """A remote `$ref` (never fetched: refused) or a local one that leads only to itself."""
    if not ref.startswith("#"):
        return f"$ref {ref[:80]!r} is not local; remote references are never fetched"
    seen: set[str] = set()
    while ref not in seen:
        seen.add(ref)
        try:
            target = jsonpointer.resolve_pointer(schema, ref[1:])
        except (jsonpointer.JsonPointerException, TypeError):
            return f"$ref {ref[:80]!r} does not resolve"
        if not (isinstance(target, dict) and set(target) == {"$ref"} and isinstance(target["$ref"], str)):
            return None
        ref = target["$ref"]
        if not ref.startswith("#"):
            return _ref_problem(schema, ref)
    return f"$ref {ref[:80]!r} is circular: it never reaches a schema"


def schema_problems(schema: dict[str, Any]) -> list[str]:
    """What makes `schema` too costly or unsafe to serve (an already depth-checked, valid JSON Schema)."""
    problems, branches = [], 0
    for nodes, (pointer, node, _) in enumerate(walk(schema), start=1):
        if nodes > MAX_SCHEMA_NODES:
            return [f"schema has more than {MAX_SCHEMA_NODES} sub-schemas"]
        branches += sum(len(node[k]) for k in ("anyOf", "oneOf", "allOf") if isinstance(node.get(k), list))
        if isinstance(node.get("enum"), list) and len(node["enum"]) > MAX_ENUM:
            problems.append(f"{pointer or '/'}: enum of {len(node['enum'])} values (at most {MAX_ENUM})")
        if isinstance(node.get("$ref"), str) and (problem := _ref_problem(schema, node["$ref"])):
            problems.append(f"{pointer or '/'}: {problem}")
        for pattern in _patterns(node):
            try:
                compiled(pattern)
            except PatternRefused as exc:
                problems.append(f"{pointer or '/'}: {exc}")
    if branches > MAX_BRANCHES:
        problems.append(f"schema has {branches} anyOf/oneOf/allOf alternatives (at most {MAX_BRANCHES})")
    return problems
