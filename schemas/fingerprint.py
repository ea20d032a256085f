"""A schema's family: a hash of its shape (property names, types, nesting, required fields and branches),
blind to descriptions, titles, examples and defaults, so the same kind of request with reworded
documentation stays one family. Results carry it, so drift can be reported per schema."""

import hashlib
from functools import lru_cache
from typing import Any

import orjson

SHAPE_KEYS = ("type", "properties", "items", "required", "anyOf", "oneOf", "allOf", "enum", "const", "$ref", "format")


def _shape(node: Any) -> Any:
    if isinstance(node, list):
        return [_shape(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key in SHAPE_KEYS:
        if key not in node:
            continue
        value = node[key]
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _shape(sub) for name, sub in value.items()}
        elif key == "required" and isinstance(value, list):
            out[key] = sorted(str(v) for v in value)
        else:
            out[key] = _shape(value)
    return out


@lru_cache(maxsize=4096)
def _fingerprint(schema_json: bytes) -> str:
    shape = orjson.dumps(_shape(orjson.loads(schema_json)), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(shape).hexdigest()[:12]


def schema_fingerprint(schema: dict[str, Any]) -> str:
    return _fingerprint(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))
