"""Single repairs that need no model: keys the schema forbids, fields a rule defines, looping items,
ungrounded optional values (values the context settles: context_values.py)."""

import copy
from typing import Any

import jsonpointer

from schemas import GenerationRequest, Verdict
from schemas.rules import MissingPath, Rule, RuleError, compile_rule
from services.documents import patterns
from services.documents.schema_walk import COMBINATORS, children
from services.documents.segments import get, join, parts, patch, subschema
from services.documents.validation import validator

MISSING = object()


def _allowed(schema: dict[str, Any], key: str) -> bool:
    if key in (schema.get("properties") or {}):
        return True
    return any(patterns.search(pattern, key) for pattern in (schema.get("patternProperties") or {}))


def drop_extra_properties(output: Any, schema: dict[str, Any], pointer: str) -> bool:
    """`additionalProperties: false` violated: delete the keys the schema does not allow."""
    target = get(output, pointer)
    sub = subschema(schema, pointer)
    if not isinstance(target, dict) or sub.get("additionalProperties") is not False:
        return False
    for key in [k for k in target if not _allowed(sub, k)]:
        del target[key]
    return True


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [sub for _, _, sub in children(schema, COMBINATORS) if isinstance(sub, dict)]


def _required(schema: dict[str, Any]) -> set[str]:
    """Names required by an object schema or by any of its combinator branches (erring towards keeping)."""
    names = set(schema.get("required") or [])
    for branch in _branches(schema):
        names |= _required(branch)
    return names


def _declared(schema: dict[str, Any], key: str) -> bool:
    """Whether the object schema, or one of its combinator branches (a function menu's `anyOf`), declares
    the key: an undeclared key goes whole, a declared one only when optional."""
    if _allowed(schema, key) or isinstance(schema.get("additionalProperties"), dict):
        return True
    return any(_declared(branch, key) for branch in _branches(schema))


def droppable(output: Any, schema: dict[str, Any], pointer: str) -> str | None:
    """The pointer of the property to omit for an unsupported value at `pointer`, if one may go: the
    outermost property the schema does not declare, else the value's own property when not required."""
    keys = parts(pointer)
    for depth in range(len(keys)):
        above = "".join("/" + jsonpointer.escape(k) for k in keys[:depth])
        parent, parent_schema = get(output, above), subschema(schema, above)
        if not isinstance(parent, dict):
            continue
        last = depth == len(keys) - 1
        goes = not _declared(parent_schema, keys[depth]) or (last and keys[depth] not in _required(parent_schema))
        if goes and len(parent) - 1 >= parent_schema.get("minProperties", 0):
            return above + "/" + jsonpointer.escape(keys[depth])
    return None


def drop_ungrounded(output: Any, schema: dict[str, Any], pointer: str) -> bool:
    """Omit an unsupported value instead of guessing again, when the schema lets it go (see `droppable`).

    The draft stays valid and holds only what the context states; a second guess by the model would
    cost tokens and is often as ungrounded as the first."""
    target = droppable(output, schema, pointer)
    if target is None:
        return False
    *_, key = parts(target)
    del get(output, target.rsplit("/", 1)[0])[key]
    return True


def holds(rules: list[Rule], output: Any, *, unknown: bool = False) -> bool:
    """Every rule holds on `output`; a rule that cannot be evaluated there counts as `unknown`."""
    for rule in rules:
        try:
            if not rule.holds(output):
                return False
        except (MissingPath, TypeError, ValueError, ZeroDivisionError, OverflowError):
            if not unknown:
                return False
    return True


def reads(rule: Rule, pointer: str) -> bool:
    return any(
        path == pointer or pointer.startswith(path + "/") or path.startswith(pointer + "/") for path in rule.paths
    )


def compute_from_rules(output: Any, request: GenerationRequest, pointer: str) -> bool:
    """A field a rule defines (`total == sum(items[*].price)`) is computed, not generated: patched in
    when the value fits the field's schema and every rule blaming the field then holds."""
    rules = [rule for rule in map(compile_rule, request.rules) if rule.blame == pointer]
    sub = subschema(request.json_schema, pointer)
    for rule in rules:
        try:
            solvable, value = rule.solve(output)
        except (RuleError, MissingPath, TypeError, ValueError, ZeroDivisionError, OverflowError):
            continue
        if not solvable or isinstance(value, bool | list | dict):
            continue
        if isinstance(value, float) and value.is_integer() and sub.get("type") == "integer":
            value = int(value)
        if holds(rules, patch(copy.deepcopy(output), pointer, value)) and validator(sub).is_valid(value):
            patch(output, pointer, value)
            return True
    return False


DROPPED_ITEMS = frozenset({"repeated", "unasked"})  # items that only repeat earlier ones; items not asked for


def drop_items(output: Any, schema: dict[str, Any], verdicts: list[Verdict]) -> set[str]:
    """Remove array items that only repeat earlier ones (a decoding loop) or that the request never asked
    for, last first so the indexes hold, where the array keeps its minItems and no other verdict points
    into it. An array left empty goes whole where the schema lets it (`droppable`), else it keeps its items
    and the model is asked again. The pointers dropped."""
    by_array: dict[str, set[int]] = {}
    for verdict in verdicts:
        parent, _, index = verdict.pointer.rpartition("/")
        if verdict.code in DROPPED_ITEMS and index.isdigit() and isinstance(get(output, parent), list):
            by_array.setdefault(parent, set()).add(int(index))
    dropped = set()
    for parent, indexes in by_array.items():
        items = get(output, parent)  # gone when an array around it went whole
        others = any(v.code not in DROPPED_ITEMS and v.pointer.startswith(parent + "/") for v in verdicts)
        if others or not isinstance(items, list):
            continue
        if len(items) - len(indexes) >= max(subschema(schema, parent).get("minItems", 0), 1):
            for index in sorted(indexes, reverse=True):
                del items[index]
        elif len(indexes) < len(items) or not drop_ungrounded(output, schema, parent):
            continue  # it keeps its items: the model is asked again
        dropped |= {join(parent, index) for index in indexes}
    return dropped
