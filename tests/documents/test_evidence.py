"""What a context states (services/common/evidence.py) and how the refiner's prompt sketches a segment."""

import pytest

from services.documents.days import stated_dates
from services.documents.evidence import grounded_choices, named_choices, percentages, stated_names, stated_numbers
from services.inference.prompts import SegmentAsk, segment_messages, shape

MINUTES = (
    "Minutes: the review met on 14th of March 2025, chaired by Dorothy Vaughan (dorothy@nasa.example). "
    "The meeting started at 09:00 and ended at 10:30. Shipment SH-204 left on 2025-01-20. The job failed twice."
)


def test_numbers_are_read_as_stated_not_as_minus_signs_of_identifiers() -> None:
    numbers = stated_numbers(MINUTES)
    assert {2025.0, 14.0, 2.0} <= numbers  # "twice" counts as 2
    assert not {-204.0, 204.0, -1.0, -20.0} & numbers  # "SH-204" is a name; "2025-01-20" a date
    assert not {1.0, 20.0, 9.0, 10.0, 30.0} & numbers  # dates and clock times state no numbers
    assert stated_numbers("Opened 2025-02-03T10:15:00Z, 3 times.") == {3.0}
    assert stated_numbers("a = -3, b=-11 and 1,200 kg") == {-3.0, -11.0, 1200.0}


def test_dates_written_in_words_are_offered_in_iso_form() -> None:
    assert stated_dates("on 14th of March 2025, or June 3, 2024; not 31 Smarch 2025 nor 30 February 2024") == [
        "2025-03-14",
        "2024-06-03",
    ]


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "format": "email"}, ["dorothy@nasa.example"]),
        ({"type": "string", "format": "date"}, ["2025-01-20", "2025-03-14"]),
        ({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}, ["09:00", "10:30"]),
        ({"type": "string", "pattern": "^SH-[0-9]+$"}, ["SH-204"]),
        ({"type": "integer", "minimum": 10, "maximum": 999}, [14]),  # not 2025, nor SH-204's digits
        ({"type": "string", "format": "email", "enum": ["a@b.example"]}, None),  # already a choice
        ({"type": "array"}, None),
        ({"type": "string", "format": "uri"}, None),  # the context states none
    ],
)
def test_stated_values_are_those_the_sub_schema_allows_formats_included(schema: dict, expected: list | None) -> None:
    assert grounded_choices(MINUTES, schema) == expected


@pytest.mark.parametrize(
    ("context", "name", "choices", "named"),
    [
        ("Find the roots of a quadratic with coefficients a = 3, b = -11, and c = -4.", "a", [-11, -4, 3], [3]),
        ("Find the roots of a quadratic with coefficients a = 3, b = -11, and c = -4.", "c", [-11, -4, 3], [-4]),
        ("The area of a circle with a radius of 5 units and 7 sides.", "radius", [5, 7], [5]),
        ("Base height: 12, width 3.", "base_height", [3, 12], [12]),
        ("Base height: 12, width 3.", "baseHeight", [3, 12], [12]),
        (MINUTES, "end", ["09:00", "10:30"], ["10:30"]),
        (MINUTES, "start", ["09:00", "10:30"], ["09:00"]),
        ("Radius 5 here, radius 7 there.", "radius", [5, 7], [5, 7]),  # two: the name does not settle it
        ("A triangle with sides 4 and 5.", "x", [4, 5], []),
        ("Endless 10:30 ends.", "end", ["10:30"], []),  # a longer word is not the name
        ("Total due: 120.00 GBP", "total", [3, 120], [120]),  # a label's own words before its colon
        ("INVOICE No. INV-7, order nr. 12", "invoice_number", ["INV-7", "12"], ["INV-7"]),  # "No." for number
        ("Order nr. 12", "order_number", [12], [12]),
        ("The total was paid in 2 parts: 60 each.", "total", [2, 60], []),  # a sentence, not a label
        ("Bake for 30 minutes in 2 tins.", "minutes", [2, 30], [30]),  # a number right before the name
        ("Bake 30 minutes at 200 C in 2 tins.", "temperature_c", [2, 30, 200], [200]),  # the name's unit
        ("Notice period: 2 months; 12 pallets.", "notice_months", [2, 12], [2]),
        (
            "Lease: tenant Ada Byron rents Flat 3.",
            "tenant",
            ["Ada", "Ada Byron", "Ada Byron rents", "Flat"],
            ["Ada Byron"],
        ),
        ("Summary: the job failed.", "summary", ["job", "job failed"], ["job", "job failed"]),  # no name: unsettled
    ],
)
def test_a_value_stated_right_after_the_field_name(context: str, name: str, choices: list, named: list) -> None:
    assert named_choices(context, name, choices) == named


