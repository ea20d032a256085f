"""Which offered call the request means, read by a second model: MiniLM sentence embeddings of the ask
against each offered function's name and description.

`menu_choice` doubts a call only when the ask names another function word for word. Most wrong calls are
subtler: a similar function of another service ("Ratings and reviews for an interviewer" answered with
`get_interviewer_list`, not `interviewer_review.get`), the lookup for the booking. The judge embeds the
ask (the prompt's first line) and each function as "<name words>: <description>", and doubts a draft when
another function is closer to the ask than the called one by more than `margin` cosine.

Measured (bench/results/menu_judge.json) on the 420 BFCL live_multiple tasks the margin was chosen on:
the expected function is the closest in 89.8 % and another beats it by > 0.2 in none (0.15: 2 of 420);
on the 80 kept fresh for e2e runs, 2 (2.5 %). Of the 272 distinct calls drafted in calibration and the e2e
runs, 0.2 flags 45 of 100 wrong-function calls (4 of the 12 every other check passes) and 0 of 172
right-function ones; its favourite is the expected call in 43 of the 45 (the cascade redrafts toward
it: critic/decide.py). The judge reads descriptions from the schema's branches or from
the prompt's menu lines ("- name: description"); without one for every function it does not judge."""

from dataclasses import dataclass
from typing import Any

from schemas import GenerationRequest, Verdict
from services.critic.request_choices import Choice, contradicted_verdict
from services.documents.function_menu import ask_and_rest, offered_functions
from services.documents.menus import made_call
from services.documents.segments import join
from services.inference.encoder import SentenceEncoder
from services.inference.menu_shortlist import function_scores


@dataclass(frozen=True)
class MenuJudge:
    encoder: SentenceEncoder
    margin: float = 0.2  # cosine by which another function must beat the called one

    def scores(self, ask: str, functions: dict[str, str]) -> dict[str, float]:
        """Cosine of the ask to each function."""
        return function_scores(self.encoder, ask, functions)

    def judges(self, request: GenerationRequest) -> bool:
        """Whether it reads this request: a menu with every function described, and no context (with one
        the grounding checks judge) nor a creative ask."""
        return request.answered_by_request and offered_functions(request.json_schema, request.prompt) is not None

    def doubted_call(self, output: Any, schema: dict[str, Any], prompt: str) -> list[Choice]:
        """The call the draft makes, when another offered function fits the ask better by > margin."""
        functions, called = offered_functions(schema, prompt), made_call(schema, output)
        if functions is None or called is None:
            return []
        scores = self.scores(ask_and_rest(prompt)[0], functions)
        best = max((n for n in scores if n != called), key=scores.__getitem__)
        if scores[best] - scores[called] <= self.margin:
            return []
        why = f"the request reads as {best!r} (cosine {scores[best]:.2f} vs {scores[called]:.2f})"
        return [Choice(join("", called), called, why, best)]

    def verdicts(self, output: Any, schema: dict[str, Any], prompt: str) -> list[Verdict]:
        """A `semantic` verdict (code `contradicted`: a tier up) for a call another function fits better."""
        return [contradicted_verdict(c) for c in self.doubted_call(output, schema, prompt)]


def load_menu_judge(margin: float | None, encoder: SentenceEncoder | None = None) -> MenuJudge | None:
    """The judge at `margin` (None: switched off), reading with `encoder` or a MiniLM of its own."""
    return None if margin is None else MenuJudge(encoder or SentenceEncoder(threads=1), margin)
