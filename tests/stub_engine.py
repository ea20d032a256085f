"""A test seam, never a product path: an engine that answers from a script instead of a model."""

from collections.abc import Callable
from typing import Any

from services.inference.engines import EnginePool
from services.inference.engines.base import Completion, Message
from services.inference.tiers import load_tiers
from services.settings import Settings

Reply = str | Exception | Callable[[list[Message], dict[str, Any] | None], str]


class StubEngine:
    """Replies in turn (the last one repeats): a text, an exception to raise, or a function of the call.
    Tokens are counted as words, so budgets behave as with a real tokenizer."""

    def __init__(self, *replies: Reply, model_name: str = "stub", logprobs: tuple[float, ...] = ()) -> None:
        self.replies = list(replies) or ["{}"]
        self.model_name = model_name
        self.logprobs = logprobs  # what a constrained engine reports of its picks (the verifier reads them)
        self.calls: list[tuple[list[Message], dict[str, Any] | None, int]] = []

    def count_tokens(self, messages: list[Message]) -> int:
        return sum(len(m["content"].split()) for m in messages)

    def complete(self, messages: list[Message], json_schema: dict[str, Any] | None, max_new_tokens: int) -> Completion:
        reply = self.replies[min(len(self.calls), len(self.replies) - 1)]
        self.calls.append((messages, json_schema, max_new_tokens))
        if isinstance(reply, Exception):
            raise reply
        text = reply(messages, json_schema) if callable(reply) else reply
        output_tokens = min(len(text.split()) or 1, max_new_tokens)
        return Completion(text, self.count_tokens(messages), output_tokens, None, 1.0, "stop", logprobs=self.logprobs)


def stub_pool(engine: StubEngine | dict[str, StubEngine], settings: Settings | None = None) -> EnginePool:
    """Every tier of the shipped tiers file served by `engine`, or each by its own."""
    settings = settings or Settings()
    engines = engine if isinstance(engine, dict) else None
    return EnginePool(
        load_tiers(settings.tiers_file), settings, build=lambda tier, _: engines[tier.name] if engines else engine
    )
