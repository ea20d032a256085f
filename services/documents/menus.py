"""A schema that is a menu of calls: `anyOf`/`oneOf` branches, each an object of one property (a function
call, `{"<name>": {<arguments>}}`), and the same schema narrowed to one of its calls."""

from typing import Any

ALTERNATIVES = ("anyOf", "oneOf")  # a menu offers one of its branches (allOf would ask for all)
DEFINITIONS = ("$defs", "definitions")


def menu(schema: dict[str, Any]) -> list[str]:
    """The names a schema offers one of (none unless it is a menu of two or more)."""
    names = []
    for combinator in ALTERNATIVES:
        for branch in schema.get(combinator) or []:
            properties = branch.get("properties") if isinstance(branch, dict) else None
            if not isinstance(properties, dict) or len(properties) != 1:
                return []
            names += list(properties)
    return names if len(names) > 1 else []


def call_branch(schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The menu's branch that calls `name` (None: the schema is no menu, or offers no such call)."""
    if name not in menu(schema):
        return None
    return next(b for c in ALTERNATIVES for b in schema.get(c) or [] if name in b["properties"])


def made_call(schema: dict[str, Any], output: Any) -> str | None:
    """The offered call an output makes (`{"<name>": {...}}`, the name on the schema's menu), else None."""
    if not isinstance(output, dict) or len(output) != 1:
        return None
    [name] = output
    return name if name in menu(schema) else None


def narrowed(schema: dict[str, Any], names: list[str]) -> dict[str, Any] | None:
    """The menu with only the branches that call `names`, in the menu's order (its definitions kept); None
    if it offers none of them. A draft decoded against it can only make those calls, and is still valid
    against the whole menu."""
    if not menu(schema):
        return None
    kept = [b for c in ALTERNATIVES for b in schema.get(c) or [] if next(iter(b["properties"])) in names]
    if not kept:
        return None
    return {**{k: v for k, v in schema.items() if k in DEFINITIONS}, "anyOf": kept}
