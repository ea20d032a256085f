"""Which value of a JSON text a character belongs to."""

import pytest

from services.documents.positions import pointer_at

TEXT = '{"sentiment":"negative","confidence":0.8,"tags":["a","bc"],"n":{"x":12},"k\\"q":true}'


@pytest.mark.parametrize(
    ("fragment", "pointer"),
    [
        ("negative", "/sentiment"),
        ("0.8", "/confidence"),
        ('"bc"', "/tags/1"),
        ("12", "/n/x"),
        ("sentiment", "/sentiment"),  # a key's characters belong to its value
        ("true", '/k"q'),
    ],
)
def test_a_character_belongs_to_the_innermost_value_being_written(fragment: str, pointer: str) -> None:
    assert pointer_at(TEXT, TEXT.index(fragment) + 1) == pointer


def test_structure_and_scalars_outside_members_belong_to_the_whole() -> None:
    assert pointer_at(TEXT, 0) == ""
    assert pointer_at('"hello"', 2) == ""
    assert pointer_at("[1, 22]", 5) == "/1"
    assert pointer_at("{}", 7) == ""
