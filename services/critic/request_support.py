"""Values a request without a context gives no basis for.

With no source text, the request itself is the only evidence: a value the model wrote that neither the
request nor the field's own schema (its description, default, examples) mentions was made up. Measured on
BFCL drafts (bench/ladder.py), made-up values are what most confident wrong answers hold: an origin airport
"JFK" for "leaving from Chicago", an album "The Beatles" the user never named. A string counts as supported
when enough of its words (`min_share`) occur in that evidence; a number, when the evidence states it.
Enum/const values, booleans and nulls are choices, not claims (grounding.claims).

Numbers are judged separately (`numbers`) because a right answer often converts what was said ("5 ft 10 in"
→ 70, "11 PM" → 23): whether unsupported numbers are worth doubting is a measured choice per tier."""

from dataclasses import dataclass
from typing import Any

import orjson

from schemas import Verdict
from services.critic.grounding import claims
from services.documents.evidence import WORD, date_forms, normalise, stated_dates, stated_numbers
from services.documents.segments import subschema


@dataclass(frozen=True)
class Unsupported:
    pointer: str
    value: Any


def _schema_text(schema: dict[str, Any]) -> str:
    said = [schema.get("description"), schema.get("title"), schema.get("default"), schema.get("examples")]
    return " ".join(s if isinstance(s, str) else orjson.dumps(s).decode() for s in said if s is not None)


def _string_supported(value: str, evidence_words: set[str], evidence: str, dates: list[str], min_share: float) -> bool:
    if value[:10] in dates:  # an ISO date the request writes out in words
        return True
    padded = f" {evidence} "
    if any(f" {normalise(form)} " in padded for form in [value, *date_forms(value)] if normalise(form)):
        return True
    words = WORD.findall(value.lower())
    if not words:
        return True
    return sum(w in evidence_words for w in words) / len(words) >= min_share


def _number_supported(value: float, numbers: set[float]) -> bool:
    return any(abs(value - n) <= 1e-9 * max(1.0, abs(n)) for n in numbers)


def unsupported_values(
    output: Any, schema: dict[str, Any], prompt: str, *, min_share: float = 0.5, numbers: bool = False
) -> list[Unsupported]:
    """Leaf values of `output` that neither `prompt` nor the field's schema supports."""
    found = []
    request_text = normalise(prompt)
    request_numbers = stated_numbers(prompt)
    request_dates = stated_dates(prompt)
    for pointer, value in claims(output, schema):
        field_text = _schema_text(subschema(schema, pointer))
        if isinstance(value, str):
            evidence = f"{request_text} {normalise(field_text)}"
            if not _string_supported(value, set(evidence.split()), evidence, request_dates, min_share):
                found.append(Unsupported(pointer, value))
        elif numbers and not _number_supported(float(value), request_numbers | stated_numbers(field_text)):
            found.append(Unsupported(pointer, value))
    return found


def request_support_verdicts(
    output: Any, schema: dict[str, Any], prompt: str, derived: set[str], *, numbers: bool = False
) -> list[Verdict]:
    """A `grounding` verdict (code `request`) per unsupported value, rule-derived fields aside: the refiner
    drops an optional one and asks the model again for a required one; past the round cap the request
    climbs a tier (critic/decide.py)."""
    return [
        Verdict(
            pointer=found.pointer,
            kind="grounding",
            code="request",
            message=f"{found.value!r} is not in the request; use only what the request states",
        )
        for found in unsupported_values(output, schema, prompt, numbers=numbers)
        if found.pointer not in derived
    ]
