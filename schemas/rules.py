"""Refinery's rule language: cross-field checks a request declares, e.g.

    end_date >= start_date
    total == sum(items[*].price)
    len(attendees) <= 8 and duration_minutes > 0

Syntax: a small subset of Python expressions, parsed with `ast` and evaluated by a whitelist walker
(never `eval`): paths (`a.b`, `a[0]`, `a[*].b` fans out over an array), numbers, strings, true / false /
null, arithmetic `+ - * / %` on numbers, comparisons (chainable), `and` / `or` / `not`, and the functions
sum, len, min, max, abs, round, count. No attribute access on Python objects, no calls but those, no
exponentiation; an expression is at most 500 characters and 200 syntax nodes.
Write the field a failure should be blamed on first (`total == …`): it names the segment to refine."""

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from schemas.rule_eval import (
    BINARY,
    COMPARE,
    EACH,
    FUNCTIONS,
    LITERALS,
    Evaluator,
    MissingPath,
    RuleError,
    round_digits,
)

__all__ = ["MissingPath", "Rule", "RuleError", "compile_rule"]

MAX_CHARS = 500
MAX_NODES = 200


def _path_of(node: ast.AST) -> str | None:
    """The JSON pointer a path expression reads (up to its first `[*]`), or None if not a path."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Name) and node.id not in LITERALS and node.id != EACH:
            parts.append(node.id)
            return "/" + "/".join(reversed(parts))
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            index = node.slice
            if isinstance(index, ast.Name) and index.id == EACH:
                parts.clear()
            elif isinstance(index, ast.Constant) and isinstance(index.value, int):
                parts.append(str(index.value))
            node = node.value
        else:
            return None


@dataclass(frozen=True)
class Rule:
    source: str
    tree: ast.Expression
    paths: tuple[str, ...]  # JSON pointers it reads, in order of appearance

    @property
    def blame(self) -> str:
        return self.paths[0] if self.paths else ""

    def holds(self, data: Any) -> bool:
        """True/False; raises MissingPath when a path is absent, TypeError/ZeroDivisionError on bad values."""
        return bool(Evaluator(data).visit(self.tree.body))

    def solve(self, data: Any) -> tuple[bool, Any]:
        """For a rule `blamed.path == expression` whose expression does not read that path: (True, the
        value the expression gives on `data`), so the field can be computed, not generated; else
        (False, None). Raises what evaluation raises."""
        body = self.tree.body
        if not (isinstance(body, ast.Compare) and len(body.ops) == 1 and isinstance(body.ops[0], ast.Eq)):
            return False, None
        left, right = body.left, body.comparators[0]
        if _path_of(left) != self.blame or any(n.id == EACH for n in ast.walk(left) if isinstance(n, ast.Name)):
            return False, None
        inner = {id(n.value) for n in ast.walk(right) if isinstance(n, ast.Attribute | ast.Subscript)}
        for node in ast.walk(right):
            if id(node) in inner or not isinstance(node, ast.Name | ast.Attribute | ast.Subscript):
                continue  # only whole paths: `a` inside `a.c` is not a read of `a`
            path = _path_of(node)
            if path and (path == self.blame or self.blame.startswith(path + "/") or path.startswith(self.blame + "/")):
                return False, None
        return True, Evaluator(data).visit(right)


def _check_literal_digits(node: ast.AST) -> None:
    """`round(x, -99999999)` is refused at intake, not when the critic first evaluates it."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "round" and node.args[1:]:
        try:
            digits = ast.literal_eval(node.args[1])
        except ValueError:
            return  # a path: checked when evaluated
        round_digits(digits)


@lru_cache(maxsize=1024)
def compile_rule(source: str) -> Rule:
    """Cached: the critic and the refiner compile a request's rules on every round."""
    if len(source) > MAX_CHARS:
        raise RuleError(f"rule longer than {MAX_CHARS} characters")
    text = re.sub(r"\[\s*\*\s*\]", f"[{EACH}]", source)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise RuleError(f"syntax error in rule {source!r}: {exc.msg}") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise RuleError(f"rule has more than {MAX_NODES} syntax nodes")
    for node in nodes:
        _check_node(node)
        _check_literal_digits(node)
    functions = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
    found: list[tuple[int, str]] = []
    for node in nodes:
        if isinstance(node, ast.Name | ast.Attribute | ast.Subscript) and id(node) not in functions:
            path = _path_of(node)
            if path:
                found.append((node.col_offset, path))
    paths: list[str] = []
    for _, path in sorted(found):  # outermost path per position: `a.b` wins over its own prefix `a`
        if any(p == path or p.startswith(path + "/") for p in paths):
            continue
        paths = [p for p in paths if not path.startswith(p + "/")] + [path]
    return Rule(source=source, tree=tree, paths=tuple(paths))


ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Compare,
    ast.Name,
    ast.Load,
    ast.Attribute,
    ast.Subscript,
    ast.Constant,
    ast.Call,
    *BINARY,
    *COMPARE,
)


def _check_node(node: ast.AST) -> None:
    if not isinstance(node, ALLOWED):
        raise RuleError(f"{type(node).__name__} is not allowed in rules")
    if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str | bool | type(None)):
        raise RuleError(f"literal {node.value!r} is not allowed")
    if isinstance(node, ast.Name) and node.id.startswith("_") and node.id != EACH:
        raise RuleError(f"name {node.id!r} is not allowed")
    if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
        raise RuleError(f"field {node.attr!r} is not allowed")
    if isinstance(node, ast.Call) and (
        not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords
    ):
        raise RuleError(f"only these functions are allowed: {', '.join(FUNCTIONS)}")
    if isinstance(node, ast.Subscript):
        index = node.slice
        ok = (isinstance(index, ast.Constant) and type(index.value) is int) or (
            isinstance(index, ast.Name) and index.id == EACH
        )
        if not ok:
            raise RuleError("indexes must be integers or [*]")
