"""Cheap, deterministic features of a request: schema shape and text sizes."""

from dataclasses import asdict, dataclass
from typing import Any

from schemas import GenerationRequest

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
