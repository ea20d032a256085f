"""The shape a description's examples show, and the pattern a rewrite is decoded under."""

import re

from services.documents.example_shapes import described_examples, shape, shape_pattern, unlike_examples

CITY = {"type": "string", "description": "The city, such as 'New York, NY'."}


def test_a_shape_counts_comma_separated_parts_and_a_two_letter_code_last() -> None:
    assert shape("New York, NY") == (2, True)
    assert shape("Paris, France") == (2, False)
    assert shape("Chicago") == (1, False)


def test_the_pattern_admits_every_examples_shape_and_nothing_else() -> None:
    pattern = shape_pattern(["New York, NY", "City, State"])
    assert all(re.fullmatch(pattern, v) for v in ("Chicago, IL", "Paris, France"))
    assert not any(re.fullmatch(pattern, v) for v in ("Chicago", "a, b, c", " , IL", "Chicago,IL"))


def test_only_a_string_unlike_every_example_is_unlike() -> None:
    assert described_examples(CITY) == ["New York, NY"]
    assert unlike_examples("Chicago", CITY) == ["New York, NY"]
    assert unlike_examples("Chicago, IL", CITY) == []
    assert unlike_examples(5, CITY) == []
    assert unlike_examples("Chicago", CITY, by_example=False) == []  # no format spoken of
