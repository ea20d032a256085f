"""Evaluating a compiled rule against an output: a whitelist walker over its syntax tree (never `eval`)."""

import ast
import operator
from collections.abc import Callable
from typing import Any

EACH = "__each__"
LITERALS = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}
BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class RuleError(ValueError):
    """The rule is not in the language (raised when it is compiled)."""


class MissingPath(LookupError):
    """The output has no value at a path the rule reads: the rule does not apply."""


class Each(list):
    """Values fanned out by `[*]`."""


def _number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return value


def _numbers(value: Any) -> list[float | int]:
    if not isinstance(value, list):
        raise TypeError(f"expected an array, got {value!r}")
    return [_number(v) for v in value]


def _len(value: Any) -> int:
    if not isinstance(value, list | str | dict):
        raise TypeError(f"len() needs an array, string or object, got {value!r}")
    return len(value)


MAX_ROUND_DIGITS = 20  # round(x, -99999999) builds 10**99999999: minutes of CPU for nothing


def round_digits(n: Any) -> int:
    digits = int(_number(n))
    if abs(digits) > MAX_ROUND_DIGITS:
        raise RuleError(f"round() to {digits} digits (at most {MAX_ROUND_DIGITS} either way)")
    return digits


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sum": lambda xs: sum(_numbers(xs)),
    "len": _len,
    "count": _len,
    "min": lambda xs: min(_numbers(xs)),
    "max": lambda xs: max(_numbers(xs)),
    "abs": lambda x: abs(_number(x)),
    "round": lambda x, n=0: round(_number(x), round_digits(n)),
}


class Evaluator:
    def __init__(self, data: Any) -> None:
        self.data = data

    def visit(self, node: ast.AST) -> Any:
        match node:
            case ast.Constant(value=value):
                return value
            case ast.Name(id=name) if name in LITERALS:
                return LITERALS[name]
            case ast.Name(id=name):
                return self._key(self.data, name)
            case ast.Attribute(value=value, attr=attr):
                return self._key(self.visit(value), attr)
            case ast.Subscript(value=value, slice=ast.Name(id=name)) if name == EACH:
                target = self.visit(value)
                if not isinstance(target, list):
                    raise TypeError(f"[*] needs an array, got {target!r}")
                return Each(target)
            case ast.Subscript(value=value, slice=ast.Constant(value=index)):
                return self._index(self.visit(value), index)
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return not self.visit(operand)
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return -_number(self.visit(operand))
            case ast.UnaryOp(op=ast.UAdd(), operand=operand):
                return _number(self.visit(operand))
            case ast.BoolOp(op=ast.And(), values=values):
                return all(self.visit(v) for v in values)
            case ast.BoolOp(op=ast.Or(), values=values):
                return any(self.visit(v) for v in values)
            case ast.BinOp(left=left, op=op, right=right):
                return BINARY[type(op)](_number(self.visit(left)), _number(self.visit(right)))
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                current = self.visit(left)
                for op, comparator in zip(ops, comparators, strict=True):
                    following = self.visit(comparator)
                    if not COMPARE[type(op)](current, following):
                        return False
                    current = following
                return True
            case ast.Call(func=ast.Name(id=name), args=args):
                return FUNCTIONS[name](*(self.visit(a) for a in args))
        raise RuleError(f"cannot evaluate {type(node).__name__}")

    @staticmethod
    def _key(target: Any, key: str) -> Any:
        if isinstance(target, Each):
            return Each(Evaluator._key(t, key) for t in target)
        if not isinstance(target, dict) or key not in target:
            raise MissingPath(key)
        return target[key]

    @staticmethod
    def _index(target: Any, index: int) -> Any:
        if isinstance(target, Each):
            return Each(Evaluator._index(t, index) for t in target)
        if not isinstance(target, list) or not -len(target) <= index < len(target):
            raise MissingPath(str(index))
        return target[index]
