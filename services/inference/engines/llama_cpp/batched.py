"""Step-level batched greedy decoding on llama.cpp: several sequences share every forward pass.

One llama.cpp context with `max_batch` sequence slots (each with the tier's full context window) beside the
engine's own. Each prompt is prefilled in its own slot; then every step decodes one token for every
sequence still running in a single `llama_decode`, and each sequence applies its own llguidance mask to
its own logits row before its greedy pick. Sequences stop independently (end token, complete JSON, mask
stopped, or their token limit); the batch ends when the last one does.

Speculative decoding (a `drafter`): a sequence feeds its last token and a draft of the tokens expected
next in the same pass, with logits at every position. Its picks are then made position by position exactly
as without a draft (the mask consumes only picked tokens, so the grammar state never sees a rejected one);
while a pick equals the drafted token the next position's logits are valid and it continues, so one pass
yields every accepted token plus the model's own next one. Rejected draft positions are dropped from the
cache. The output equals plain greedy decoding's but for near-ties: llama.cpp rounds a multi-token pass
differently from single-token passes (bench/results/speculative.json counts the differences).
"""

import ctypes
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import llama_cpp
import numpy as np

from services.inference.decoding import llguidance_mask as llg
from services.inference.decoding.drafting import Drafter, DraftLength
from services.inference.engines.base import Completion

MIN_SHARED_PREFIX = 16  # tokens: a shorter common prefix is prefilled per slot


def _common_prefix(prompts: list[list[int]]) -> int:
    """Tokens all prompts share from the start, leaving each at least one token of its own (for its logits)."""
    first, length = prompts[0], min(len(p) for p in prompts) - 1
    for prompt in prompts[1:]:
        length = next((i for i in range(length) if prompt[i] != first[i]), length)
    return max(length, 0)


@dataclass
class Sequence:
    prompt: list[int]
    max_new_tokens: int
    mask: "llg.MaskProcessor | None" = None
    out: list[int] = field(default_factory=list)
    finish: str | None = None
    ttft_ms: float | None = None
    duration_ms: float = 0.0
    draft_length: DraftLength = field(default_factory=DraftLength)
    drafted: int = 0  # draft tokens fed for verification
    accepted: int = 0  # of those, equal to the model's own pick
    drafter_tokens: int = 0  # tokens a draft model ran to propose them (its prompt, its picks)

    def pick(self, scores: np.ndarray) -> int:
        if self.mask is not None:
            self.mask(np.asarray(self.prompt + self.out, dtype=np.intc), scores)
        return int(np.argmax(scores))


