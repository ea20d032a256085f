"""Grounding: every value that states a fact must be supported by the request's context.

A second model, different from the generator, judges what string matching cannot: MiniLM sentence
embeddings (services/common/encoder.py). A leaf value is grounded when
- a number equals a number in the context (small counts spelled out, "two", "dozen", count as stated)
  and, where the context states numbers right after the field's name ("b=6", "radius of 4"), one of
  those: a stated number given to the wrong field is not grounded;
- a string, normalised, occurs in the normalised context, or ≥ 80 % of its words do; a date in ISO form
  matches the same date written the usual ways;
- otherwise, its embedding is within `threshold` cosine of the best-matching context passage.
Enum/const values, booleans, nulls and rule-derived fields are choices or computations, not claims."""

from collections.abc import Iterator
from typing import Any

from schemas import Verdict
from services.common.encoder import SentenceEncoder
from services.common.evidence import date_forms, named_choices, normalise, passages, stated_numbers
from services.common.segments import field_name, join, subschema


def context_numbers(context: str) -> set[float]:
    return stated_numbers(context)


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


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def number_problem(value: float, name: str, context: str, numbers: set[float]) -> str | None:
    """Why a number is not supported: not stated at all, or the context states a different number right
    after the field's name ("b=6" when the draft says b is 2, a 2 it states for "a")."""
    if not any(_same(float(value), n) for n in numbers):
        return f"{value!r} does not appear in the context; use a value it states"
    named = named_choices(context, name, sorted(numbers))
    if named and not any(_same(float(value), n) for n in named):
        stated = " or ".join(str(int(n) if n.is_integer() else n) for n in named)
        return f"the context gives {name} as {stated}, not {value!r}"
    return None


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
                problem = number_problem(value, field_name(pointer), context, numbers)
                if problem:
                    verdicts.append(Verdict(pointer=pointer, kind="grounding", code="grounding", message=problem))
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
