"""One sequence decoded on llama.cpp's own context (the unbatched path): greedy, under a llama.cpp grammar
or an llguidance mask, streaming each token's text when asked."""

import time
from collections.abc import Callable
from typing import Any

from llama_cpp import Llama, LogitsProcessorList

from services.inference.engines.base import Completion
from services.inference.engines.in_process import looks_complete


def generate_plain(
    llm: Llama,
    prompt: list[int],
    room: int,
    grammar: Any,
    mask: Any,
    on_text: Callable[[str], None] | None,
    is_end: Callable[[int], bool],
    detokenise: Callable[[list[int]], str],
) -> Completion:
    """`room`: the new tokens this call may take (what the context window leaves of the asked-for limit)."""
    eos = llm.token_eos()
    started = time.perf_counter()
    ttft_ms: float | None = None
    out: list[int] = []
    finish = "length"
    streamed = ""
    processors = LogitsProcessorList([mask]) if mask is not None else None
    ends: list[int] = []
    constrained = grammar is not None or mask is not None
    for token in llm.generate(
        prompt, temp=0.0, top_k=1, repeat_penalty=1.0, grammar=grammar, reset=True, logits_processor=processors
    ):
        if ttft_ms is None:
            ttft_ms = (time.perf_counter() - started) * 1000
        if token == eos or is_end(token):
            finish = "stop"
            break
        out.append(token)
        text = detokenise(out) if on_text is not None or constrained else ""  # detokenised once per token
        ends.append(len(text))
        # stream the delta of the whole text: a token may end inside a UTF-8 character
        if on_text is not None and text[len(streamed) :] and not text.endswith("\ufffd"):
            on_text(text[len(streamed) :])
            streamed = text
        if constrained and (looks_complete(text) or (mask is not None and mask.done)):
            finish = "stop"
            break
        if len(out) >= room:
            break
    return Completion(
        text=detokenise(out),
        input_tokens=len(prompt),
        output_tokens=len(out),
        ttft_ms=ttft_ms,
        duration_ms=(time.perf_counter() - started) * 1000,
        finish_reason=finish,
        closed_early=mask is not None and mask.closed_early,
        logprobs=tuple(mask.logprobs) if mask is not None else (),
        token_ends=tuple(ends) if mask is not None else (),
    )
