"""A long menu of calls cut, before it is drafted, to the calls the request can mean: those whose MiniLM
embedding ("<name words>: <description>") is within `margin` cosine of the closest one to the ask.

Most of a function-calling prompt is the menu's parameter schemas (BFCL live_multiple: 4 functions a
menu on average, ~1 000 prompt tokens). The critic's menu judge doubts a call another function beats by
more than 0.2; at the same margin the shortlist cuts 381 of the 500 live_multiple menus (to 42 % of their
tools' text) and leaves the expected function out of 2. Drafted from it, both Qwen tiers' first drafts
were right more often for ~40 % fewer tokens, on tasks never tuned on too (bench/results/menu_shortlist.json).
The critic still judges the draft against the whole menu: the shortlist only narrows what the model reads
and may write."""

from dataclasses import dataclass

from schemas import GenerationRequest
from services.documents.function_menu import ask_and_rest, function_text, offered_functions
from services.inference.encoder import SentenceEncoder


def function_scores(encoder: SentenceEncoder, ask: str, functions: dict[str, str]) -> dict[str, float]:
    """Cosine of the ask to each function (name words and description)."""
    vectors = encoder.encode([ask, *(function_text(n, d) for n, d in functions.items())])
    return dict(zip(functions, (vectors[1:] @ vectors[0]).tolist(), strict=True))


@dataclass(frozen=True)
class MenuShortlist:
    encoder: SentenceEncoder
    margin: float = 0.2

    def calls(self, request: GenerationRequest) -> list[str] | None:
        """The offered calls within `margin` of the ask's closest, in the menu's order; None when the
        request is no menu it reads (a function without a description, a context, a creative ask) or
        every call is kept."""
        if not request.answered_by_request:
            return None
        functions = offered_functions(request.json_schema, request.prompt)
        if functions is None:
            return None
        scores = function_scores(self.encoder, ask_and_rest(request.prompt)[0], functions)
        best = max(scores.values())
        kept = [name for name, score in scores.items() if score >= best - self.margin]
        return kept if len(kept) < len(functions) else None


def load_menu_shortlist(margin: float | None, encoder: SentenceEncoder | None = None) -> MenuShortlist | None:
    """The shortlist at `margin` (None: switched off), reading with `encoder` or a MiniLM of its own."""
    return None if margin is None else MenuShortlist(encoder or SentenceEncoder(threads=1), margin)
