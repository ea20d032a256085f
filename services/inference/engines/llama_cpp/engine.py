"""llama.cpp engine for the GGUF models shipped in PyPI packages; JSON Schema → GBNF grammar."""

import dataclasses
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import llama_cpp
from llama_cpp import Llama, LlamaGrammar
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from services.inference.decoding import llguidance_mask as llg
from services.inference.decoding.closing import ClosingRanks
from services.inference.decoding.drafting import Drafter, LookupDrafter
from services.inference.engines.base import Completion, Message, SchemaCompileError
from services.inference.engines.in_process import (
    Call,
    GrammarCache,
    context_room,
    looks_complete,
    prepare_in_place,
    render_completion,
)
from services.inference.engines.llama_cpp.adapters import AdapterView, LoraAdapters
from services.inference.engines.llama_cpp.batched import BatchedDecoder
from services.inference.engines.llama_cpp.batched import Sequence as BatchSequence
from services.inference.engines.llama_cpp.gbnf import gbnf_grammar
from services.inference.engines.llama_cpp.model_drafter import ModelDrafter
from services.inference.engines.llama_cpp.plain import generate_plain

# A quantized V cache needs flash attention in llama.cpp.
KV_CACHE: dict[str, dict[str, object]] = {
    "f16": {},
    "q8_0": {"type_k": llama_cpp.GGML_TYPE_Q8_0, "type_v": llama_cpp.GGML_TYPE_Q8_0, "flash_attn": True},
}