class BatchedDecoder:
    def __init__(self, llm: llama_cpp.Llama, context_window: int, max_batch: int):
        # The unbatched context's own settings (flash attention, ubatch size, threads…), so the arithmetic
        # per sequence is the same and greedy outputs match; only the slots and cache size differ.
        base = llm.context_params
        params = llama_cpp.llama_context_params()
        ctypes.pointer(params)[0] = base
        params.n_ctx = context_window * max_batch
        params.n_seq_max = max_batch
        params.n_batch = params.n_ubatch = max(base.n_batch, max_batch)
        params.kv_unified = False  # each sequence its own slice of the cache: context_window tokens each
        self._chunk = base.n_batch  # prompts are prefilled in the same chunks as unbatched decoding
        model = llm.model
        n_vocab = llm.n_vocab()
        self._ctx = llama_cpp.llama_init_from_model(model, params)
        if not self._ctx:
            raise RuntimeError(f"llama.cpp could not create a {max_batch}-sequence context")
        self._batch = llama_cpp.llama_batch_init(params.n_batch, 0, 1)
        self.n_vocab = n_vocab
        self.max_batch = max_batch
        self.context_window = context_window

    @property
    def ctx(self) -> Any:
        """The llama context (adapters are set on it: llama_cpp/adapters.py)."""
        return self._ctx

    def close(self) -> None:
        if self._ctx:
            llama_cpp.llama_batch_free(self._batch)
            llama_cpp.llama_free(self._ctx)
            self._ctx = None

    def __del__(self) -> None:
        self.close()

    def _decode(self, entries: list[tuple[int, int, int, bool]]) -> None:
        """One forward pass over (token, position, sequence, wants_logits) entries."""
        batch = self._batch
        batch.n_tokens = len(entries)
        for i, (token, pos, seq, logits) in enumerate(entries):
            batch.token[i], batch.pos[i], batch.n_seq_id[i], batch.logits[i] = token, pos, 1, logits
            batch.seq_id[i][0] = seq
        if llama_cpp.llama_decode(self._ctx, batch) != 0:
            raise RuntimeError("llama_decode failed (context full?)")

    def _logits(self, index: int) -> np.ndarray:
        pointer = llama_cpp.llama_get_logits_ith(self._ctx, index)
        return np.ctypeslib.as_array(pointer, shape=(self.n_vocab,)).copy()

    def _prefill(self, sequences: list[Sequence]) -> dict[int, np.ndarray]:
        """Each prompt in its own slot, the last token's logits per slot. The prompts' common prefix (the
        system turn, shared instructions) is computed once and its cache copied to every slot."""
        shared = _common_prefix([seq.prompt for seq in sequences]) if len(sequences) > 1 else 0
        shared = shared if shared >= MIN_SHARED_PREFIX else 0
        if shared:
            self.feed(sequences[0].prompt[:shared], 0, 0, want_last=False)
            memory = llama_cpp.llama_get_memory(self._ctx)
            for slot in range(1, len(sequences)):
                llama_cpp.llama_memory_seq_cp(memory, 0, slot, -1, -1)
        return {slot: self.feed(seq.prompt[shared:], shared, slot) for slot, seq in enumerate(sequences)}

    def feed(self, tokens: list[int], offset: int, slot: int, *, want_last: bool = True) -> np.ndarray | None:
        """Tokens at positions offset… of a slot, in chunks of the unbatched context's batch size."""
        last = len(tokens) - 1
        for start in range(0, len(tokens), self._chunk):
            chunk = tokens[start : start + self._chunk]
            self._decode([(t, offset + start + p, slot, want_last and start + p == last) for p, t in enumerate(chunk)])
        return self._logits(last % self._chunk) if want_last else None

    def generate(
        self,
        sequences: list[Sequence],
        is_end: Callable[[int], bool],
        is_complete: Callable[[Sequence], bool],
        drafter: Drafter | None = None,
    ) -> list[Completion]:
        if not 0 < len(sequences) <= self.max_batch:
            raise ValueError(f"a batch holds 1..{self.max_batch} sequences, got {len(sequences)}")
        memory = llama_cpp.llama_get_memory(self._ctx)
        llama_cpp.llama_memory_clear(memory, True)
        started = time.perf_counter()
        rows = {slot: [scores] for slot, scores in self._prefill(sequences).items()}
        drafts: dict[int, list[int]] = {}
        while rows:
            step: list[tuple[int, int, int, bool]] = []
            for slot, logits in rows.items():
                seq = sequences[slot]
                draft = drafts.get(slot, [])
                accepted = self._walk(seq, logits, draft, is_end, is_complete, started)
                seq.drafted, seq.accepted = seq.drafted + len(draft), seq.accepted + accepted
                seq.draft_length.update(len(draft), accepted)
                if seq.finish is not None:
                    continue
                position = len(seq.prompt) + len(seq.out) - 1  # of the last pick, not yet in the cache
                if accepted < len(draft):  # rejected draft positions, from the last pick's on
                    llama_cpp.llama_memory_seq_rm(memory, slot, position, -1)
                room = min(seq.max_new_tokens - len(seq.out), self.context_window - position - 1)
                k = min(seq.draft_length.k, room)
                drafts[slot] = self._draft(drafter, slot, seq, k) if drafter else []
                fed = [seq.out[-1], *drafts[slot]]
                step += [(token, position + i, slot, True) for i, token in enumerate(fed)]
            if not step:
                break
            self._decode(step)
            rows = {}
            for index, (_, _, slot, _) in enumerate(step):
                rows.setdefault(slot, []).append(self._logits(index))
        return [
            Completion(
                text="",  # filled in by the engine, which owns detokenisation
                input_tokens=len(seq.prompt),
                output_tokens=len(seq.out),
                ttft_ms=seq.ttft_ms,
                duration_ms=seq.duration_ms,
                finish_reason=seq.finish or "length",
                closed_early=seq.mask is not None and seq.mask.closed_early,
                logprobs=tuple(seq.mask.logprobs) if seq.mask is not None else (),
                drafted_tokens=seq.drafted,
                accepted_tokens=seq.accepted,
                drafter_tokens=seq.drafter_tokens,
            )
            for seq in sequences
        ]

    @staticmethod
    def _draft(drafter: Drafter, slot: int, seq: Sequence, k: int) -> list[int]:
        before = drafter.computed
        draft = drafter(slot, seq.prompt + seq.out, seq.mask, k)
        seq.drafter_tokens += drafter.computed - before
        return draft

    @staticmethod
    def _walk(
        seq: Sequence,
        logits: list[np.ndarray],
        draft: list[int],
        is_end: Callable[[int], bool],
        is_complete: Callable[[Sequence], bool],
        started: float,
    ) -> int:
        """Pick position by position from one pass's rows; returns how many drafted tokens were accepted.
        Row i follows the i-th drafted token, so it is valid only while every pick so far matched."""
        for index, scores in enumerate(logits):
            token = seq.pick(scores)
            now = (time.perf_counter() - started) * 1000
            seq.ttft_ms = seq.ttft_ms if seq.ttft_ms is not None else now
            if is_end(token):
                seq.finish = "stop"
            else:
                seq.out.append(token)
                if seq.mask is not None and (seq.mask.done or is_complete(seq)):  # constrained only
                    seq.finish = "stop"
                elif len(seq.out) >= seq.max_new_tokens:
                    seq.finish = "length"
            if seq.finish is not None:
                seq.duration_ms = now
                return index
            if index >= len(draft) or token != draft[index]:
                return index
        return len(draft)
