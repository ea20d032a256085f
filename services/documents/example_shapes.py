"""The shape a field's description shows its values in, by the examples it quotes: "formatted as 'City,
State', such as 'Berkeley, CA'" asks for two comma-separated parts, the last a two-letter code. JSON
Schema cannot say it; the critic judges a value by it (critic/described_format.py) and the refiner
decodes a rewrite under it (`shape_pattern`)."""

import re
from typing import Any

from services.documents.described_values import described_quotes

FORMAT_WORDS = re.compile(r"formatted as|in the format|format of|kind of format|in the form of", re.IGNORECASE)
EXAMPLE_WORDS = re.compile(r"such as|e\.g\.|for example|for instance", re.IGNORECASE)
EXAMPLE = re.compile(r"[A-Z0-9][^,]*(?:,\s*[A-Za-z0-9][^,]*)+")  # "New York, NY"; not "s country, such as "
CODE = re.compile(r"[A-Z]{2}")
PART = r"[^,\s][^,]*"  # one comma-separated part, as the shape counts them

Shape = tuple[int, bool]  # how many comma-separated parts; whether the last is a two-letter code


def shape(text: str) -> Shape:
    parts = [part.strip() for part in text.split(",")]
    return len(parts), len(parts) > 1 and CODE.fullmatch(parts[-1]) is not None


def described_examples(field: dict[str, Any], by_example: bool = True) -> list[str]:
    """The comma-separated examples a field's description gives of its format (none for an enum), where it
    speaks of a format or (`by_example`) introduces an example."""
    description = field.get("description")
    if not isinstance(description, str) or "enum" in field:
        return []
    if not (FORMAT_WORDS.search(description) or (by_example and EXAMPLE_WORDS.search(description))):
        return []
    return [example for example in described_quotes(description) if EXAMPLE.fullmatch(example)]


def unlike_examples(value: Any, field: dict[str, Any], by_example: bool = True) -> list[str]:
    """The examples, when `value` is a string shaped like none of them (else none)."""
    examples = described_examples(field, by_example) if isinstance(value, str) else []
    return examples if examples and all(shape(value) != shape(e) for e in examples) else []


def shape_pattern(examples: list[str]) -> str:
    """A regular expression for strings in the shape of any example ("Chicago, IL" for 'New York, NY')."""
    shapes = sorted({shape(e) for e in examples})
    forms = [", ".join([PART] * (parts - 1) + ["[A-Z]{2}" if code else PART]) for parts, code in shapes]
    return "^(?:" + "|".join(forms) + ")$"