class LlamaCppEngine:
    def __init__(
        self,
        model_path: Path,
        model_name: str,
        *,
        prompt_format: str = "chat",
        context_window: int = 2048,
        threads: int = 1,
        gpu_layers: int = 0,
        decoder: str = "llguidance",
        max_batch: int = 1,
        kv_cache: str = "f16",
        drafter: str = "none",
        speculate_max_batch: int = 1,
        draft_model_path: Path | None = None,
    ) -> None:
        if not model_path.is_file():
            raise FileNotFoundError(f"model file not found: {model_path}")
        self.model_name = model_name
        self.context_window = context_window
        self._llm = Llama(
            model_path=str(model_path),
            n_ctx=context_window,
            n_threads=threads,
            n_threads_batch=threads,
            n_gpu_layers=gpu_layers,
            seed=0,
            verbose=False,
            **KV_CACHE[kv_cache],  # the batched decoder's context copies these settings
        )
        self._vocab = llama_cpp.llama_model_get_vocab(self._llm.model)
        self._prompt_format = prompt_format
        self._chat = self._chat_formatter() if prompt_format == "chat" else None
        self.decoder = decoder  # "llguidance" (token mask) or "gbnf" (llama.cpp grammar)
        self._llg_tokenizer = llg.tokenizer_for(self._llm) if decoder == "llguidance" else None
        self._closing = (
            ClosingRanks.for_tokenizer(self._llg_tokenizer, self._llm.n_vocab()) if self._llg_tokenizer else None
        )
        self.last_mask_seconds: list[float] = []
        self._grammars = GrammarCache()
        self._lock = threading.Lock()  # one llama context: one generation at a time
        self.max_batch = max_batch if decoder == "llguidance" else 1  # batching applies llguidance masks
        self._batched: BatchedDecoder | None = None  # created on the first batch of two or more
        # Speculative decoding (llguidance only): a drafter proposes, the model verifies in one pass.
        # Only for batches of at most `speculate_max_batch` calls: a full batch already uses the compute.
        self.speculate_max_batch = speculate_max_batch
        self._drafter = (
            self._make_drafter(drafter, draft_model_path, threads, gpu_layers) if self._llg_tokenizer else None
        )
        self._adapters = LoraAdapters(self._llm.model, self._llm._stack)

    def _make_drafter(self, kind: str, draft_model: Path | None, threads: int, gpu_layers: int) -> Drafter | None:
        if kind == "prompt_lookup":
            return LookupDrafter()
        if kind != "model":
            return None
        if draft_model is None or not draft_model.is_file():
            raise FileNotFoundError(f"{self.model_name}: drafter 'model' needs its draft model file ({draft_model})")
        draft = Llama(model_path=str(draft_model), n_ctx=64, n_threads=threads, n_threads_batch=threads,
                      n_gpu_layers=gpu_layers, seed=0, verbose=False)  # fmt: skip
        slots = max(1, min(self.speculate_max_batch, self.max_batch))
        return ModelDrafter(draft, self._llm.n_vocab(), self.context_window, slots)

    def with_adapter(self, name: str, path: Path) -> AdapterView:
        """This engine with a LoRA adapter applied to each call (loaded on first use, base model shared)."""
        self._adapters.register(name, path)
        return AdapterView(self, name)

    def _use_adapter(self, name: str | None) -> None:
        """Caller holds the lock."""
        contexts = [self._llm.ctx] + ([self._batched.ctx] if self._batched is not None else [])
        if self._adapters.use(name, contexts):
            self._llm.reset()

    def _chat_formatter(self) -> Jinja2ChatFormatter:
        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ValueError(f"{self.model_name}: no chat template in the GGUF; use prompt_format = 'completion'")
        eos = self._llm.detokenize([self._llm.token_eos()]).decode("utf-8", errors="ignore")
        bos = self._llm.detokenize([self._llm.token_bos()]).decode("utf-8", errors="ignore")
        return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)

    def render(self, messages: list[Message]) -> str:
        if self._chat is not None:
            return self._chat(messages=messages).prompt
        return render_completion(messages)

    def _tokens(self, messages: list[Message]) -> list[int]:
        return self._llm.tokenize(self.render(messages).encode("utf-8"), add_bos=True, special=True)

    def count_tokens(self, messages: list[Message]) -> int:
        return len(self._tokens(messages))

    def grammar(self, json_schema: dict[str, Any]) -> Any:
        """The compiled constraint for a schema (cached): llguidance grammar text or a llama.cpp grammar."""
        return self._grammars.get(json_schema, self._compile)

    def _compile(self, json_schema: dict[str, Any]) -> Any:
        if self.decoder == "llguidance":
            return llg.compile_bounded(json_schema)
        return gbnf_grammar(json_schema, self._vocab)

    def complete(
        self,
        messages: list[Message],
        json_schema: dict[str, Any] | None,
        max_new_tokens: int,
        on_text: Callable[[str], None] | None = None,
        adapter: str | None = None,
    ) -> Completion:
        """`on_text` receives the text of each new token as it is generated (for streaming servers);
        `adapter`: a LoRA adapter registered by `with_adapter`."""
        if self._drafter is not None and on_text is None:  # speculative: the batched decoder verifies drafts
            [done] = self.complete_batch([(messages, json_schema, max_new_tokens)], adapter)
            if isinstance(done, Exception):
                raise done
            return done
        grammar = self.grammar(json_schema) if json_schema is not None else None
        with self._lock:
            self._use_adapter(adapter)
            prompt = self._tokens(messages)
            room = self._room(prompt, max_new_tokens)
            if isinstance(grammar, str):  # llguidance: a logits mask instead of a llama.cpp grammar
                mask = self._mask(grammar, prompt, room)
                try:
                    return self._generate(prompt, None, room, on_text, mask)
                finally:
                    self.last_mask_seconds = mask.mask_seconds
            return self._generate(prompt, grammar, room, on_text)

    def complete_batch(self, calls: Sequence[Call], adapter: str | None = None) -> list[Completion | Exception]:
        """Several (messages, json_schema, max_new_tokens) calls sharing each forward pass, in chunks of
        `max_batch`. Greedy outputs equal `complete`'s. A call that cannot start (schema, context size)
        gets its exception in its place; the others still run."""
        speculative = self._drafter is not None and len(calls) <= self.speculate_max_batch
        if (self.max_batch <= 1 or len(calls) <= 1) and not speculative:
            return [self._complete_or_error(*call, adapter=adapter) for call in calls]
        results, prepared = prepare_in_place(calls, self._sequence)
        with self._lock:
            if self._batched is None:
                self._batched = BatchedDecoder(self._llm, self.context_window, max(self.max_batch, 1))
                if self._adapters.active is not None:
                    self._adapters.apply(self._batched.ctx, self._adapters.active)
            self._use_adapter(adapter)
            for start in range(0, len(prepared), self._batched.max_batch):
                chunk = prepared[start : start + self._batched.max_batch]
                drafter = self._drafter if len(chunk) <= self.speculate_max_batch else None
                done = self._batched.generate(
                    [seq for _, seq in chunk],
                    self._is_end,
                    lambda seq: looks_complete(self._text(seq.out)),
                    drafter,
                )
                for (index, seq), completion in zip(chunk, done, strict=True):
                    ends = tuple(len(self._text(seq.out[: i + 1])) for i in range(len(seq.out))) if seq.mask else ()
                    results[index] = dataclasses.replace(completion, text=self._text(seq.out), token_ends=ends)
        return [r for r in results if r is not None]

    def _complete_or_error(
        self,
        messages: list[Message],
        json_schema: dict[str, Any] | None,
        max_new_tokens: int,
        adapter: str | None = None,
    ) -> Completion | Exception:
        try:
            return self.complete(messages, json_schema, max_new_tokens, adapter=adapter)
        except (SchemaCompileError, ValueError) as exc:
            return exc

    def _sequence(self, messages: list[Message], json_schema: dict[str, Any] | None, max_new_tokens: int):
        prompt = self._tokens(messages)
        room = self._room(prompt, max_new_tokens)
        mask = self._mask(self.grammar(json_schema), prompt, room) if json_schema is not None else None
        return BatchSequence(prompt=prompt, max_new_tokens=room, mask=mask)

    def _mask(self, grammar: str, prompt: list[int], room: int) -> "llg.MaskProcessor":
        return llg.MaskProcessor(
            self._llg_tokenizer, grammar, len(prompt), self._llm.n_vocab(), ranks=self._closing, room=room
        )

    def _room(self, prompt: list[int], max_new_tokens: int) -> int:
        return context_room(len(prompt), max_new_tokens, self.context_window)

    def _generate(
        self,
        prompt: list[int],
        grammar: LlamaGrammar | None,
        room: int,
        on_text: Callable[[str], None] | None = None,
        mask: "llg.MaskProcessor | None" = None,
    ) -> Completion:
        """One sequence on the plain context (`room`: the new tokens this call may take)."""
        return generate_plain(self._llm, prompt, room, grammar, mask, on_text, self._is_end, self._text)

    def _is_end(self, token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(self._vocab, token))

    def _text(self, tokens: list[int]) -> str:
        return self._llm.detokenize(tokens).decode("utf-8", errors="replace")
