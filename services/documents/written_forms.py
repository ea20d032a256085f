"""A value in another form than its field's description asks for, where the asked form follows from the
value alone, so the fix needs no model:
- a percentage written as its fraction: "an annual rate of 5%" is 5 for "The interest rate for a year as
  a percentage" (the tiers write 0.05, a finance habit; both are stated numbers, so no support check sees
  it);
- its mirror, a rate's percentage written whole where the description asks for no percentage: "an annual
  interest rate of 3%" is 0.03 for "The annual interest rate provided by the bank" (BFCL's convention,
  and finance code's: of its 17 answers with a stated percentage, the 2 written whole are the fields
  described "as a percentage"; the tiers mostly write the fraction already);
- an ISO date where the description names one other order: "2022-08-16" is "08-16-2022" for "The date
  (month-day-year)" (the decoder writes dates ISO; the callee parses the order it documents);
- a time of day with AM/PM where the description asks for the 24-hour clock and never for AM/PM:
  "10:00 AM" is "10:00", "9 pm" "21:00", for "in 24-hour format 'HH:MM'" (the tiers copy the ask's clock)."""

import re
from typing import Any

from services.documents.evidence import percentages

RATE_FIELD = re.compile(r"\b(?:rates?|returns?|yields?|growth|interest|discount|inflation)\b", re.IGNORECASE)
PERCENT_FIELD = re.compile(r"\b(?:as an?|in|expressed as an?)\s+percent(?:age)?\b(?!\s+or\b)", re.IGNORECASE)
DATE_PART = r"(month|day|year|mm|dd|yyyy)"
DATE_ORDER = re.compile(rf"\b{DATE_PART}([-/.]){DATE_PART}\2{DATE_PART}\b", re.IGNORECASE)  # "month-day-year"
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
PART = {"mm": "m", "month": "m", "dd": "d", "day": "d", "yyyy": "y", "year": "y"}
CLOCK_24 = re.compile(r"\b24[- ]hours?\b|\bHH:MM\b", re.IGNORECASE)
CLOCK_12 = re.compile(r"\b(?:AM|PM)\b|\b12[- ]hours?\b", re.IGNORECASE)
TIME_12 = re.compile(r"\s*(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\.?\s*", re.IGNORECASE)


def _kinds(field: dict[str, Any]) -> set[Any]:
    kinds = field.get("type")
    return set(kinds) if isinstance(kinds, list) else {kinds}


def _described_number(field: dict[str, Any], value: Any) -> str | None:
    """The description of a field without an enum that holds a number (not a boolean), else None."""
    description = field.get("description")
    if isinstance(value, bool) or not isinstance(value, int | float) or "enum" in field:
        return None
    return description if isinstance(description, str) else None


def _stated_percentages(texts: tuple[str | None, ...]) -> set[float]:
    return {p for text in texts if text for p in percentages(text)}


def percent_meant(field: dict[str, Any], value: Any, *texts: str | None) -> float | int | None:
    """The percentage the request's texts (prompt, context) state that a field wanting one holds as a
    fraction (0.05 for "5%"), else None."""
    description = _described_number(field, value)
    if description is None or not {"number", "integer"} & _kinds(field) or not PERCENT_FIELD.search(description):
        return None
    stated = _stated_percentages(texts)
    if any(abs(value - p) < 1e-9 for p in stated):
        return None
    meant = [p for p in stated if abs(value * 100 - p) < 1e-6 * max(1.0, p)]
    if not meant:
        return None
    return int(meant[0]) if field.get("type") == "integer" and meant[0].is_integer() else meant[0]


def fraction_meant(field: dict[str, Any], value: Any, *texts: str | None) -> float | None:
    """The fraction (0.03) of a percentage the request's texts state ("3%") that a rate field, described
    without asking for a percentage, holds whole (3), else None."""
    description = _described_number(field, value)
    if description is None or "number" not in _kinds(field) or not RATE_FIELD.search(description):
        return None
    if PERCENT_FIELD.search(description):
        return None
    return value / 100 if any(abs(value - p) < 1e-9 for p in _stated_percentages(texts)) else None


def date_in_described_order(field: dict[str, Any], value: Any) -> str | None:
    """An ISO date rewritten in the one order its description names (None: no such order, or already so)."""
    description = field.get("description")
    if not isinstance(value, str) or not isinstance(description, str) or "enum" in field:
        return None
    orders = {
        (PART[a.lower()], sep, PART[b.lower()], PART[c.lower()]) for a, sep, b, c in DATE_ORDER.findall(description)
    }
    iso = ISO_DATE.fullmatch(value)
    if len(orders) != 1 or iso is None:
        return None
    [(first, sep, second, third)] = orders
    if {first, second, third} != {"y", "m", "d"} or (first, sep, second, third) == ("y", "-", "m", "d"):
        return None
    parts = dict(zip("ymd", iso.groups(), strict=True))
    return sep.join(parts[p] for p in (first, second, third))


def time_in_24_hours(field: dict[str, Any], value: Any) -> str | None:
    """A 12-hour time ("10:00 AM", "9pm") as HH:MM, where the field's description asks for the 24-hour clock
    and speaks of no AM/PM (None otherwise, or for an hour no clock has)."""
    description = field.get("description")
    if not isinstance(value, str) or not isinstance(description, str) or "enum" in field:
        return None
    found = TIME_12.fullmatch(value)
    if found is None or not CLOCK_24.search(description) or CLOCK_12.search(description):
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    if not 1 <= hour <= 12 or minute > 59:
        return None
    return f"{hour % 12 + (12 if found.group(3).lower() == 'p' else 0):02d}:{minute:02d}"


def described_form(field: dict[str, Any], value: Any, *texts: str | None) -> Any | None:
    """The value in the form its field's description asks for, when that differs (None: nothing to do)."""
    for restated in (percent_meant(field, value, *texts), fraction_meant(field, value, *texts)):
        if restated is not None:
            return restated
    return date_in_described_order(field, value) or time_in_24_hours(field, value)
