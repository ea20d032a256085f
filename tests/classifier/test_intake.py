import orjson
import pytest

from schemas import GenerationRequest
from services.classifier.features import extract_features
from services.classifier.intake import RequestRejected, parse_request
from tests.conftest import make_request


def test_malformed_json_is_rejected_without_id() -> None:
    with pytest.raises(RequestRejected) as info:
        parse_request(b'{"id": "x", "prompt": ', 10_000)
    assert info.value.request_id is None and "malformed JSON" in info.value.reason


def test_non_object_is_rejected() -> None:
    with pytest.raises(RequestRejected, match="JSON object"):
        parse_request(b"[1, 2]", 10_000)


def test_oversized_payload_keeps_its_id() -> None:
    raw = orjson.dumps(make_request(id="big", prompt="x" * 5000))
    with pytest.raises(RequestRejected) as info:
        parse_request(raw, 1000)
    assert info.value.request_id == "big" and "exceeds the 1000-byte limit" in info.value.reason


def test_invalid_request_names_the_field_and_keeps_metadata() -> None:
    raw = orjson.dumps(make_request(id="b0", budget={"max_tokens": 0}, metadata={"team": "x"}))
    with pytest.raises(RequestRejected) as info:
        parse_request(raw, 10_000)
    assert info.value.request_id == "b0"
    assert "budget.max_tokens" in info.value.reason
    assert info.value.metadata == {"team": "x"}


def test_features_of_nested_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {
                "type": "array",
                "items": {"type": "object", "properties": {"b": {"type": "string", "pattern": "x"}}},
            },
            "c": {"$ref": "#/$defs/c"},
        },
        "required": ["a"],
        "$defs": {"c": {"type": "integer", "minimum": 0}},
    }
    features = extract_features(GenerationRequest.model_validate(make_request(schema=schema)))
    assert features.property_count == 3
    assert features.required_count == 1
    assert features.array_count == 1
    assert features.schema_depth >= 3
    assert features.constraint_count >= 3  # pattern, $ref, minimum


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ({"type": "string", "minLength": 5, "maxLength": 2}, "/: minLength 5 > maxLength 2"),
        (
            {"type": "object", "properties": {"n": {"type": "integer", "minimum": 3, "maximum": 1}}},
            "/properties/n: minimum 3 > maximum 1",
        ),
        ({"type": "object", "properties": {"a": {}}, "required": ["b"], "additionalProperties": False}, "['b']"),
        ({"type": "array", "items": {"enum": []}}, "/items: empty enum"),
    ],
)
def test_unsatisfiable_schemas_are_rejected_with_the_pointer(schema: dict, fragment: str) -> None:
    with pytest.raises(RequestRejected) as info:
        parse_request(orjson.dumps(make_request(id="u", schema=schema)), 10_000)
    assert info.value.request_id == "u"
    assert info.value.reason.startswith("unsatisfiable schema") and fragment in info.value.reason
