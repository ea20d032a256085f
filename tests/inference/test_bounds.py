"""Decoding bounds: they only narrow what a schema allows, and close objects only where that narrows."""

from services.inference.decoding.bounds import bounded
from services.inference.engines.registry import build_engine
from tests.conftest import SMALL as TIER
from tests.conftest import SMALL_SETTINGS as SETTINGS


def test_bounds_only_narrow() -> None:
    schema = {
        "type": "object",
        "properties": {
            "s": {"type": "string", "minLength": 300},
            "a": {"type": "array"},
            "e": {"type": "string", "enum": ["x"]},
        },
    }
    out = bounded(schema)
    assert out["properties"]["s"]["maxLength"] == 300
    assert out["properties"]["a"]["maxItems"] == 16
    assert "maxLength" not in out["properties"]["e"]
    assert out["additionalProperties"] is False  # closed: no invented keys


def test_objects_are_decoded_closed_only_where_that_narrows() -> None:
    leaf = {"type": "object", "properties": {"x": {"type": "integer"}}}
    assert bounded({"type": "array", "items": leaf})["items"]["additionalProperties"] is False
    kept_open = [
        {**leaf, "additionalProperties": True},  # said explicitly
        {**leaf, "patternProperties": {"^y": {}}},
        {**leaf, "required": ["y"]},  # closing would make it unsatisfiable
        {**leaf, "allOf": [{"properties": {"y": {}}}]},
    ]
    for schema in kept_open:
        assert bounded(schema).get("additionalProperties") == schema.get("additionalProperties")
    both = bounded({"allOf": [leaf, {"properties": {"y": {}}}]})
    assert all("additionalProperties" not in branch for branch in both["allOf"])  # a branch lists only some
    assert bounded({"not": leaf}) == {"not": leaf}  # narrowing under `not` would widen the whole
    by_ref = {"$defs": {"d": leaf}, "allOf": [{"$ref": "#/$defs/d"}, {"properties": {"y": {}}}]}
    assert "additionalProperties" not in bounded(by_ref)["$defs"]["d"]
    assert bounded({"$defs": {"d": leaf}, "$ref": "#/$defs/d"})["$defs"]["d"]["additionalProperties"] is False


def test_long_string_bounds_are_clamped_for_decoding_not_rejected() -> None:
    schema = {"type": "object", "properties": {"s": {"type": "string", "maxLength": 5000}}, "required": ["s"]}
    assert bounded(schema)["properties"]["s"]["maxLength"] == 1000
    gbnf = build_engine(TIER, SETTINGS.model_copy(update={"constrained_decoder": "gbnf"}))
    gbnf.grammar(schema)  # compiles instead of crashing the worker
