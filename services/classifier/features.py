"""Cheap, deterministic features of a request: schema shape, text sizes and hashed words.

`feature_matrix` is what the router model reads: the shape counts (log1p) followed by a bag of hashed
tokens (crc32 mod HASH_DIM, presence, L2-normalised) from the prompt and the schema (property names, types,
constraint keywords). Hashing needs no vocabulary file and runs at tens of thousands of requests a second.
"""

import math
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from schemas import GenerationRequest
from services.documents.schema_walk import walk

HASH_DIM = 512
FEATURE_VERSION = f"shape8+hash{HASH_DIM}-v2"  # stored in the model file; a mismatch refuses to load
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


def _count(node: dict[str, Any], depth: int, acc: dict[str, int], tokens: list[str]) -> None:
    """Count one schema node's shape into `acc` and collect its names and kinds into `tokens`."""
    acc["depth"] = max(acc["depth"], depth)
    props = node.get("properties")
    if isinstance(props, dict):
        acc["properties"] += len(props)
        tokens.extend(f"prop:{name.lower()}" for name in props)
    if isinstance(node.get("required"), list):
        acc["required"] += len(node["required"])
    kind = node.get("type")
    if kind == "array" or "items" in node:
        acc["arrays"] += 1
    if isinstance(kind, str):
        tokens.append(f"type:{kind}")
    elif isinstance(kind, list):
        tokens.extend(f"type:{k}" for k in kind if isinstance(k, str))
    for key in node:
        if key in CONSTRAINT_KEYWORDS:
            acc["constraints"] += 1
            tokens.append(f"kw:{key}")


def _analyse(request: GenerationRequest) -> tuple[RequestFeatures, list[str]]:
    acc = {"depth": 0, "properties": 0, "required": 0, "arrays": 0, "constraints": 0}
    tokens = WORD.findall(request.prompt.lower())
    for _, node, depth in walk(request.json_schema):
        _count(node, depth, acc, tokens)
    if request.context:
        tokens.append("has:context")
    features = RequestFeatures(
        schema_depth=acc["depth"],
        property_count=acc["properties"],
        required_count=acc["required"],
        array_count=acc["arrays"],
        constraint_count=acc["constraints"],
        prompt_chars=len(request.prompt),
        context_chars=len(request.context or ""),
        rule_count=len(request.rules),
    )
    return features, tokens


def extract_features(request: GenerationRequest) -> RequestFeatures:
    return _analyse(request)[0]


def request_tokens(request: GenerationRequest) -> list[str]:
    """The words the hashed bag is built from: the prompt's words plus the schema's names and kinds."""
    return _analyse(request)[1]


SHAPE_DIM = len(fields(RequestFeatures))
FEATURE_DIM = SHAPE_DIM + HASH_DIM


_BUCKETS: dict[str, int] = {}  # token → bucket memo (crc32 is deterministic across processes)


def bucket(token: str) -> int:
    found = _BUCKETS.get(token)
    if found is None:
        if len(_BUCKETS) > 500_000:
            _BUCKETS.clear()
        found = _BUCKETS[token] = zlib.crc32(token.encode()) % HASH_DIM
    return found


def hashed_bag(tokens: Iterable[str], row: np.ndarray) -> None:
    """Write the L2-normalised presence bag of `tokens` into `row` (length HASH_DIM)."""
    buckets = {bucket(token) for token in tokens}
    if buckets:
        row[list(buckets)] = 1.0 / math.sqrt(len(buckets))


def feature_matrix(requests: Sequence[GenerationRequest]) -> np.ndarray:
    """One float32 row of FEATURE_DIM per request."""
    matrix = np.zeros((len(requests), FEATURE_DIM), dtype=np.float32)
    for i, request in enumerate(requests):
        shape, tokens = _analyse(request)
        matrix[i, :SHAPE_DIM] = (
            shape.schema_depth,
            shape.property_count,
            shape.required_count,
            shape.array_count,
            shape.constraint_count,
            shape.prompt_chars,
            shape.context_chars,
            shape.rule_count,
        )
        hashed_bag(tokens, matrix[i, SHAPE_DIM:])
    np.log1p(matrix[:, :SHAPE_DIM], out=matrix[:, :SHAPE_DIM])
    return matrix
