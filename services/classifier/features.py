"""Cheap, deterministic features of a request: schema shape, text sizes and hashed words.

`feature_matrix` is what the router model reads: the shape counts (log1p) followed by a bag of hashed
tokens (crc32 mod HASH_DIM, presence, L2-normalised) from the prompt and the schema (property names, types,
constraint keywords). Hashing needs no vocabulary file and runs at tens of thousands of requests a second.
"""

import math
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, astuple, dataclass, fields
from typing import Any

import numpy as np

from schemas import GenerationRequest

HASH_DIM = 512
FEATURE_VERSION = f"shape8+hash{HASH_DIM}-v1"  # stored in the model file; a mismatch refuses to load
WORD = re.compile(r"[a-z0-9_]+")

CONSTRAINT_KEYWORDS = frozenset(
    {
        "pattern",
        "format",
        "enum",
        "const",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "multipleOf",
        "uniqueItems",
        "oneOf",
        "anyOf",
        "allOf",
        "not",
        "if",
        "dependentRequired",
        "dependentSchemas",
        "$ref",
    }
)


@dataclass(frozen=True)
class RequestFeatures:
    schema_depth: int
    property_count: int
    required_count: int
    array_count: int
    constraint_count: int
    prompt_chars: int
    context_chars: int
    rule_count: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _walk(node: Any, depth: int, acc: dict[str, int]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, depth, acc)
        return
    if not isinstance(node, dict):
        return
    acc["depth"] = max(acc["depth"], depth)
    props = node.get("properties")
    if isinstance(props, dict):
        acc["properties"] += len(props)
    if isinstance(node.get("required"), list):
        acc["required"] += len(node["required"])
    if node.get("type") == "array" or "items" in node:
        acc["arrays"] += 1
    acc["constraints"] += sum(1 for k in node if k in CONSTRAINT_KEYWORDS)
    for key, value in node.items():
        if key in ("properties", "patternProperties", "$defs", "definitions") and isinstance(value, dict):
            for sub in value.values():
                _walk(sub, depth + 1, acc)
        elif key in ("items", "additionalProperties", "not", "if", "then", "else", "contains") or key in (
            "anyOf",
            "oneOf",
            "allOf",
            "prefixItems",
        ):
            _walk(value, depth + 1, acc)


def extract_features(request: GenerationRequest) -> RequestFeatures:
    acc = {"depth": 0, "properties": 0, "required": 0, "arrays": 0, "constraints": 0}
    _walk(request.json_schema, 1, acc)
    return RequestFeatures(
        schema_depth=acc["depth"],
        property_count=acc["properties"],
        required_count=acc["required"],
        array_count=acc["arrays"],
        constraint_count=acc["constraints"],
        prompt_chars=len(request.prompt),
        context_chars=len(request.context or ""),
        rule_count=len(request.rules),
    )


SHAPE_DIM = len(fields(RequestFeatures))
FEATURE_DIM = SHAPE_DIM + HASH_DIM


def _schema_tokens(node: Any, out: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _schema_tokens(item, out)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in CONSTRAINT_KEYWORDS:
            out.append(f"kw:{key}")
        if key == "type":
            out.extend(f"type:{t}" for t in (value if isinstance(value, list) else [value]) if isinstance(t, str))
        if key == "properties" and isinstance(value, dict):
            out.extend(f"prop:{name.lower()}" for name in value)
        if isinstance(value, dict | list) and key not in ("enum", "const", "default", "examples"):
            _schema_tokens(value, out)


def request_tokens(request: GenerationRequest) -> list[str]:
    """The words the hashed bag is built from: the prompt's words plus the schema's names and kinds."""
    tokens = WORD.findall(request.prompt.lower())
    _schema_tokens(request.json_schema, tokens)
    if request.context:
        tokens.append("has:context")
    return tokens


def hashed_bag(tokens: Iterable[str], row: np.ndarray) -> None:
    """Write the L2-normalised presence bag of `tokens` into `row` (length HASH_DIM)."""
    buckets = {zlib.crc32(token.encode()) % HASH_DIM for token in tokens}
    if buckets:
        row[list(buckets)] = 1.0 / math.sqrt(len(buckets))


def feature_matrix(requests: Sequence[GenerationRequest]) -> np.ndarray:
    """One float32 row of FEATURE_DIM per request."""
    matrix = np.zeros((len(requests), FEATURE_DIM), dtype=np.float32)
    for i, request in enumerate(requests):
        matrix[i, :SHAPE_DIM] = np.log1p(np.asarray(astuple(extract_features(request)), dtype=np.float32))
        hashed_bag(request_tokens(request), matrix[i, SHAPE_DIM:])
    return matrix
