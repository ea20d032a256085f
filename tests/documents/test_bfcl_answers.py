"""BFCL's answer rule, on answers taken from the shared data's simple_python file."""

from services.documents.bfcl import bfcl_correct
from services.documents.bfcl_answers import standardise, value_matches


def test_strings_compare_as_bfcl_standardises_them() -> None:
    assert standardise("April 1, 2024") == standardise("april 1 2024")
    assert value_matches("Sushi", ["sushi"])
    assert value_matches("x^2", ["x**2", "lambda x: x**2"])  # `*` and `^` do not count in BFCL
    assert not value_matches("operating on Sundays", ["open on Sundays", "opens on Sundays"])


def test_numbers_and_booleans() -> None:
    assert value_matches(4, [4.0])
    assert value_matches(0.05, [0.05])
    assert not value_matches(1, [True])
    assert not value_matches(True, [1])
    assert not value_matches(False, [True])
    assert not value_matches("4", [4])


def test_dict_parameters_are_checked_key_by_key() -> None:
    truth = [
        {
            "update_user_info": {
                "user_id": [43523],
                "update_info": [{"name": ["John Doe"], "email": ["johndoe@email.com"]}],
                "database": ["CustomerInfo", ""],
            }
        }
    ]
    right = {"user_id": 43523, "update_info": {"name": "John Doe", "email": "johndoe@email.com"}}
    assert bfcl_correct(right, truth)
    assert bfcl_correct(right | {"database": "CustomerInfo"}, truth)
    assert not bfcl_correct(right | {"update_info": {"name": "Jane Doe", "email": "johndoe@email.com"}}, truth)
    assert not bfcl_correct(right | {"update_info": {"name": "John Doe"}}, truth)  # a required key missing
    assert not bfcl_correct(right | {"update_info": {"name": "John Doe", "email": "j@x", "age": 3}}, truth)


def test_lists_of_dicts_and_plain_lists_keep_their_order() -> None:
    conditions = [[{"field": ["age"], "operation": [">"], "value": ["25"]}, {"field": ["job"], "value": ["engineer"]}]]
    age = {"field": "age", "operation": ">", "value": "25"}
    job = {"field": "Job", "value": "engineer"}
    assert value_matches([age, job], conditions)
    assert not value_matches([job, age], conditions)
    assert value_matches([5, 3, 4, 1, 2], [[5.0, 3.0, 4.0, 1.0, 2.0]])
    assert not value_matches([1, 2, 3, 4, 5], [[5.0, 3.0, 4.0, 1.0, 2.0]])
    assert value_matches([33.4484, -112.074], [[33.4484, -112.074]])


def test_named_outputs_must_call_the_expected_function() -> None:
    allowed = {"album": ["Welcome To The Fishbowl"], "year": ["2015"], "genre": ["", "dontcare"]}
    truth = [{"Music_3_LookupMusic": allowed}]
    right = {"album": "Welcome to the Fishbowl", "year": "2015"}
    assert bfcl_correct({"Music_3_LookupMusic": right}, truth, named=True)
    assert not bfcl_correct({"Music_3_LookupMusic": {"album": "The Beatles", "year": "2015"}}, truth, named=True)
    assert not bfcl_correct({"Other": {"album": "Welcome To The Fishbowl", "year": "2015"}}, truth, named=True)
