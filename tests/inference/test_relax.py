"""What the decoder refuses is decoded by a relaxed schema; the critic still judges the original."""

from services.inference.decoding.llguidance_mask import compile_bounded
from services.inference.decoding.relax import relaxed

ONE_OF = {
    "type": "object",
    "properties": {
        "shape": {"oneOf": [{"const": "circle"}, {"const": "square"}]},
        "path": {"type": "string", "format": "path"},
        "host": {"type": "string", "format": "hostname"},
    },
    "if": {"properties": {"shape": {"const": "circle"}}},
    "then": {"required": ["path"]},
    "dependencies": {"path": ["shape"]},
}


def test_relaxing_keeps_the_shape_and_drops_only_what_the_decoder_cannot_mask() -> None:
    loose = relaxed(ONE_OF)
    assert loose["properties"]["shape"] == {"anyOf": [{"const": "circle"}, {"const": "square"}]}
    assert loose["properties"]["path"] == {"type": "string"}  # unknown format: a plain string
    assert loose["properties"]["host"]["format"] == "hostname"  # a format the decoder knows stays
    assert not {"if", "then", "dependencies"} & loose.keys()
    assert ONE_OF["properties"]["shape"].get("oneOf")  # the request's own schema is untouched


def test_oneof_beside_anyof_becomes_a_conjunct() -> None:
    both = {"anyOf": [{"type": "string"}, {"type": "integer"}], "oneOf": [{"minimum": 1}, {"type": "string"}]}
    loose = relaxed(both)
    assert loose["anyOf"] == both["anyOf"] and loose["allOf"] == [{"anyOf": both["oneOf"]}]


def test_a_refused_schema_now_compiles_by_its_relaxed_form() -> None:
    assert compile_bounded(ONE_OF)  # llguidance alone refuses oneOf, if/then and dependencies
