"""llguidance as a token mask inside llama.cpp's sampling loop (JSON Schema → Earley parser + lexer).

Built once per engine: the tokenizer from llama.cpp's own vocabulary (~1 s). Per request: a matcher
compiled from the schema (cached as grammar text per schema), then for every token a bitmask of the
tokens the grammar allows, applied to the logits before sampling."""

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import llama_cpp
import numpy as np
import orjson
from llguidance import LLMatcher, LLTokenizer
from llguidance.llamacpp import lltokenizer_from_vocab
from llguidance.numpy import allocate_token_bitmask, apply_token_bitmask_inplace, fill_next_token_bitmask

from services.inference.decoding.bounds import PATTERN_REPEATS, bounded
from services.inference.decoding.closing import Closer, ClosingRanks
from services.inference.decoding.relax import relaxed
from services.inference.engines.base import SchemaCompileError


def tokenizer_for(llm: llama_cpp.Llama) -> LLTokenizer:
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    with warnings.catch_warnings():  # llguidance calls a deprecated llama.cpp alias once per vocabulary token
        warnings.simplefilter("ignore", DeprecationWarning)
        return lltokenizer_from_vocab(vocab, n_vocab=llm.n_vocab())


def compile_schema(json_schema: dict[str, Any]) -> str:
    """The llguidance grammar for a schema; SchemaCompileError names what it cannot handle."""
    try:
        grammar = LLMatcher.grammar_from_json_schema(
            orjson.dumps(json_schema).decode(), defaults={"whitespace_flexible": False}
        )
    except (ValueError, RuntimeError) as exc:
        raise SchemaCompileError(str(exc)) from exc
    problem = LLMatcher.validate_grammar(grammar)  # "" when the grammar is sound
    if problem:
        raise SchemaCompileError(problem)
    return grammar


def compile_strict(json_schema: dict[str, Any]) -> str:
    """The bounded schema's grammar, no relaxing (SchemaCompileError where llguidance refuses it)."""
    for options in ({"bound_patterns": True}, {"pattern_repeats": PATTERN_REPEATS}):
        try:
            return compile_schema(bounded(json_schema, **options))
        except SchemaCompileError:
            pass
    return compile_schema(bounded(json_schema))


def compile_bounded(json_schema: dict[str, Any]) -> str:
    """The grammar for decoding: the schema bounded (decoding/bounds.py), formats and patterns included
    where llguidance can intersect them with a length bound. Where it cannot ("Unable to determine if
    regex is empty" for some email patterns), those patterns get their own repeats bounded instead; failing
    that, they are left as they are. A schema llguidance refuses even so (`oneOf`, conditionals, an unknown
    format) is decoded by its relaxed form (decoding/relax.py); the critic judges against the original."""
    try:
        return compile_strict(json_schema)
    except SchemaCompileError as refused:
        loose = relaxed(json_schema)
        if loose == json_schema:
            raise
        try:
            return compile_strict(loose)
        except SchemaCompileError:
            raise refused from None


def top_logprob(scores: np.ndarray) -> float:
    """log P(the greedy pick) under these (masked) logits: 0 where the mask left one token, the drafting
    model's own confidence where it had a choice. No extra tokens: the logits are computed anyway."""
    finite = scores[np.isfinite(scores)]
    top = float(finite.max())
    return -float(np.log(np.exp(finite - top).sum()))


@dataclass
class MaskProcessor:
    """A llama-cpp-python logits processor: consume the last sampled token, mask the next. With closing
    ranks and a room (new tokens in all), the mask also closes the JSON before the room runs out."""

    tokenizer: LLTokenizer
    grammar: str
    prompt_len: int
    n_vocab: int
    ranks: ClosingRanks | None = None
    room: int | None = None
    mask_seconds: list[float] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)  # of each greedy pick under the masked distribution

    def __post_init__(self) -> None:
        self.matcher = LLMatcher(self.tokenizer, self.grammar)
        if self.matcher.is_error():
            raise SchemaCompileError(self.matcher.get_error())
        self.bitmask = allocate_token_bitmask(1, self.n_vocab)
        self.consumed = 0
        self.closer = Closer(self.ranks, self.room) if self.ranks is not None and self.room is not None else None

    def sync(self, input_ids: "np.ndarray | list[int]") -> None:
        """Consume the tokens picked since the last call (the prompt is never consumed)."""
        for token in input_ids[self.prompt_len + self.consumed :]:
            self.matcher.consume_token(int(token))
            self.consumed += 1

    def __call__(self, input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        self.sync(input_ids)
        started = time.perf_counter()
        fill_next_token_bitmask(self.matcher, self.bitmask, 0)
        self.mask_seconds.append(time.perf_counter() - started)
        if self.closer is not None:
            self.closer.narrow(self.matcher, self.bitmask[0], input_ids[self.prompt_len :], lambda: scores)
        apply_token_bitmask_inplace(scores.reshape(1, -1), self.bitmask)
        self.logprobs.append(top_logprob(scores))
        return scores

    @property
    def closed_early(self) -> bool:
        return self.closer is not None and self.closer.closed_early

    @property
    def done(self) -> bool:
        return self.matcher.is_stopped()
