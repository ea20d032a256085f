"""Request-declared cross-field rules (schemas/rules.py), one `consistency` verdict per failing rule."""

from typing import Any

from schemas import Verdict
from schemas.rules import MissingPath, compile_rule


def rule_verdicts(output: Any, rules: list[str]) -> list[Verdict]:
    verdicts = []
    for source in rules:
        rule = compile_rule(source)
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
