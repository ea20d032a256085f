"""Values the context settles: with a context, a fact has to come from it, so a failing value is chosen
among what the context states (its sub-schema, formats and rules allowing), with no model where that
leaves one, and the model's choice is constrained to them where it does not."""

import copy
from collections import Counter
from typing import Any

from schemas import Critique
from schemas.rules import compile_rule
from services.documents.evidence import (
    as_stated,
    grounded_choices,
    named_choices,
    normalise,
    proper_name,
    stated_names,
    times_stated,
)
from services.documents.repairs import droppable, holds, reads
from services.documents.segments import field_name, get, join, patch, subschema
from services.documents.validation import validator


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
