"""Drafts for speculative decoding. Two drafters share one interface (`Drafter`): this module's
`LookupDrafter`, from the grammar and the prompt (no second model), and a smaller model of the same
vocabulary (engines/llama_cpp/model_drafter.py). The lookup drafter proposes
- the tokens the schema forces next (llguidance's fast-forward tokens: keys of a closed object, its
  punctuation), which the mask leaves no alternative to;
- then prompt lookup: the tokens that followed the latest earlier occurrence of the sequence's last n-gram
  (in the prompt or the output so far). Structured extraction copies spans of its source, so the model's
  next tokens are often already in its prompt;
cut where the grammar would refuse them. The target model verifies every drafted token, so a wrong one
costs a little compute and never changes the output.

Draft length adapts per sequence: it grows while whole drafts are accepted and shrinks when they are not
(an acceptance rate the draft does not earn is not paid for)."""

from dataclasses import dataclass
from typing import Protocol

from services.inference.decoding.llguidance_mask import MaskProcessor

NGRAM_MAX = 4
NGRAM_MIN = 1
MIN_DRAFT, MAX_DRAFT = 1, 12


def propose(tokens: list[int], k: int, ngram_max: int = NGRAM_MAX, ngram_min: int = NGRAM_MIN) -> list[int]:
    """Up to k tokens following the latest earlier occurrence of the longest matching suffix n-gram."""
    if k <= 0:
        return []
    size = len(tokens)
    for n in range(min(ngram_max, size - 1), ngram_min - 1, -1):
        suffix = tokens[size - n :]
        for start in range(size - n - 1, -1, -1):  # the latest match: the most local context
            if tokens[start : start + n] == suffix:
                follow = tokens[start + n : start + n + k]
                if follow:
                    return follow
    return []


@dataclass
class DraftLength:
    """Per sequence: grows by 2 after a fully accepted draft, halves after one accepted less than half."""

    k: int = 4

    def update(self, drafted: int, accepted: int) -> None:
        if drafted == 0:
            return
        if accepted == drafted:
            self.k = min(MAX_DRAFT, self.k + 2)
        elif accepted * 2 < drafted:
            self.k = max(MIN_DRAFT, self.k // 2)


def grammar_draft(tokens: list[int], mask: MaskProcessor | None, k: int) -> list[int]:
    """Forced tokens, then prompt lookup, as far as the grammar accepts them (up to k in all)."""
    if mask is None:
        return propose(tokens, k)
    if k <= 0 or mask.done:
        return []
    mask.sync(tokens)
    forced = list(mask.matcher.compute_ff_tokens())[:k]
    lookup = propose(tokens + forced, k - len(forced))
    if not lookup:
        return forced
    drafted = forced + lookup
    return drafted[: mask.matcher.validate_tokens(drafted)]


class Drafter(Protocol):
    """Proposes up to k tokens to follow `tokens` (prompt and output so far) for the sequence in `slot` of a
    batch, within the grammar of its mask. `computed`: tokens a draft model has run so far (charged)."""

    computed: int

    def __call__(self, slot: int, tokens: list[int], mask: MaskProcessor | None, k: int) -> list[int]: ...


class LookupDrafter:
    """Forced tokens and prompt lookup (`grammar_draft`): no model, nothing computed."""

    computed = 0

    def __call__(self, slot: int, tokens: list[int], mask: MaskProcessor | None, k: int) -> list[int]:
        return grammar_draft(tokens, mask, k)
