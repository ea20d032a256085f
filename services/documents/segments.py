"""JSON-pointer segments of an output and the sub-schema that governs each one."""

from collections.abc import Iterator
from typing import Any

import jsonpointer

ANY_SCHEMA: dict[str, Any] = {}


def parts(pointer: str) -> list[str]:
    return jsonpointer.JsonPointer(pointer).parts if pointer else []


def join(parent: str, key: str | int) -> str:
    return f"{parent}/{jsonpointer.escape(str(key))}"


def nodes(document: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """(pointer, node) of every node of a JSON document, containers before what they hold."""
    yield pointer, document
    if isinstance(document, dict | list):
        items = document.items() if isinstance(document, dict) else enumerate(document)
        for key, value in items:
            yield from nodes(value, join(pointer, key))


def _resolve_ref(root: dict[str, Any], node: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#") and depth < 32:
        target = jsonpointer.resolve_pointer(root, node["$ref"][1:], default=None)
        if not isinstance(target, dict):
            return ANY_SCHEMA
        node, depth = target, depth + 1
    return node


def _child(root: dict[str, Any], node: dict[str, Any], key: str) -> dict[str, Any] | None:
    node = _resolve_ref(root, node)
    if not isinstance(node, dict):
        return None
    props = node.get("properties")
    if isinstance(props, dict) and key in props:
        return _resolve_ref(root, props[key])
    if key.isdigit() or key == "-":
        prefix = node.get("prefixItems")
        if key.isdigit() and isinstance(prefix, list) and int(key) < len(prefix):
            return _resolve_ref(root, prefix[int(key)])
        items = node.get("items")
        if isinstance(items, list):  # draft-4 tuple form
            return _resolve_ref(root, items[int(key)]) if key.isdigit() and int(key) < len(items) else ANY_SCHEMA
        if isinstance(items, dict):
            return _resolve_ref(root, items)
    if isinstance(node.get("additionalProperties"), dict):
        return _resolve_ref(root, node["additionalProperties"])
    for combinator in ("allOf", "anyOf", "oneOf"):
        for branch in node.get(combinator, []) or []:
            found = _child(root, branch, key) if isinstance(branch, dict) else None
            if found is not None:
                return found
    return None


def subschema(schema: dict[str, Any], pointer: str) -> dict[str, Any]:
    """The schema for the value at `pointer`, with local `$ref`s resolved; `{}` (anything) if unknown.

    `$defs` of the root are carried along so that refs inside the sub-schema still resolve."""
    node: dict[str, Any] = _resolve_ref(schema, schema)
    for key in parts(pointer):
        child = _child(schema, node, key)
        if child is None:
            return ANY_SCHEMA
        node = child
    if node is schema:
        return schema
    defs = {k: schema[k] for k in ("$defs", "definitions") if k in schema}
    return {**defs, **node} if defs and isinstance(node, dict) else node


def object_schema(schema: dict[str, Any], pointer: str, value: dict[str, Any]) -> dict[str, Any]:
    """The schema of the object at `pointer`: with alternatives, the branch whose properties hold its keys."""
    node = subschema(schema, pointer)
    if isinstance(node.get("properties"), dict):
        return node
    for combinator in ("anyOf", "oneOf"):
        for branch in node.get(combinator, []) or []:
            props = branch.get("properties") if isinstance(branch, dict) else None
            if isinstance(props, dict) and set(value) <= set(props):
                return branch
    return ANY_SCHEMA


def field_name(pointer: str) -> str:
    """The name of the field a pointer ends in ("/items/0/qty" → "qty", "/tags/3" → "tags")."""
    return next((key for key in reversed(parts(pointer)) if not key.isdigit()), "")


def get(document: Any, pointer: str, default: Any = None) -> Any:
    return jsonpointer.resolve_pointer(document, pointer, default=default)


def patch(document: Any, pointer: str, value: Any) -> Any:
    """Return `document` with `value` at `pointer`, creating missing parent objects."""
    if not pointer:
        return value
    keys = parts(pointer)
    node = document
    for key in keys[:-1]:
        if isinstance(node, list):
            node = node[int(key)]
        else:
            node = node.setdefault(key, {})
    last = keys[-1]
    if isinstance(node, list):
        index = int(last) if last != "-" else len(node)
        if index < len(node):
            node[index] = value
        else:
            node.append(value)
    else:
        node[last] = value
    return document


def outermost(pointers: list[str]) -> list[str]:
    """Drop pointers inside another failing pointer: regenerating the parent fixes the child too."""
    unique = sorted(set(pointers), key=lambda p: (len(parts(p)), p))
    kept: list[str] = []
    for p in unique:
        if not any(p == k or p.startswith(k + "/") or k == "" for k in kept):
            kept.append(p)
    return kept
