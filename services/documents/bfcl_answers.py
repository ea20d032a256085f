"""Is an output BFCL's answer? The rule of BFCL's own AST checker (Python category), so that "right" here
means what it means on the leaderboard:

- every parameter the answer lists must be given, unless its allowed values include "" (optional);
  no parameter it does not list may be given;
- strings compare after standardising: case, spaces and `,./-_*^` do not count ("April 1, 2024" ==
  "april 1 2024"; "x^2" == "x**2");
- a dict parameter's allowed values are dicts of allowed values per key (checked key by key, optional keys
  marked ""); a list of dicts is checked dict by dict, in order; other lists element by element;
- numbers compare by value (an integer may stand for a float), but a boolean is never a number.

An earlier version compared values with `==`: dict parameters never matched (the answer holds lists of
allowed values per key), and "Sushi" was wrong for "sushi".
"""

import re
from typing import Any

IGNORED = re.compile(r"[ ,./\-_*^]")


def standardise(text: str) -> str:
    return IGNORED.sub("", text).lower().replace("'", '"')


def _scalar_equal(value: Any, allowed: Any) -> bool:
    if isinstance(value, str) or isinstance(allowed, str):
        return isinstance(value, str) and isinstance(allowed, str) and standardise(value) == standardise(allowed)
    if isinstance(value, bool) or isinstance(allowed, bool):
        return value is allowed
    if isinstance(value, int | float) and isinstance(allowed, int | float):
        return value == allowed
    return False


def mismatched_keys(value: dict[str, Any], allowed: dict[str, Any]) -> set[str]:
    """The keys on which `value` fails `allowed` (each key mapped to its list of allowed values): keys it
    has that `allowed` lacks, keys it leaves out that are not optional (no ""), values not allowed."""
    wrong = set(value) - set(allowed)
    for key, options in allowed.items():
        if (key not in value and "" not in options) or (key in value and not value_matches(value[key], options)):
            wrong.add(key)
    return wrong


def _dict_matches(value: dict[str, Any], allowed: dict[str, Any]) -> bool:
    return not mismatched_keys(value, allowed)


def _list_matches(value: list[Any], allowed: list[Any]) -> bool:
    if len(value) != len(allowed):
        return False
    for item, expected in zip(value, allowed, strict=True):
        if isinstance(expected, dict):
            if not isinstance(item, dict) or not _dict_matches(item, expected):
                return False
        elif isinstance(expected, list):
            if not isinstance(item, list) or not _list_matches(item, expected):
                return False
        elif not _scalar_equal(item, expected):
            return False
    return True


def value_matches(value: Any, options: list[Any]) -> bool:
    """Whether `value` equals one of a parameter's allowed values ("" marks the parameter optional)."""
    for allowed in options:
        if allowed == "" and not isinstance(value, str):
            continue
        if isinstance(value, dict):
            if isinstance(allowed, dict) and _dict_matches(value, allowed):
                return True
        elif isinstance(value, list):
            if isinstance(allowed, list) and _list_matches(value, allowed):
                return True
        elif _scalar_equal(value, allowed):
            return True
    return False


def arguments_match(arguments: Any, expected: dict[str, list[Any]]) -> bool:
    """One call's arguments against the answer's allowed values per parameter."""
    return isinstance(arguments, dict) and _dict_matches(arguments, expected)
