"""The same request written in another order: a second opinion's rewrite that keeps every meaning.

A schema's properties and `anyOf` / `oneOf` branches, and a prompt's menu lines ("- name: description"), reversed at
every depth. Nothing is added or removed, so a right answer to one is a right answer to the other; a model
that answers the two differently was swayed by the order, not by the request."""

from typing import Any

from services.documents.function_menu import menu_entry


def reordered_schema(node: Any) -> Any:
    """The schema with every object's properties and every `anyOf` and `oneOf` in reverse order (not
    `prefixItems`: their order is meaning)."""
    if isinstance(node, list):
        return [reordered_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: reordered_schema(field) for name, field in reversed(list(value.items()))}
        elif key in ("anyOf", "oneOf") and isinstance(value, list):
            out[key] = [reordered_schema(branch) for branch in reversed(value)]
        else:
            out[key] = reordered_schema(value)
    return out


def reordered_prompt(prompt: str) -> str:
    """The prompt with its menu lines in reverse order, in the places they held; other lines as they were."""
    lines = prompt.split("\n")
    at = [i for i, line in enumerate(lines) if menu_entry(line)]
    for i, line in zip(at, [lines[i] for i in reversed(at)], strict=True):
        lines[i] = line
    return "\n".join(lines)
