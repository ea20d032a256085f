"""Days in any date format, and what standard codes stand for: the forms a right answer writes what the
request said in."""

from services.documents.days import stated_days, value_days
from services.documents.standard_codes import code_names


def test_days_a_request_writes_in_words_or_digits() -> None:
    assert stated_days("from 2023 April 4th to April 8th") == {(4, 4), (4, 8)}
    assert stated_days("starting from 15th October,2023, or the 3rd of Nov.") == {(10, 15), (11, 3)}
    assert stated_days("check in on 05/10/2023") == {(5, 10), (10, 5)}  # either order: both kept
    assert stated_days("May I book 3 rooms? Marching band at 10") == set()


def test_the_days_a_date_value_can_mean() -> None:
    assert value_days("15-10-2023") == {(10, 15)}
    assert value_days("2023-04-04T10:00:00Z") == {(4, 4)}
    assert value_days("04/05/2023") == {(4, 5), (5, 4)}
    assert value_days("2023.10.2") == {(10, 2)}  # year first, with dots
    assert value_days("next week") == set()


def test_codes_stand_for_their_names() -> None:
    assert code_names("USD") == ["US Dollar"]
    assert "Pound Sterling" in code_names("GBP")
    assert code_names("DE") == ["Germany"]
    assert code_names("LAX")[0] == "Los Angeles"
    assert code_names("usd") == code_names("DOLLAR") == code_names("U$D") == []
