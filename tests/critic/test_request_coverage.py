"""Stated values a draft drops while it leaves a field for them unfilled (kinds of wrong drafts seen from
the large tier on BFCL, rewritten)."""

from schemas import Draft, GenerationRequest
from services.critic.request_coverage import (
    free_number,
    omitted_values,
    replaced_days,
    stated_values,
    unfilled_fields,
)
from services.critic.validators import check_draft
from tests.conftest import make_request

MOVIES = {
    "type": "object",
    "properties": {
        "genre": {"type": "string", "enum": ["Drama", "Comedy", "Horror"]},
        "starring": {"type": "string", "description": "An actor to look for, 'any' if none", "default": "any"},
    },
    "required": ["genre"],
}
SERVERS = {
    "anyOf": [
        {
            "type": "object",
            "properties": {
                "add_server": {
                    "type": "object",
                    "properties": {name: {"type": "string"} for name in ("nickname", "host", "key")},
                    "required": ["key"],
                }
            },
            "required": ["add_server"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"list_servers": {"type": "object", "properties": {}}},
            "required": ["list_servers"],
            "additionalProperties": False,
        },
    ]
}
ADD = "Add a server with the nickname 'Harbor2' hosted at http://harbor.example.org. My key is 'k-0042'."


def test_what_a_request_states() -> None:
    said = stated_values("Find drama films with Dan Bittner. Please use 'RSD1' and id efJG9, see https://x.example/a.")
    assert said == ["RSD1", "efJG9", "https://x.example/a", "Dan Bittner"]


def test_a_clause_after_a_colon_dates_and_measures_are_not_stated_values() -> None:
    assert stated_values("Give the arguments for calling f: Retrieves the stats. On Monday in March.") == []
    assert stated_values("Hi, I'm in the mood for music, and I'd like it loud.") == []


def test_a_name_qualifying_the_next_is_one_name() -> None:
    assert stated_values("Hi, I'm Bob. A room in Paris, France, please.") == ["Bob", "Paris France"]
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "room": {"type": "string"}}}
    assert omitted_values({"city": "Paris"}, schema, "A room in Paris, France.") == []
    assert stated_values("a 6cm by 10.5cm card at 10am on the 13th, sample rs6034464") == ["rs6034464"]


def test_a_stated_name_left_out_for_a_default_is_omitted() -> None:
    said = "I'd like a drama film that features Dan Bittner."
    assert unfilled_fields({"genre": "Drama", "starring": "any"}, MOVIES) == ["/starring"]
    assert omitted_values({"genre": "Drama", "starring": "any"}, MOVIES, said) == ["Dan Bittner"]
    assert omitted_values({"genre": "Drama", "starring": "Dan Bittner"}, MOVIES, said) == []


def test_without_an_unfilled_field_nothing_is_omitted() -> None:
    """A classification may name things it has no field for."""
    schema = {"type": "object", "properties": {"sentiment": {"type": "string", "enum": ["positive", "negative"]}}}
    assert omitted_values({"sentiment": "positive"}, schema, "I loved the food at Chez Panisse in Berkeley.") == []


def test_the_chosen_branch_decides_which_fields_are_unfilled() -> None:
    dropped = {"add_server": {"key": "k-0042"}}
    assert unfilled_fields(dropped, SERVERS) == ["/add_server/nickname", "/add_server/host"]
    assert omitted_values(dropped, SERVERS, ADD) == ["Harbor2", "http://harbor.example.org"]
    full = {"add_server": {"key": "k-0042", "nickname": "Harbor2", "host": "http://harbor.example.org"}}
    assert omitted_values(full, SERVERS, ADD) == []


def test_what_the_schema_itself_names_is_not_a_value_to_carry() -> None:
    schema = {"type": "object", "properties": {"team": {"type": "string"}, "note": {"type": "string"}}}
    said = "What is the FIFA ranking of the German team?"
    assert omitted_values({"team": "Germany"}, {**schema, "description": "FIFA rankings"}, said) == []
    assert omitted_values({"team": "Germany"}, schema, said) == ["FIFA"]


def test_a_stated_number_left_at_a_fields_default_is_omitted() -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "tickets": {"type": "integer", "default": 1}},
        "required": ["city"],
    }
    said = "Two adults: book 2 tickets to Lyon."
    assert unfilled_fields({"city": "Lyon", "tickets": 1}, schema, free_number) == ["/tickets"]
    assert omitted_values({"city": "Lyon", "tickets": 1}, schema, said) == [2.0]
    assert omitted_values({"city": "Lyon"}, schema, said) == [2.0]
    assert omitted_values({"city": "Lyon", "tickets": 2}, schema, said) == []
    assert omitted_values({"city": "Lyon", "tickets": 3}, schema, said) == []  # filled: not this check's call


def test_a_number_spelled_in_prose_is_not_a_value_to_carry() -> None:
    schema = {
        "type": "object",
        "properties": {"sentiment": {"enum": ["positive", "negative"]}, "confidence": {"type": "number"}},
    }
    said = "Classify this review: 'The battery died after two days and support never answered.'"
    assert omitted_values({"sentiment": "negative"}, schema, said) == []


