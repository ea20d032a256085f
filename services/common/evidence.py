"""What a context states, in forms both the critic (checking) and the refiner (fixing) use."""

import re
from datetime import date, datetime
from itertools import pairwise
from typing import Any

NUMBER = re.compile(r"(?<![\w.])[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?")
WORD = re.compile(r"[a-z0-9]+")
TOKEN = re.compile(r"[\w@.+'-]+")
SPELLED = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "dozen": 12,
    "twenty": 20,
    "hundred": 100,
}
MAX_NGRAM = 6
MAX_CANDIDATES = 400


def normalise(text: str) -> str:
    return " ".join(WORD.findall(text.lower()))


def stated_numbers(context: str) -> set[float]:
    numbers = {float(m.replace(",", "")) for m in NUMBER.findall(context)}
    return numbers | {float(v) for w, v in SPELLED.items() if re.search(rf"\b{w}\b", context, re.IGNORECASE)}


def date_forms(value: str) -> list[str]:
    try:
        day = datetime.fromisoformat(value.replace("Z", "+00:00")).date() if "T" in value else date.fromisoformat(value)
    except ValueError:
        return []
    formats = ("%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%d/%m/%Y", "%m/%d/%Y", "%-d %B %Y", "%B %-d, %Y", "%d %b %Y")
    return [normalise(day.strftime(f)) for f in formats]


def passages(context: str) -> list[str]:
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", context) if s.strip()]
    return sentences + [f"{a} {b}" for a, b in pairwise(sentences)]


def _fits(value: float, schema: dict[str, Any]) -> bool:
    if schema.get("type") == "integer" and not float(value).is_integer():
        return False
    low, high = schema.get("minimum"), schema.get("maximum")
    return (low is None or value >= low) and (high is None or value <= high)


def grounded_choices(context: str, schema: dict[str, Any]) -> list[Any] | None:
    """Values the context states that the sub-schema allows, for constraining a regeneration; None when
    the segment is not a plain number or string (then the model is prompted, not constrained)."""
    kind = schema.get("type")
    if {"enum", "const", "format", "pattern"} & schema.keys():
        return None
    if kind in ("number", "integer"):
        numbers = sorted(n for n in stated_numbers(context) if _fits(n, schema))
        return [int(n) if kind == "integer" or n.is_integer() else n for n in numbers][:MAX_CANDIDATES] or None
    if kind == "string":
        words = TOKEN.findall(context)
        longest = schema.get("maxLength", 10**6)
        shortest = schema.get("minLength", 1)
        seen: dict[str, None] = {}
        for size in range(1, MAX_NGRAM + 1):
            for start in range(len(words) - size + 1):
                phrase = " ".join(words[start : start + size]).strip(".,;:'\"")
                if shortest <= len(phrase) <= longest:
                    seen.setdefault(phrase, None)
        return list(seen)[:MAX_CANDIDATES] or None
    return None
