"""transformers/torch engine: the same models on CUDA (or the CPU), batched greedy decoding with llguidance.

The packaged GGUF is dequantised by transformers once and cached as safetensors beside the other model
files (later starts load that in seconds). A directory holding a transformers model loads as it is.

Decoding is step-level batched: the prompts of a batch are left-padded into one prefill, then one forward
pass per step covers every sequence (KV cache, attention mask and positions kept per row). Each sequence
applies its own llguidance token mask to its own logits row before its greedy pick and stops on its own.
A batch of one is the unbatched path, so batched and unbatched outputs come from the same code."""

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import llguidance.hf
import llguidance.torch as llg_torch
import torch
from llguidance import LLMatcher
from transformers import AutoModelForCausalLM, AutoTokenizer

from services.inference.decoding import llguidance_mask as llg
from services.inference.decoding.closing import Closer, ClosingRanks
from services.inference.engines.base import Completion, Message, SchemaCompileError
from services.inference.engines.in_process import (
    Call,
    GrammarCache,
    context_room,
    looks_complete,
    prepare_in_place,
    render_completion,
)
from services.inference.engines.transformers.loading import converted_dir, pick_device, pick_dtype


@dataclass
class _Sequence:
    prompt: list[int]
    max_new_tokens: int
    matcher: LLMatcher | None
    closer: Closer | None = None
    out: list[int] = field(default_factory=list)
    ttft_ms: float | None = None
    finish: str = "length"
    running: bool = True


