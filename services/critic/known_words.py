"""Whether a word, or a form of it, is among the words of a text: in time that does not grow with the text.

A word counts as known when the text has it, one it abbreviates or that abbreviates it ("EUR" for "euro",
"mile" for "miles"), or one of the same stem ("Lisboa" for "Lisbon": the first four letters shared, and
two thirds of the shorter word). Comparing a word with every word of a 512 KiB request made the critic's
request checks quadratic; here each lookup is a few set probes and binary searches."""

from bisect import bisect_left
from collections.abc import Iterable
from math import ceil

MIN_STEM = 4  # letters a stem shares at least
MIN_FORM = 3  # shorter words are only known as themselves
# A word of MIN_FORM letters abbreviates only a word this much longer: "jan" for "january", not "doe" for
# "does" (a made-up "John Doe" was supported by "does" in an instruction line).
SHORT_FORM_GAP = 2


def _stem_length(size: int) -> int:
    """Letters a word of `size` letters shares with another, at least, to be of its stem."""
    return max(MIN_STEM, ceil(2 * size / 3))


class KnownWords:
    def __init__(self, words: Iterable[str]) -> None:
        self.words = set(words)
        self._sorted = sorted(w for w in self.words if len(w) >= MIN_FORM)
        self._long = [w for w in self._sorted if len(w) >= MIN_FORM + SHORT_FORM_GAP]  # what short words abbreviate
        # (length, stem prefix) of every word: finds the shorter words whose stem a longer word starts with
        self._stems = {(len(w), w[: _stem_length(len(w))]) for w in self._sorted if len(w) >= MIN_STEM}

    def _any_starting(self, prefix: str, among: list[str] | None = None) -> bool:
        words = self._sorted if among is None else among
        at = bisect_left(words, prefix)
        return at < len(words) and words[at].startswith(prefix)

    def knows(self, word: str) -> bool:
        if word in self.words:
            return True
        if len(word) < MIN_FORM:
            return False
        shortest = MIN_FORM if len(word) >= MIN_FORM + SHORT_FORM_GAP else MIN_FORM + 1
        if any(word[:k] in self.words for k in range(shortest, len(word))):  # a known word abbreviates it
            return True
        if self._any_starting(word, self._long if len(word) == MIN_FORM else None):  # it abbreviates one
            return True
        if len(word) < MIN_STEM:
            return False
        if self._any_starting(word[: _stem_length(len(word))]):  # a word at least as long, of its stem
            return True
        return any(  # a shorter word of its stem: shares two thirds of that word
            (size, word[: _stem_length(size)]) in self._stems for size in range(MIN_STEM, len(word))
        )


def related(a: str, b: str) -> bool:
    """The rule `KnownWords` indexes, word against word (the reference its tests compare with)."""
    if a == b:
        return True
    if len(a) < MIN_FORM or len(b) < MIN_FORM:
        return False
    if a.startswith(b) or b.startswith(a):
        short, long = sorted((a, b), key=len)
        return len(short) > MIN_FORM or len(long) >= len(short) + SHORT_FORM_GAP
    shared = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return shared >= MIN_STEM and shared >= 2 * min(len(a), len(b)) / 3
