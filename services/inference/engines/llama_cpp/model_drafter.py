"""A smaller model of the same vocabulary as the drafter (Qwen2.5-Coder 0.5B for 1.5B).

The draft model greedily continues each sequence under a copy of its llguidance matcher, so a draft
never leaves the grammar, and the target model verifies it (batched.py): what the target rejects costs
compute, never a different output. Each slot of the draft model's own multi-sequence context keeps the
tokens it has cached; a call feeds only what changed since (the tokens the target accepted or picked),
after dropping the draft positions the target rejected, so a sequence's prompt is read once per call.
Every token the draft model runs is counted (`computed`) and charged to the call at the draft tier's
price (calls.py)."""

import llama_cpp
import numpy as np
from llama_cpp import Llama
from llguidance.numpy import allocate_token_bitmask, apply_token_bitmask_inplace, fill_next_token_bitmask

from services.inference.decoding.llguidance_mask import MaskProcessor
from services.inference.engines.llama_cpp.batched import BatchedDecoder


def _shared(cached: list[int], tokens: list[int]) -> int:
    """Leading tokens the slot's cache already holds, short of the last (its logits are wanted again)."""
    limit = min(len(cached), len(tokens) - 1)
    return next((i for i in range(limit) if cached[i] != tokens[i]), limit)


class ModelDrafter:
    def __init__(self, draft: Llama, target_vocab: int, context_window: int, slots: int) -> None:
        if draft.n_vocab() != target_vocab:
            raise ValueError(
                f"the draft model's vocabulary ({draft.n_vocab()} tokens) is not the target's ({target_vocab}): "
                "a drafter must share its tokenizer"
            )
        self._llm = draft  # kept alive: the context below uses its model
        self._decoder = BatchedDecoder(draft, context_window, slots)
        self._memory = llama_cpp.llama_get_memory(self._decoder.ctx)
        self._vocab = llama_cpp.llama_model_get_vocab(draft.model)
        self._bitmask = allocate_token_bitmask(1, target_vocab)
        self._cached: dict[int, list[int]] = {}
        self.computed = 0

    def close(self) -> None:
        self._decoder.close()

    def __call__(self, slot: int, tokens: list[int], mask: MaskProcessor | None, k: int) -> list[int]:
        if k <= 0 or (mask is not None and mask.done):
            return []
        matcher = None
        if mask is not None:
            mask.sync(tokens)
            matcher = mask.matcher.deep_copy()  # drafting must not move the sequence's own grammar state
        scores = self._sync(slot, tokens)
        cached = self._cached[slot]
        draft: list[int] = []
        while True:
            if matcher is not None:
                fill_next_token_bitmask(matcher, self._bitmask, 0)
                apply_token_bitmask_inplace(scores.reshape(1, -1), self._bitmask)
            token = int(np.argmax(scores))
            if llama_cpp.llama_vocab_is_eog(self._vocab, token) or (
                matcher is not None and not matcher.consume_token(token)
            ):
                return draft  # the target decides how to end
            draft.append(token)
            if len(draft) >= k or (matcher is not None and matcher.is_stopped()):
                return draft
            scores = self._run([token], len(cached), slot)
            cached.append(token)
            self.computed += 1

    def _sync(self, slot: int, tokens: list[int]) -> np.ndarray:
        """The slot's cache made equal to `tokens`; the logits after the last one."""
        cached = self._cached.get(slot, [])
        keep = _shared(cached, tokens)
        llama_cpp.llama_memory_seq_rm(self._memory, slot, keep, -1)
        scores = self._run(tokens[keep:], keep, slot)
        self.computed += len(tokens) - keep
        self._cached[slot] = list(tokens)
        return scores

    def _run(self, tokens: list[int], offset: int, slot: int) -> np.ndarray:
        scores = self._decoder.feed(tokens, offset, slot)
        assert scores is not None  # feed returns the last token's logits unless told not to
        return scores
