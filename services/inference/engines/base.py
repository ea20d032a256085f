"""The engine interface every tier implements."""

from dataclasses import dataclass
from typing import Any, Literal, Protocol

Message = dict[str, str]


class SchemaCompileError(ValueError):
    """The engine cannot turn this JSON Schema into a decoding constraint."""


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    ttft_ms: float | None
    duration_ms: float
    finish_reason: Literal["stop", "length"]
    closed_early: bool = False  # the decoder steered the output to close within its limit (decoding/closing.py)
    logprobs: tuple[float, ...] = ()  # log P of each greedy pick under the schema mask (llguidance engines)
    token_ends: tuple[int, ...] = ()  # where each generated token ends in `text` (characters), with logprobs
    drafted_tokens: int = 0  # speculative decoding: tokens a drafter proposed for the model to verify
    accepted_tokens: int = 0  # of those, the ones the model's own greedy pick confirmed
    drafter_tokens: int = 0  # tokens a draft model ran to propose them (charged at the draft tier's price)


class Engine(Protocol):
    model_name: str

    def count_tokens(self, messages: list[Message]) -> int: ...

    def complete(self, messages: list[Message], json_schema: dict[str, Any] | None, max_new_tokens: int) -> Completion:
        """Greedy generation, constrained to `json_schema` token by token when given."""
        ...
