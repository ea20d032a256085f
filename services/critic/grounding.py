"""Grounding: every value that states a fact must be supported by the request's context.

A second model, different from the generator, judges what string matching cannot: MiniLM sentence
embeddings (services/common/encoder.py). A leaf value is grounded when
- a number equals a number in the context (0 and 1, and small counts spelled out, count as stated);
- a string, normalised, occurs in the normalised context, or ≥ 80 % of its words do; a date in ISO form
  matches the same date written the usual ways;
- otherwise, its embedding is within `threshold` cosine of the best-matching context passage.
Enum/const values, booleans, nulls and rule-derived fields are choices or computations, not claims."""

import re
from collections.abc import Iterator
from datetime import date, datetime
from itertools import pairwise
from typing import Any

import numpy as np

from schemas import Verdict
from services.common.encoder import SentenceEncoder
from services.common.segments import join, subschema

NUMBER = re.compile(r"(?<![\w.])[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?")
WORD = re.compile(r"[a-z0-9]+")
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


def normalise(text: str) -> str:
    return " ".join(WORD.findall(text.lower()))


def context_numbers(context: str) -> set[float]:
    numbers = {float(m.replace(",", "")) for m in NUMBER.findall(context)}
    numbers |= {float(v) for w, v in SPELLED.items() if re.search(rf"\b{w}\b", context, re.IGNORECASE)}
    return numbers | {0.0, 1.0}


def date_forms(value: str) -> list[str]:
    try:
        day = datetime.fromisoformat(value.replace("Z", "+00:00")).date() if "T" in value else date.fromisoformat(value)
    except ValueError:
        return []
    return [
        normalise(day.strftime(f))
        for f in (
            "%Y-%m-%d",
            "%d %B %Y",
            "%B %d, %Y",
            "%d/%m/%Y",
            "%m/%d/%Y",
            "%-d %B %Y",
            "%B %-d, %Y",
            "%d %b %Y",
            "%b %d, %Y",
        )
    ]


def passages(context: str) -> list[str]:
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", context) if s.strip()]
    pairs = [f"{a} {b}" for a, b in pairwise(sentences)]
    return sentences + pairs


def claims(output: Any, schema: dict[str, Any], pointer: str = "") -> Iterator[tuple[str, Any]]:
    """(pointer, value) of every leaf that states a fact."""
    if isinstance(output, dict):
        for key, value in output.items():
            yield from claims(value, schema, join(pointer, key))
    elif isinstance(output, list):
        for index, value in enumerate(output):
            yield from claims(value, schema, join(pointer, index))
    elif isinstance(output, str | int | float) and not isinstance(output, bool):
        sub = subschema(schema, pointer)
        if "enum" in sub or "const" in sub or (isinstance(output, str) and len(output.strip()) < 2):
            return
        yield pointer, output


class GroundingChecker:
    def __init__(self, encoder: SentenceEncoder, threshold: float = 0.7) -> None:
        self.encoder = encoder
        self.threshold = threshold

    def verdicts(self, output: Any, schema: dict[str, Any], context: str, derived: set[str]) -> list[Verdict]:
        numbers = context_numbers(context)
        text = normalise(context)
        words = set(text.split())
        unresolved: list[tuple[str, str]] = []
        verdicts: list[Verdict] = []
        for pointer, value in claims(output, schema):
            if pointer in derived:
                continue
            if isinstance(value, int | float):
                if not any(abs(float(value) - n) <= 1e-9 * max(1.0, abs(n)) for n in numbers):
                    verdicts.append(
                        Verdict(
                            pointer=pointer,
                            kind="grounding",
                            code="grounding",
                            message=f"{value!r} does not appear in the context; use a value it states",
                        )
                    )
                continue
            norm = normalise(value)
            if not norm or norm in text or any(form in text for form in date_forms(value)):
                continue
            value_words = norm.split()
            if sum(w in words for w in value_words) / len(value_words) >= 0.8:
                continue
            unresolved.append((pointer, value))
        if unresolved:
            windows = passages(context)
            similarity = self.encoder.encode([v for _, v in unresolved]) @ self.encoder.encode(windows).T
            for (pointer, value), best in zip(unresolved, similarity.max(axis=1), strict=True):
                if float(best) < self.threshold:
                    verdicts.append(
                        Verdict(
                            pointer=pointer,
                            kind="grounding",
                            code="grounding",
                            message=f"{value!r} is not supported by the context (best match {float(best):.2f}); "
                            "use only what the context states",
                        )
                    )
        return verdicts


def max_similarity(encoder: SentenceEncoder, value: str, context: str) -> float:
    return float(np.max(encoder.encode([value]) @ encoder.encode(passages(context)).T))
