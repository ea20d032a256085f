"""Grounding: every value that states a fact must be supported by the request's context.

A second model, different from the generator, judges what string matching cannot: MiniLM sentence
embeddings (services/common/encoder.py). A leaf value is grounded when
- a number equals a number in the context (small counts spelled out, "two", "dozen", count as stated;
  dates and clock times state none) and, where the context names the field's numbers ("b=6", "radius
  of 4", "30 minutes"), one of those: a stated number given to the wrong field is not grounded;
- a string, normalised, occurs in the normalised context, or ≥ 80 % of its words do (unless it repeats
  itself like a decoding loop); a date in ISO form matches the same date written the usual ways;
- otherwise, its embedding is within `threshold` cosine of the best-matching context passage;
and no value is held by more fields than the context states it, where the context names the field it
belongs to ("Total due: 120.00" is the total's, not the invoice number's). Repeated array items are a
consistency check (critic/consistency.py).
Enum/const values, booleans, nulls and rule-derived fields are choices or computations, not claims."""

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from schemas import Verdict
from services.documents.evidence import (
    as_stated,
    date_forms,
    named_choices,
    normalise,
    passages,
    stated_numbers,
    times_stated,
)
from services.documents.segments import field_name, nodes, subschema
from services.inference.encoder import SentenceEncoder


def context_numbers(context: str) -> set[float]:
    return stated_numbers(context)


def claims(output: Any, schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(pointer, value) of every leaf that states a fact: not a choice from an enum or const, not a
    one-character string."""
    for pointer, value in nodes(output):
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            continue
        sub = subschema(schema, pointer)
        if "enum" in sub or "const" in sub or (isinstance(value, str) and len(value.strip()) < 2):
            continue
        yield pointer, value


def same_number(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def number_problem(value: float, name: str, context: str, numbers: set[float]) -> str | None:
    """Why a number is not supported: not stated at all, or the context states a different number right
    after the field's name ("b=6" when the draft says b is 2, a 2 it states for "a")."""
    if not any(same_number(float(value), n) for n in numbers):
        return f"{value!r} does not appear in the context; use a value it states"
    named = named_choices(context, name, sorted(numbers))
    if named and not any(same_number(float(value), n) for n in named):
        stated = " or ".join(str(int(n) if n.is_integer() else n) for n in named)
        return f"the context gives {name} as {stated}, not {value!r}"
    return None


def shared_value_problems(found: list[tuple[str, str | float]], context: str) -> list[Verdict]:
    """A value held by more fields than the context states it, where the context names the field it
    belongs to: the other fields took it by mistake (the model copied the total into the invoice number)."""
    holders: dict[str | float, list[str]] = defaultdict(list)
    raw = dict(found)
    for pointer, value in found:
        holders[as_stated(value)].append(pointer)
    verdicts = []
    for value, pointers in holders.items():
        if len(pointers) <= times_stated(context, value):
            continue
        owners = [p for p in pointers if named_choices(context, field_name(p), [value])]
        if not owners or len(owners) == len(pointers):
            continue  # the context does not say whose it is
        owner_names = ", ".join(field_name(p) for p in owners)
        stated = raw[owners[0]]
        for pointer in pointers:
            if pointer not in owners:
                verdicts.append(
                    Verdict(
                        pointer=pointer,
                        kind="grounding",
                        code="grounding",
                        message=f"the context states {stated!r} for {owner_names}, not for {field_name(pointer)}; "
                        "use the value it states for this field",
                    )
                )
    return verdicts


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
        every_claim = list(claims(output, schema))
        found = [(p, v) for p, v in every_claim if p not in derived]
        for pointer, value in found:
            if isinstance(value, int | float):
                problem = number_problem(value, field_name(pointer), context, numbers)
                if problem:
                    verdicts.append(Verdict(pointer=pointer, kind="grounding", code="grounding", message=problem))
                continue
            norm = normalise(value)
            if not norm or norm in text or any(form in text for form in date_forms(value)):
                continue
            value_words = norm.split()
            repetitive = len(value_words) >= 8 and len(set(value_words)) < len(value_words) / 2  # a decoding loop
            if not repetitive and sum(w in words for w in value_words) / len(value_words) >= 0.8:
                continue
            unresolved.append((pointer, value))
        open_to_doubt = {v.pointer for v in verdicts} | {p for p, _ in unresolved}
        held = [(p, v) for p, v in every_claim if p not in open_to_doubt]  # rule-derived ones too
        verdicts += [v for v in shared_value_problems(held, context) if v.pointer not in derived]
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
