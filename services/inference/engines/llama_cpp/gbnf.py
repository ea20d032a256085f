"""The llama.cpp grammar path (decoder "gbnf"): JSON Schema → GBNF by llama-cpp-python's converter,
checked by llama.cpp's own parser before it is ever sampled with."""

from typing import Any

import llama_cpp
import orjson
from llama_cpp import LlamaGrammar

from services.inference.decoding.bounds import bounded
from services.inference.engines.base import SchemaCompileError


def gbnf_grammar(json_schema: dict[str, Any], vocab: Any) -> LlamaGrammar:
    try:
        grammar = LlamaGrammar.from_json_schema(orjson.dumps(bounded(json_schema)).decode(), verbose=False)
    except Exception as exc:  # the converter raises bare Exceptions/KeyErrors for unsupported features
        raise SchemaCompileError(f"{type(exc).__name__}: {exc}") from exc
    check_parses(grammar, vocab)
    return grammar


def check_parses(grammar: LlamaGrammar, vocab: Any) -> None:
    """Parse the GBNF with llama.cpp itself: a grammar it rejects would otherwise crash the worker at
    sampling time (llama-cpp-python does not check for the NULL sampler)."""
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar._grammar.encode(), grammar._root.encode())
    if not sampler:
        raise SchemaCompileError(
            "llama.cpp rejected the grammar (too many repetitions: lower maxLength/maxItems or use fewer nested bounds)"
        )
    llama_cpp.llama_sampler_free(sampler)