def test_the_prompt_sketches_segments_and_drops_what_it_already_shows() -> None:
    assert shape({"type": "integer", "enum": [2, 4, 5]}) == "2|4|5"
    assert shape({"type": "string", "enum": [f"w{i}" for i in range(40)]}) == "string"  # the decoder holds them
    assert shape({"type": "string", "format": "date"}) == "string (format date)"
    assert shape({"type": "integer", "minimum": 1}) == "integer (minimum 1)"
    assert shape({"type": ["string", "null"]}) == "string|null"
    assert shape({"type": "array", "items": {"type": "string"}}) == '{"type":"array","items":{"type":"string"}}'
    ask = SegmentAsk(
        label="narrator",
        schema={"type": "string"},
        feedback=["'Captain Ahab' is not supported by the context (best match 0.27); use only what it states"],
        current="Captain Ahab",
        description="Who tells the story",
    )
    [system, user] = segment_messages("Extract.", "Call me Ishmael.", [ask], with_task=False)
    assert system["content"] == "JSON only."
    assert user["content"] == (
        "Source: Call me Ishmael.\n"
        'narrator (Who tells the story) = "Captain Ahab" is wrong: it is not supported by the context; '
        "use only what it states\n"
        'Answer {"narrator": string}'
    )


@pytest.mark.parametrize(
    ("context", "names"),
    [
        (
            '"My dear Mr. Bennet," said his lady. Mrs. Long says that Netherfield Park is let to a man from England.',
            ["Mr. Bennet", "Mrs. Long", "Netherfield Park", "England"],  # "My" only starts a sentence
        ),
        ("Attendees: Mary Jackson, Christine Darden.", ["Mary Jackson", "Christine Darden"]),  # not the label
        (
            "She met Lady Catherine de Bourgh and Mr. Darcy at Pemberley.",
            ["Lady Catherine de Bourgh", "Mr. Darcy", "Pemberley"],
        ),
        ("Call me Ishmael. Some years ago I sailed.", ["Ishmael"]),
        ("no names here, 3 x 4.", []),
    ],
)
def test_proper_names_the_context_states(context: str, names: list[str]) -> None:
    assert stated_names(context) == names


def test_a_labelled_name_keeps_its_particles() -> None:
    """One notion of a proper name for the critic's evidence and the refiner: "de", "van", "of" belong in it."""
    choices = ["Lady", "Lady Catherine", "Lady Catherine de Bourgh", "Lady Catherine de Bourgh arrived"]
    context = "The guest Lady Catherine de Bourgh arrived."
    assert named_choices(context, "guest", choices) == ["Lady Catherine de Bourgh"]


def test_a_percentage_states_its_number_and_its_fraction() -> None:
    assert percentages("at 5% for 10 years, 12.5 percent after") == {5.0, 12.5}
    assert stated_numbers("an interest rate of 5%") == {5.0, 0.05}
    assert percentages("5 apples") == set()


def test_one_as_a_pronoun_states_no_number() -> None:
    assert 1.0 not in stated_numbers("Call the one function that does this, with its arguments.")
    assert 1.0 in stated_numbers("Book one ticket, the one by the window.")