class TransformersEngine:
    def __init__(
        self,
        model_path: Path,
        model_name: str,
        *,
        cache_dir: Path,
        prompt_format: str = "chat",
        context_window: int = 2048,
        device: str = "auto",
        dtype: str = "auto",
        threads: int = 1,
        max_batch: int = 1,
    ) -> None:
        self.model_name = model_name
        self.context_window = context_window
        self.max_batch = max_batch
        self.device = pick_device(device)
        if self.device.type == "cpu":
            torch.set_num_threads(threads)
        source = converted_dir(model_path, cache_dir)
        self._tokenizer = AutoTokenizer.from_pretrained(source)
        self._model = AutoModelForCausalLM.from_pretrained(source, dtype=pick_dtype(dtype, self.device))
        self._model.to(self.device).eval()
        if prompt_format == "chat" and not self._tokenizer.chat_template:
            raise ValueError(f"{model_name}: no chat template; use prompt_format = 'completion'")
        self._prompt_format = prompt_format
        self._n_vocab = self._model.get_output_embeddings().weight.shape[0]
        self._llg_tokenizer = llguidance.hf.from_tokenizer(self._tokenizer, n_vocab=self._n_vocab)
        self._closing = ClosingRanks.for_tokenizer(self._llg_tokenizer, self._n_vocab)
        ends = self._model.generation_config.eos_token_id
        self._ends = {self._tokenizer.eos_token_id, *(ends if isinstance(ends, list) else [ends])} - {None}
        self._pad = self._tokenizer.pad_token_id if self._tokenizer.pad_token_id is not None else min(self._ends)
        self._grammars = GrammarCache()
        self._lock = threading.Lock()

    def render(self, messages: list[Message]) -> str:
        if self._prompt_format == "chat":
            return self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return render_completion(messages)

    def _tokens(self, messages: list[Message]) -> list[int]:
        return self._tokenizer(self.render(messages), add_special_tokens=True)["input_ids"]

    def count_tokens(self, messages: list[Message]) -> int:
        return len(self._tokens(messages))

    def grammar(self, json_schema: dict[str, Any]) -> str:
        """The llguidance grammar for a schema (cached)."""
        return self._grammars.get(json_schema, llg.compile_bounded)

    def _sequence(self, messages: list[Message], json_schema: dict[str, Any] | None, max_new: int) -> _Sequence:
        matcher = None
        if json_schema is not None:
            matcher = LLMatcher(self._llg_tokenizer, self.grammar(json_schema))
            if matcher.is_error():
                raise SchemaCompileError(matcher.get_error())
        prompt = self._tokens(messages)
        room = context_room(len(prompt), max_new, self.context_window)
        closer = Closer(self._closing, room) if matcher is not None else None
        return _Sequence(prompt=prompt, max_new_tokens=room, matcher=matcher, closer=closer)

    def complete(
        self,
        messages: list[Message],
        json_schema: dict[str, Any] | None,
        max_new_tokens: int,
        on_text: Callable[[str], None] | None = None,
    ) -> Completion:
        """`on_text` receives the text of each new token as it is generated (for streaming servers)."""
        seq = self._sequence(messages, json_schema, max_new_tokens)
        with self._lock:
            return self._generate([seq], on_text)[0]

    def complete_batch(self, calls: Sequence[Call]) -> list[Completion | Exception]:
        """Several (messages, json_schema, max_new_tokens) calls decoded together, `max_batch` at a time.
        A call that cannot start (schema, context size) gets its exception in its place."""
        results, prepared = prepare_in_place(calls, self._sequence)
        with self._lock:
            for start in range(0, len(prepared), max(self.max_batch, 1)):
                chunk = prepared[start : start + max(self.max_batch, 1)]
                for (index, _), completion in zip(chunk, self._generate([s for _, s in chunk]), strict=True):
                    results[index] = completion
        return [r for r in results if r is not None]

    @torch.inference_mode()
    def _generate(self, seqs: list[_Sequence], on_text: Callable[[str], None] | None = None) -> list[Completion]:
        started = time.perf_counter()
        width = max(len(s.prompt) for s in seqs)
        ids = torch.full((len(seqs), width), self._pad, dtype=torch.long)
        attention = torch.zeros((len(seqs), width), dtype=torch.long)
        for row, seq in enumerate(seqs):  # left padding: every row's last prompt token is in the last column
            ids[row, width - len(seq.prompt) :] = torch.tensor(seq.prompt)
            attention[row, width - len(seq.prompt) :] = 1
        ids, attention = ids.to(self.device), attention.to(self.device)
        positions = (attention.cumsum(-1) - 1).clamp(min=0)
        bitmask = llg_torch.allocate_token_bitmask(len(seqs), self._n_vocab)
        past, streamed = None, ""
        while True:
            out = self._model(
                input_ids=ids,
                attention_mask=attention,
                position_ids=positions,
                cache=past,
                use_cache=True,
                logits_to_keep=1,
            )
            past, logits = out.cache, out.logits[:, -1, :].float()
            if any(s.matcher is not None and s.running for s in seqs):
                for row, seq in enumerate(seqs):
                    if seq.matcher is not None and seq.running:
                        llg_torch.fill_next_token_bitmask(seq.matcher, bitmask, row)
                        if seq.closer is not None:
                            seq.closer.narrow(
                                seq.matcher, bitmask[row].numpy(), seq.out, lambda r=row, x=logits: x[r].cpu().numpy()
                            )
                    else:
                        bitmask[row].fill_(-1)  # every token allowed
                llg_torch.apply_token_bitmask_inplace(logits, bitmask.to(self.device))
            picks = logits.argmax(-1).tolist()
            now_ms = (time.perf_counter() - started) * 1000
            for seq, token in zip(seqs, picks, strict=True):
                if seq.running:
                    self._advance(seq, token, now_ms)
            if on_text is not None:
                text = self._text(seqs[0].out)
                if text[len(streamed) :] and not text.endswith("\ufffd"):  # whole UTF-8 characters only
                    on_text(text[len(streamed) :])
                    streamed = text
            if not any(s.running for s in seqs):
                break
            ids = torch.tensor([[t if s.running else self._pad] for s, t in zip(seqs, picks, strict=True)])
            ids = ids.to(self.device)
            attention = torch.cat([attention, torch.ones_like(attention[:, :1])], dim=1)
            positions = attention.sum(-1, keepdim=True) - 1
        duration_ms = (time.perf_counter() - started) * 1000
        return [
            Completion(
                text=self._text(s.out),
                input_tokens=len(s.prompt),
                output_tokens=len(s.out),
                ttft_ms=s.ttft_ms,
                duration_ms=duration_ms,
                finish_reason="stop" if s.finish == "stop" else "length",
                closed_early=s.closer is not None and s.closer.closed_early,
            )
            for s in seqs
        ]

    def _advance(self, seq: _Sequence, token: int, now_ms: float) -> None:
        """Take one greedy token: stop on an end token, a finished grammar or one whole JSON value."""
        if seq.ttft_ms is None:
            seq.ttft_ms = now_ms
        if token in self._ends:
            seq.finish, seq.running = "stop", False
            return
        seq.out.append(token)
        if seq.matcher is not None:
            seq.matcher.consume_token(token)
            if seq.matcher.is_stopped() or looks_complete(self._text(seq.out)):
                seq.finish, seq.running = "stop", False
                return
        if len(seq.out) >= seq.max_new_tokens:
            seq.running = False

    def _text(self, tokens: list[int]) -> str:
        return self._tokenizer.decode(tokens, skip_special_tokens=True)
