"""Hostile requests are refused at intake, in milliseconds, with the bound they broke."""

import time

import orjson
import pytest

from services.classifier.intake import RequestRejected, parse_request
from tests.conftest import make_request


def nested(levels: int, leaf: object) -> object:
    for _ in range(levels):
        leaf = {"type": "object", "properties": {"a": leaf}}
    return leaf


def refusal(**overrides: object) -> str:
    raw = orjson.dumps(make_request(**overrides))
    started = time.monotonic()
    with pytest.raises(RequestRejected) as info:
        parse_request(raw, 512 * 1024)
    assert time.monotonic() - started < 5, "refusing must not itself be the stall"
    assert info.value.request_id == "r-1"
    return info.value.reason


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"schema": nested(120, {"type": "string"})}, "nested deeper than 48 levels"),
        (
            {
                "metadata": {
                    "m": [
                        [
                            [
                                [
                                    [
                                        [
                                            [
                                                [
                                                    [
                                                        [
                                                            [
                                                                [
                                                                    [
                                                                        [
                                                                            [
                                                                                [
                                                                                    [
                                                                                        [
                                                                                            [
                                                                                                [
                                                                                                    [
                                                                                                        [
                                                                                                            [
                                                                                                                [
                                                                                                                    [
                                                                                                                        [
                                                                                                                            [
                                                                                                                                [
                                                                                                                                    [
                                                                                                                                        [
                                                                                                                                            [
                                                                                                                                                [
                                                                                                                                                    [
                                                                                                                                                        [
                                                                                                                                                            [
                                                                                                                                                                [
                                                                                                                                                                    [
                                                                                                                                                                        [
                                                                                                                                                                            [
                                                                                                                                                                                [
                                                                                                                                                                                    [
                                                                                                                                                                                        [
                                                                                                                                                                                            [
                                                                                                                                                                                                [
                                                                                                                                                                                                    [
                                                                                                                                                                                                        [
                                                                                                                                                                                                            [
                                                                                                                                                                                                                [
                                                                                                                                                                                                                    [
                                                                                                                                                                                                                        [
                                                                                                                                                                                                                            1
                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                ]
                                                                                                                                                                                                            ]
                                                                                                                                                                                                        ]
                                                                                                                                                                                                    ]
                                                                                                                                                                                                ]
                                                                                                                                                                                            ]
                                                                                                                                                                                        ]
                                                                                                                                                                                    ]
                                                                                                                                                                                ]
                                                                                                                                                                            ]
                                                                                                                                                                        ]
                                                                                                                                                                    ]
                                                                                                                                                                ]
                                                                                                                                                            ]
                                                                                                                                                        ]
                                                                                                                                                    ]
                                                                                                                                                ]
                                                                                                                                            ]
                                                                                                                                        ]
                                                                                                                                    ]
                                                                                                                                ]
                                                                                                                            ]
                                                                                                                        ]
                                                                                                                    ]
                                                                                                                ]
                                                                                                            ]
                                                                                                        ]
                                                                                                    ]
                                                                                                ]
                                                                                            ]
                                                                                        ]
                                                                                    ]
                                                                                ]
                                                                            ]
                                                                        ]
                                                                    ]
                                                                ]
                                                            ]
                                                        ]
                                                    ]
                                                ]
                                            ]
                                        ]
                                    ]
                                ]
                            ]
                        ]
                    ]
                }
            },
            "nested deeper",
        ),
        ({"schema": {"type": "string", "pattern": "^x{100000}$"}}, "invalid repetition size"),
        ({"schema": {"type": "string", "pattern": "(?=a)b"}}, "linear-time regex only"),
        ({"schema": {"type": "string", "pattern": "^" + "x{900}" * 5 + "$"}}, "too complex"),
        ({"schema": {"type": "object", "patternProperties": {"(a)\\1": {}}}}, "linear-time regex only"),
        ({"schema": {"enum": list(range(5000))}}, "enum of 5000 values"),
        ({"schema": {"anyOf": [{"const": i} for i in range(600)]}}, "600 anyOf/oneOf/allOf alternatives"),
        ({"rules": ["round(age, -99999999) == 0"]}, "round() to -99999999 digits"),
        ({"budget": {"max_tokens": "400"}}, "budget.max_tokens: Input should be a valid integer"),
        ({"budget": {"max_tokens": True}}, "budget.max_tokens: Input should be a valid integer"),
        ({"prompt": "\u200b"}, "prompt has no visible character"),
        ({"deadline_ms": "5000"}, "deadline_ms"),
    ],
)
def test_a_costly_or_ill_typed_request_is_refused_with_its_reason(overrides: dict, fragment: str) -> None:
    assert fragment in refusal(**overrides)


def test_a_deep_request_is_refused_without_echoing_its_metadata() -> None:
    request = orjson.dumps(make_request(metadata={"m": "HERE"}))
    raw = request.replace(b'"HERE"', b"[" * 300 + b"]" * 300)  # deeper than orjson will write back
    with pytest.raises(RequestRejected) as info:
        parse_request(raw, 512 * 1024)
    assert info.value.metadata == {}  # orjson cannot encode it back onto a Result


def test_ordinary_patterns_pass() -> None:
    schema = {
        "type": "object",
        "properties": {
            "sku": {"type": "string", "pattern": "^[A-Z]{2}-\\d{4}$"},
            "name": {"type": "string", "pattern": "^[a-z]+( [a-z]+)*$"},
        },
    }
    assert parse_request(orjson.dumps(make_request(schema=schema)), 512 * 1024).json_schema == schema


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ({"$ref": "https://example.org/s.json"}, "remote references are never fetched"),
        ({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}}, "is circular"),
        ({"$ref": "#/$defs/missing"}, "does not resolve"),
    ],
)
def test_references_that_go_nowhere_or_off_the_request_are_refused(schema: dict, fragment: str) -> None:
    assert fragment in refusal(schema=schema)
