"""`GenerationRequest`: what a producer publishes to `refinery.requests`."""

import unicodedata
from functools import lru_cache
from typing import Any

import orjson
from jsonschema import SchemaError
from jsonschema.validators import validator_for
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator

from schemas.rules import RuleError, compile_rule


class Budget(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    max_tokens: PositiveInt = Field(description="Hard ceiling on tokens (input + output) over all stages.")
    max_cost: float | None = Field(default=None, gt=0, description="Optional ceiling on ledger cost.")


class GenerationRequest(BaseModel):
    # strict: "400" or true is not a token budget; a producer's type error is reported, not guessed at
    model_config = ConfigDict(extra="forbid", strict=True, validate_by_name=True, serialize_by_alias=True)

    id: str = Field(min_length=1, max_length=256, description="Client-chosen unique id; the Kafka key.")
    prompt: str = Field(min_length=1, description="The task, in natural language.")
    json_schema: dict[str, Any] = Field(alias="schema", description="JSON Schema the output must satisfy.")
    context: str | None = Field(default=None, description="Source text the output must be grounded in.")
    creative: bool = Field(
        default=False,
        description="Without a context, the output's free-text values must come from the request itself (as in "
        "function calling); true lets them be made up (names, labels, copy for a creative task).",
    )
    tier: str | None = Field(default=None, description="Force a model tier; skips routing.")
    adapter: str | None = Field(
        default=None,
        max_length=64,
        description="A brand voice: a LoRA adapter a tier carries (config/tiers.toml). The request goes to the "
        "smallest tier carrying it; an unknown adapter gets an error record.",
    )
    budget: Budget
    deadline_ms: PositiveInt | None = Field(default=None, description="Wall-clock deadline from receipt.")
    rules: list[str] = Field(default_factory=list, description="Cross-field rules the critic checks.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Passed through to the Result.")

    @property
    def answered_by_request(self) -> bool:
        """Whether the request alone settles the right answer: no context to ground it in (grounding judges
        those) and not creative (many answers are right). The checks that read the request, the model's
        confidence, the menu judge and the second opinion judge only such requests."""
        return not self.context and not self.creative

    @field_validator("prompt")
    @classmethod
    def _prompt_not_blank(cls, value: str) -> str:
        if not any(unicodedata.category(c)[0] in "LNPS" for c in value):
            raise ValueError("prompt has no visible character")
        return value

    @field_validator("rules")
    @classmethod
    def _rules_compile(cls, value: list[str]) -> list[str]:
        for index, rule in enumerate(value):
            try:
                compile_rule(rule)
            except RuleError as exc:
                raise ValueError(f"rules[{index}]: {exc}") from None
        return value

    @field_validator("json_schema")
    @classmethod
    def _schema_is_valid(cls, value: dict[str, Any]) -> dict[str, Any]:
        if problem := _schema_problem(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)):
            raise ValueError(problem)
        return value


@lru_cache(maxsize=1024)
def _schema_problem(schema_json: bytes) -> str | None:
    """Cached by the schema's bytes: every stage decodes the request again, and schemas repeat."""
    schema = orjson.loads(schema_json)
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        return f"invalid JSON Schema at {'/'.join(map(str, exc.path)) or '<root>'}: {exc.message}"
    return None
