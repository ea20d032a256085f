"""Request-declared cross-field rules (schemas/rules.py), one `consistency` verdict per failing rule."""

from typing import Any

from schemas import Verdict
from schemas.rules import MissingPath, compile_rule


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


def rule_verdicts(output: Any, rules: list[str], failing: set[str] | None = None) -> list[Verdict]:
    """A verdict per rule that does not hold. A rule reading a field that already fails its schema waits
    (a warning) until that field is fixed: its value says nothing yet about the field the rule blames."""
    verdicts = []
    for source in rules:
        rule = compile_rule(source)
        broken = _reads_any(rule.paths, (failing or set()) - {rule.blame})
        if broken is not None:
            verdicts.append(
                Verdict(
                    pointer=rule.blame,
                    kind="consistency",
                    code="rule",
                    severity="warning",
                    message=f"rule not checked until {broken} passes its schema: {source}",
                )
            )
            continue
        try:
            if rule.holds(output):
                continue
            problem = f"rule violated: {source}"
        except MissingPath as missing:
            # An optional field is absent: the rule does not apply (the schema decides what is required).
            verdicts.append(
                Verdict(
                    pointer=rule.blame,
                    kind="consistency",
                    code="rule",
                    severity="warning",
                    message=f"rule not checked, {missing} is absent: {source}",
                )
            )
            continue
        except (TypeError, ZeroDivisionError, OverflowError) as exc:
            problem = f"rule cannot hold ({exc}): {source}"
        verdicts.append(Verdict(pointer=rule.blame, kind="consistency", message=problem, code="rule"))
    return verdicts


def derived_pointers(rules: list[str]) -> set[str]:
    """Fields computed by a rule (its blamed path): not facts to ground in the context."""
    return {compile_rule(r).blame for r in rules if compile_rule(r).blame}
