"""A number field whose description says it is written as a percentage holds the percent, not its
fraction: "an annual rate of 5%" is 5 for "The interest rate for a year as a percentage", 0.05 otherwise.
The tiers write the fraction (finance habit) where BFCL's functions ask for the percent; both are stated
numbers, so no support check sees it. The fix needs no model: the stated percentage itself."""

import re
from typing import Any

from services.documents.evidence import percentages

PERCENT_FIELD = re.compile(r"\b(?:as an?|in|expressed as an?)\s+percent(?:age)?\b(?!\s+or\b)", re.IGNORECASE)


def wants_percent(field: dict[str, Any]) -> bool:
    description = field.get("description")
    kinds = field.get("type") if isinstance(field.get("type"), list) else [field.get("type")]
    numeric = bool({"number", "integer"} & set(kinds)) and "enum" not in field
    return numeric and isinstance(description, str) and PERCENT_FIELD.search(description) is not None


def percent_meant(field: dict[str, Any], value: Any, *texts: str | None) -> float | int | None:
    """The percentage the request's texts (prompt, context) state that a field wanting one holds as a
    fraction (0.05 for "5%"), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not wants_percent(field):
        return None
    stated = {p for text in texts if text for p in percentages(text)}
    if any(abs(value - p) < 1e-9 for p in stated):
        return None
    meant = [p for p in stated if abs(value * 100 - p) < 1e-6 * max(1.0, p)]
    if not meant:
        return None
    return int(meant[0]) if field.get("type") == "integer" and meant[0].is_integer() else meant[0]