def _draft(output: dict, creative: bool = False) -> Draft:
    request = GenerationRequest.model_validate(make_request(prompt=ADD, schema=SERVERS, creative=creative))
    return Draft(request=request, tier="large", received_at_ms=0, output=output)


def test_the_critic_doubts_a_draft_that_drops_what_was_stated() -> None:
    [verdict] = check_draft(_draft({"add_server": {"key": "k-0042"}}))
    assert (verdict.kind, verdict.code, verdict.pointer) == ("semantic", "omitted", "")
    assert "'Harbor2'" in verdict.message and "/add_server/nickname" in verdict.message
    assert check_draft(_draft({"add_server": {"key": "k-0042"}}, creative=True)) == []
    full = {"key": "k-0042", "nickname": "Harbor2", "host": "http://harbor.example.org"}
    assert check_draft(_draft({"add_server": full})) == []


def test_a_name_the_instructions_after_the_ask_repeat_is_the_task_subject_not_a_value() -> None:
    schema = {
        "type": "object",
        "properties": {"weight": {"type": "integer"}, "unit": {"type": "string"}},
        "required": ["weight"],
    }
    ask = "The Body Mass Index (BMI) of a person of 85 kilograms."
    subject = ask + "\nGive the arguments for calling calculate_bmi: Calculate the Body Mass Index (BMI)."
    assert omitted_values({"weight": 85}, schema, subject) == []
    assert omitted_values({"weight": 85}, schema, ask) == ["Body Mass Index", "BMI"]


def test_a_percentage_is_carried_as_its_fraction() -> None:
    schema = {
        "type": "object",
        "properties": {
            "principal": {"type": "integer"},
            "rate": {"type": "number"},
            "compounds_per_year": {"type": "integer", "description": "Default is 1."},
        },
        "required": ["principal", "rate"],
    }
    prompt = "Compound interest on $10,000 at 5% for 10 years."
    assert omitted_values({"principal": 10000, "rate": 0.05}, schema, prompt) == [10.0]
    assert omitted_values({"principal": 10000, "rate": 0.07}, schema, prompt) == [5.0, 10.0]


def test_a_day_the_ask_states_that_the_output_leaves_out_is_omitted() -> None:
    schema = {
        "type": "object",
        "properties": {"movie": {"type": "string"}, "show_date": {"type": "string"}, "time": {"type": "string"}},
        "required": ["movie"],
    }
    prompt = "Three tickets for 'Eternal Warriors' on 2023-04-15 at 19:00."
    assert omitted_values({"movie": "Eternal Warriors", "time": "19:00"}, schema, prompt) == ["04-15"]
    dated = {"movie": "Eternal Warriors", "show_date": "April 15th", "time": "19:00"}
    assert omitted_values(dated, schema, prompt) == []


def test_a_date_written_for_a_day_never_stated_while_the_stated_one_is_missing_is_a_misread() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "date": {"type": "string"}}}
    prompt = "Find a theater event next Monday 2023.10.2 in Chicago, IL?\nCall the one function that does this."
    misread = {"city": "Chicago, IL", "date": "2023-10-20"}
    assert replaced_days(misread, prompt) == [("/date", "2023-10-20")]
    request = GenerationRequest.model_validate(make_request(prompt=prompt, schema=schema))
    [verdict] = [v for v in check_draft(Draft(request=request, tier="large", received_at_ms=0, output=misread))]
    assert (verdict.kind, verdict.code, verdict.pointer) == ("semantic", "omitted", "/date")
    assert replaced_days({"city": "Chicago, IL", "date": "2023-10-02"}, prompt) == []
    assert replaced_days({"city": "Chicago, IL", "date": "02.10.2023"}, prompt) == []  # another form, same day
    tomorrow = "Book a table for tomorrow, 7 pm."  # no day stated: a computed date is not a misread
    assert replaced_days({"date": "2024-03-05"}, tomorrow) == []


def test_a_snake_case_name_left_out_for_a_null_is_omitted() -> None:
    schema = {
        "type": "object",
        "properties": {"trees": {"type": "integer"}, "data": {"description": "The training data."}},
        "required": ["trees", "data"],
    }
    said = "Train a forest of 100 trees on the provided data train_set_v2."
    assert stated_values(said) == ["train_set_v2"]
    assert unfilled_fields({"trees": 100, "data": None}, schema) == ["/data"]
    assert omitted_values({"trees": 100, "data": None}, schema, said) == ["train_set_v2"]
    assert omitted_values({"trees": 100, "data": "train_set_v2"}, schema, said) == []


def test_a_host_or_file_name_left_out_for_a_default_is_omitted() -> None:
    schema = {
        "type": "object",
        "properties": {"nickname": {"type": "string"}, "host": {"type": "string", "default": "localhost"}},
        "required": ["nickname"],
    }
    said = "Register the server 'FastQuery' with the host rds.example.org, e.g. for reports in data.csv."
    assert stated_values(said) == ["FastQuery", "rds.example.org", "data.csv"]
    assert omitted_values({"nickname": "FastQuery"}, schema, said) == ["rds.example.org", "data.csv"]
    assert omitted_values({"nickname": "FastQuery", "host": "rds.example.org"}, schema, said) == []
