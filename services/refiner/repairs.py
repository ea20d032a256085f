"""Repairs that need no model: applied before any token is spent."""

import copy
import re
from collections import Counter
from typing import Any

import jsonpointer

from schemas import Critique, GenerationRequest, Verdict
from schemas.rules import MissingPath, Rule, RuleError, compile_rule
from services.documents.evidence import (
    as_stated,
    grounded_choices,
    named_choices,
    normalise,
    proper_name,
    stated_names,
    times_stated,
)
from services.documents.segments import field_name, get, join, parts, patch, subschema
from services.documents.validation import validator

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


def _failing(critique: Critique) -> frozenset[str]:
    """The pointers the critic failed: values there prove nothing about what other fields may hold."""
    return frozenset(v.pointer for v in critique.verdicts if v.severity == "error")


def _names_left(critique: Critique, output: Any, pointer: str, sub: dict[str, Any]) -> list[str]:
    """The names the context states that no passing field holds, in part or whole ("Netherfield" when
    the estate holds "Netherfield Park", "INVOICE INV-7731" when the number holds "INV-7731")."""
    passing = values_elsewhere(output, pointer, doubted=_failing(critique))
    held = [set(normalise(v).split()) for v in passing if isinstance(v, str)]
    left = []
    for name in stated_names(critique.request.context or ""):
        words = set(normalise(name).split())
        if validator(sub).is_valid(name) and not any(h and (h <= words or words <= h) for h in held):
            left.append(name)
    return left


def context_choices(critique: Critique, output: Any, pointer: str) -> list[Any] | None:
    """The values the context states that could fix `pointer`, or None to leave it to an open decode.

    With a context, a fact has to come from it (the critic checks that), so a failing number, or a string
    with a format or pattern, is chosen among the stated values that the sub-schema allows and that break
    none of the request's rules reading the field. A free-text string only when it failed grounding; a
    failing proper name among the names the context states."""
    request = critique.request
    sub = subschema(request.json_schema, pointer)
    kinds = {v.kind for v in critique.verdicts if v.pointer == pointer}
    free_text = sub.get("type") == "string" and not {"format", "pattern"} & sub.keys()
    if not request.context or not kinds or (free_text and "grounding" not in kinds):
        return None
    choices = grounded_choices(request.context, sub)
    if free_text and proper_name(get(output, pointer)):  # a wrong name is replaced by a name it states
        choices = _names_left(critique, output, pointer, sub) or choices
    rules = [rule for rule in map(compile_rule, request.rules) if reads(rule, pointer)]
    if choices and rules:
        choices = [c for c in choices if holds(rules, patch(copy.deepcopy(output), pointer, c), unknown=True)]
    return choices or None


def values_elsewhere(output: Any, pointer: str, at: str = "", doubted: frozenset[str] = frozenset()) -> list[Any]:
    """The scalar values of the output outside `pointer` (values other fields already state), leaving out
    the `doubted` pointers (those failing too: their values prove nothing)."""
    if at == pointer or at in doubted:
        return []
    if isinstance(output, dict):
        children = [(join(at, key), child) for key, child in output.items()]
    elif isinstance(output, list):
        children = [(join(at, index), child) for index, child in enumerate(output)]
    else:
        return [] if isinstance(output, bool) or output is None else [output]
    return [v for where, child in children for v in values_elsewhere(child, pointer, where, doubted)]


def untaken(
    choices: list[Any], output: Any, pointer: str, context: str, doubted: frozenset[str] = frozenset()
) -> list[Any]:
    """The choices other fields do not already hold as often as the context states them: two fields
    rarely state the same fact ("a 5 by 5 square" states 5 twice, so one side holding 5 leaves one)."""
    held = Counter(map(as_stated, values_elsewhere(output, pointer, doubted=doubted)))  # "90.00" holds 90
    return [c for c in choices if held[as_stated(c)] < times_stated(context, c)]


def settle_from_context(critique: Critique, output: Any, pointer: str) -> bool:
    """Patch in the value the context settles: the one stated value that fits; of several, the one stated
    right after the field's name ("radius of 4", "a=2", "Contact: ops@x.example") or right before it
    ("30 minutes") unless a passing field holds it, else the one other fields do not hold yet. The one
    value other fields hold is not forced on an optional field."""
    context = critique.request.context or ""
    choices = context_choices(critique, output, pointer)
    if not choices:
        return False
    free = untaken(choices, output, pointer, context)
    if len(choices) > 1:
        left = untaken(choices, output, pointer, context, _failing(critique))
        named = named_choices(context, field_name(pointer), left)
        choices = named if len(named) == 1 else free
    elif not free and droppable(output, critique.request.json_schema, pointer):
        return False
    if len(choices) != 1:
        return False
    patch(output, pointer, choices[0])
    return True


def drop_repeated(output: Any, schema: dict[str, Any], verdicts: list[Verdict]) -> set[str]:
    """Remove array items that only repeat earlier ones (a decoding loop), last first so the indexes
    hold, where the array keeps its minItems and no other verdict points into it. The pointers dropped."""
    by_array: dict[str, list[int]] = {}
    for verdict in verdicts:
        if verdict.code == "repeated":
            parent, _, index = verdict.pointer.rpartition("/")
            by_array.setdefault(parent, []).append(int(index))
    dropped = set()
    for parent, indexes in by_array.items():
        items = get(output, parent)
        others = [v for v in verdicts if v.code != "repeated" and v.pointer.startswith(parent + "/")]
        keep = subschema(schema, parent).get("minItems", 0)
        if others or not isinstance(items, list) or len(items) - len(indexes) < keep:
            continue
        for index in sorted(indexes, reverse=True):
            del items[index]
            dropped.add(join(parent, index))
    return dropped


def deterministic_repairs(critique: Critique) -> tuple[Any, list[Verdict]]:
    """(patched output, verdicts still needing the model)."""
    output = copy.deepcopy(critique.output)
    schema = critique.request.json_schema
    remaining: list[Verdict] = []
    settled = drop_repeated(output, schema, critique.verdicts)
    for verdict in critique.verdicts:
        if verdict.pointer in settled:
            continue
        if verdict.code == "additionalProperties" and drop_extra_properties(output, schema, verdict.pointer):
            continue
        if verdict.kind == "consistency" and compute_from_rules(output, critique.request, verdict.pointer):
            continue
        if verdict.kind == "grounding" and get(output, verdict.pointer, MISSING) is MISSING:
            continue  # already gone with an omitted parent
        if settle_from_context(critique, output, verdict.pointer):
            settled.add(verdict.pointer)
            continue
        if verdict.kind == "grounding" and drop_ungrounded(output, schema, verdict.pointer):
            continue
        remaining.append(verdict)
    return output, remaining
