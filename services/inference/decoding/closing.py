"""Close the JSON within the call's token limit: a constrained output cut at its limit is not JSON at all.

The *way out* of a grammar state is the number of tokens a dry run on the llguidance matcher takes to a
whole value, picking at each step the longest allowed token of the most closing kind (then rolled back).
Near the limit, each step checks the model's own pick: if the way out after it no longer fits in the
tokens left, the dry run's token is taken instead. Since the dry run's path from there is the same path one
token shorter, an output whose way out fit once always closes in time.

Once the way out nears the tokens left, the decoder is also *closing*: the mask is narrowed to the most
closing kind of token it allows, and the model picks among those, so it ends a string by itself rather
than being cut short. Most closing first: inside a string, tokens that start with `"` (`"`, `"}`, `":`);
elsewhere, tokens that start with `}` or `]`, or an end token; then tokens of `"`, `}`, `]` only (`""`);
then any token that starts with `"` (a required key); then tokens that start with `,` (end a number when a
required key or item must still follow); else anything the grammar allows (a key's name, a first digit).
None of them opens anything but a comma's next key or item.

All of this only narrows the grammar's mask, so the output stays valid under the schema: it trades the
value being written (a string cut short, an optional key or item left out) for a whole, parseable answer.
Outputs that end with room to spare are unchanged: nothing is narrowed until the limit is in sight."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from llguidance import LLMatcher, LLTokenizer
from llguidance.numpy import fill_next_token_bitmask

LOOKAHEAD = 64  # picks are checked once this few tokens are left
CLOSE_AT = 2  # closing starts when the way out is within this many tokens of the tokens left
ENDS, PURE_QUOTES, QUOTES, COMMAS = range(4)
IN_STRING, OUTSIDE = (PURE_QUOTES, QUOTES), (ENDS, PURE_QUOTES, QUOTES, COMMAS)


def _kinds(piece: bytes) -> list[int]:
    if any(b in b",{[" for b in piece):
        return [COMMAS] if piece[:1] == b"," else []
    if piece[:1] in (b"}", b"]"):
        return [ENDS]
    if piece[:1] == b'"':
        return [QUOTES, PURE_QUOTES] if all(b in b'"}]:' for b in piece) else [QUOTES]
    return []


@dataclass(frozen=True)
class ClosingRanks:
    """Per vocabulary: each token's bytes and length, and a packed bitmask (llguidance's layout) of each
    closing kind."""

    pieces: tuple[bytes, ...]
    lengths: np.ndarray
    packed: tuple[np.ndarray, ...]  # indexed by kind

    @classmethod
    def for_tokenizer(cls, tokenizer: LLTokenizer, n_vocab: int) -> "ClosingRanks":
        words = (n_vocab + 31) // 32
        member = np.zeros((4, words * 32), dtype=bool)
        pieces = []
        for token in range(n_vocab):
            special = token >= tokenizer.vocab_size or tokenizer.is_special_token(token)
            piece = b"" if special else tokenizer.decode_bytes([token])
            pieces.append(piece)
            member[_kinds(piece), token] = True
        member[ENDS, list(tokenizer.eos_tokens)] = True  # allowed by the grammar only once the value is whole
        lengths = np.zeros(words * 32, dtype=np.int32)
        lengths[:n_vocab] = [len(piece) for piece in pieces]
        packed = tuple(np.packbits(row, bitorder="little").view(np.int32).copy() for row in member)
        return cls(tuple(pieces), lengths, packed)

    def narrow(self, row: np.ndarray, in_string: bool) -> None:
        """Keep, in a mask row, only the allowed tokens of the most closing kind that has any."""
        for kind in IN_STRING if in_string else OUTSIDE:
            kept = row & self.packed[kind]
            if kept.any():
                row[:] = kept
                return

    def longest(self, row: np.ndarray) -> int:
        """The allowed token of most bytes (an end token when nothing else is allowed)."""
        return int(np.argmax(np.where(_allowed(row), self.lengths, -1)))


def _allowed(row: np.ndarray) -> np.ndarray:
    return np.unpackbits(row.view(np.uint8), bitorder="little").astype(bool)


@dataclass
class StringScanner:
    """Whether JSON text read so far ends inside a string."""

    in_string: bool = False
    escaped: bool = False

    def feed(self, piece: bytes) -> None:
        for byte in piece:
            if self.escaped:
                self.escaped = False
            elif byte == 0x5C and self.in_string:  # backslash
                self.escaped = True
            elif byte == 0x22:  # quote
                self.in_string = not self.in_string

    def copy(self) -> "StringScanner":
        return StringScanner(self.in_string, self.escaped)


@dataclass
class Closer:
    """One sequence's closing state: `room` is the number of new tokens it may take in all."""

    ranks: ClosingRanks
    room: int
    closing: bool = False
    overridden: bool = False  # a pick of the model's was replaced by the dry run's
    _scanner: StringScanner = field(default_factory=StringScanner, repr=False)
    _read: int = field(default=0, repr=False)
    _checked: tuple[int, int] | None = field(default=None, repr=False)  # (last pick checked, its way out)
    _scratch: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._scratch = np.zeros((1, len(self.ranks.packed[0])), dtype=np.int32)

    @property
    def closed_early(self) -> bool:
        """Whether this sequence's output was steered to close: narrowed, or a pick replaced."""
        return self.closing or self.overridden

    def way_out(self, matcher: LLMatcher, limit: int, scanner: StringScanner | None = None) -> tuple[int, int]:
        """(tokens, first token) of the dry run from the matcher's state to an accepting one; tokens is
        `limit` + 1 when it takes more, first is -1 when it takes none. The matcher is left as it was."""
        scanner = (scanner or self._scanner).copy()
        consumed, first = 0, -1
        while not matcher.is_accepting() and consumed <= limit:
            fill_next_token_bitmask(matcher, self._scratch, 0)
            row = self._scratch[0]
            self.ranks.narrow(row, scanner.in_string)
            token = self.ranks.longest(row) if row.any() else None
            if token is None or matcher.try_consume_tokens([token]) != 1:
                break
            scanner.feed(self.ranks.pieces[token])
            first = token if consumed == 0 else first
            consumed += 1
        accepted = matcher.is_accepting()
        if consumed:
            matcher.rollback(consumed)
        return (consumed if accepted else limit + 1), first

    def narrow(
        self, matcher: LLMatcher, row: np.ndarray, generated: Sequence[int], scores: Callable[[], np.ndarray]
    ) -> None:
        """Called with the grammar's mask row for the next token after the `generated` new tokens, and the
        model's scores for it (fetched only near the limit)."""
        fed = list(generated[self._read :])
        for token in fed:
            self._scanner.feed(self.ranks.pieces[token])
        self._read = len(generated)
        left = self.room - len(generated)  # tokens that may still be taken, this one included
        if left > LOOKAHEAD:
            return
        checked, self._checked = self._checked, None
        if checked is not None and fed == [checked[0]]:
            way_out, dry_token = checked[1], None  # measured when that pick was checked
        else:
            way_out, dry_token = self.way_out(matcher, left)
        self.closing = self.closing or way_out + CLOSE_AT >= left
        if self.closing:
            self.ranks.narrow(row, self._scanner.in_string)
        scores_row = scores()
        pick = int(np.argmax(np.where(_allowed(row)[: len(scores_row)], scores_row, -np.inf)))
        if matcher.try_consume_tokens([pick]) == 1:  # unlike consume_token, no error state on refusal
            after = self._scanner.copy()
            after.feed(self.ranks.pieces[pick])
            pick_way_out, _ = self.way_out(matcher, left - 1, after)
            matcher.rollback(1)
            if 1 + pick_way_out <= left:
                self._checked = (pick, pick_way_out)
                return
        if dry_token is None:
            way_out, dry_token = self.way_out(matcher, left)
        if dry_token >= 0 and way_out <= left:  # the model's pick would not close in time; the dry run's does
            self.overridden = True
            row[:] = 0
            row.view(np.uint32)[dry_token // 32] = np.uint32(1 << (dry_token % 32))
