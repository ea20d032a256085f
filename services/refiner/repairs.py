"""Repairs that need no model: applied before any token is spent."""

import copy
import re
from typing import Any

import jsonpointer
from jsonschema.validators import validator_for

from schemas import Critique, GenerationRequest, Verdict
from schemas.rules import MissingPath, RuleError, compile_rule
from services.common.segments import get, parts, patch, subschema

MISSING = object()


def _allowed(schema: dict[str, Any], key: str) -> bool:
    if key in (schema.get("properties") or {}):
        return True
    return any(re.search(pattern, key) for pattern in (schema.get("patternProperties") or {}))


def drop_extra_properties(output: Any, schema: dict[str, Any], pointer: str) -> bool:
    """`additionalProperties: false` violated: delete the keys the schema does not allow."""
    target = get(output, pointer)
    sub = subschema(schema, pointer)
    if not isinstance(target, dict) or sub.get("additionalProperties") is not False:
        return False
    for key in [k for k in target if not _allowed(sub, k)]:
        del target[key]
    return True


def _required(schema: dict[str, Any]) -> set[str]:
    """Names required by an object schema or by any of its combinator branches (erring towards keeping)."""
    names = set(schema.get("required") or [])
    for combinator in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(combinator) or []:
            if isinstance(branch, dict):
                names |= _required(branch)
    return names


def _declared(schema: dict[str, Any], key: str) -> bool:
    return _allowed(schema, key) or isinstance(schema.get("additionalProperties"), dict)


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
        candidate = patch(copy.deepcopy(output), pointer, value)
        try:
            consistent = all(r.holds(candidate) for r in rules)
        except (MissingPath, TypeError, ValueError, ZeroDivisionError, OverflowError):
            consistent = False
        if consistent and validator_for(sub)(sub).is_valid(value):
            patch(output, pointer, value)
            return True
    return False


def deterministic_repairs(critique: Critique) -> tuple[Any, list[Verdict]]:
    """(patched output, verdicts still needing the model)."""
    output = copy.deepcopy(critique.output)
    schema = critique.request.json_schema
    remaining = []
    for verdict in critique.verdicts:
        if verdict.code == "additionalProperties" and drop_extra_properties(output, schema, verdict.pointer):
            continue
        if verdict.kind == "consistency" and compute_from_rules(output, critique.request, verdict.pointer):
            continue
        if verdict.kind == "grounding" and (
            get(output, verdict.pointer, MISSING) is MISSING or drop_ungrounded(output, schema, verdict.pointer)
        ):
            continue  # omitted now, or already gone with an omitted parent
        remaining.append(verdict)
    return output, remaining
