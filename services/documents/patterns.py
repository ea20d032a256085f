"""Schema regexes on RE2, a linear-time engine: a request's `pattern` can never stall a stage.

Python's `re` backtracks: `^(\\w+\\s?)*ZZ$` against a paragraph runs for minutes. RE2 has no backtracking
(so no lookaround or backreferences, which llguidance's decoder cannot follow either) and refuses
repetition counts over 1000. A pattern is also refused when its compiled program is large enough to make
the decoder's token mask slow to build (`x{1000}` compiles to ~1000 instructions)."""

from functools import lru_cache

import re2

MAX_PROGRAM_SIZE = 4000
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is the request's problem, reported to it, not to stderr


class PatternRefused(ValueError):
    pass


@lru_cache(maxsize=4096)
def compiled(pattern: str) -> "re2._Regexp":
    try:
        regex = re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternRefused(f"pattern {pattern[:80]!r} is not supported (linear-time regex only): {reason}") from None
    if regex.programsize > MAX_PROGRAM_SIZE:
        raise PatternRefused(
            f"pattern {pattern[:80]!r} is too complex ({regex.programsize} instructions, at most {MAX_PROGRAM_SIZE})"
        )
    return regex


def search(pattern: str, text: str) -> bool:
    """`re.search` semantics (JSON Schema patterns are unanchored) in linear time."""
    return compiled(pattern).search(text) is not None
