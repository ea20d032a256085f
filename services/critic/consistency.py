"""Consistency: request-declared cross-field rules (schemas/rules.py), one verdict per failing rule, and
array items that repeat themselves."""

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from schemas import Verdict
from schemas.rules import MissingPath, Rule, compile_rule
from services.documents.evidence import as_stated, times_stated
from services.documents.segments import join, nodes, subschema


def _reads_any(paths: Any, pointers: set[str]) -> str | None:
    """The first of `pointers` a rule reading `paths` depends on (`/items` reads `/items/0/price`)."""
    return next(
        (
            p
            for p in sorted(pointers)
            for path in paths
            if path == p or f"{path}/".startswith(f"{p}/") or p.startswith(f"{path}/")
        ),
        None,
    )


def _unchecked(rule: Rule, why: str, source: str) -> Verdict:
    return Verdict(
        pointer=rule.blame,
        kind="consistency",
        code="rule",
        severity="warning",
        message=f"rule not checked, {why}: {source}",
    )


def rule_verdicts(output: Any, rules: list[str], failing: set[str] | None = None) -> list[Verdict]:
    """A verdict per rule that does not hold. A rule reading a field that already fails its schema waits
    (a warning) until that field is fixed: its value says nothing yet about the field the rule blames."""
    verdicts = []
    for source in rules:
        rule = compile_rule(source)
        broken = _reads_any(rule.paths, (failing or set()) - {rule.blame})
        if broken is not None:
            verdicts.append(_unchecked(rule, f"{broken} fails its schema", source))
            continue
        try:
            if rule.holds(output):
                continue
            problem = f"rule violated: {source}"
        except MissingPath as missing:
            # An optional field is absent: the rule does not apply (the schema decides what is required).
            verdicts.append(_unchecked(rule, f"{missing} is absent", source))
            continue
        except (TypeError, ZeroDivisionError, OverflowError) as exc:
            problem = f"rule cannot hold ({exc}): {source}"
        verdicts.append(Verdict(pointer=rule.blame, kind="consistency", message=problem, code="rule"))
    return verdicts


def derived_pointers(rules: list[str]) -> set[str]:
    """Fields computed by a rule (its blamed path): not facts to ground in the context."""
    return {compile_rule(r).blame for r in rules if compile_rule(r).blame}


def _arrays(output: Any) -> Iterator[tuple[str, list[Any]]]:
    return ((pointer, node) for pointer, node in nodes(output) if isinstance(node, list))


def repeated_items(output: Any, schema: dict[str, Any], source: str, strings_only: bool = False) -> list[Verdict]:
    """Array items repeating a value more often than the source (the context, else the prompt) states it:
    ["Mary", "3", "3", "3"] is a small model's decoding loop, not three facts. The first occurrences
    stand; enum items are choices. With no context only strings count (a die may roll 3 twice)."""
    verdicts = []
    for parent, items in _arrays(output):
        seen: dict[Any, int] = defaultdict(int)
        for index, value in enumerate(items):
            pointer = join(parent, index)
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                continue
            if (strings_only and not isinstance(value, str)) or {"enum", "const"} & subschema(schema, pointer).keys():
                continue
            key = as_stated(value)
            seen[key] += 1
            if seen[key] > (stated := times_stated(source, value)):
                verdicts.append(
                    Verdict(
                        pointer=pointer,
                        kind="consistency",
                        code="repeated",
                        message=f"{value!r} repeats an earlier item; the source states it {stated} time(s): "
                        "give another item or fewer items",
                    )
                )
    return verdicts
