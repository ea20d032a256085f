"""What a refinement round spends against the alternative, regenerating the whole output with the same
feedback: the tally bench/refine.py reports."""

from dataclasses import astuple, dataclass

from schemas import Ledger
from services.inference.calls import constrained_call
from services.refiner.rounds import whole_regeneration


def full_regeneration_tokens(critique, engine, tier) -> int:
    """Tokens to regenerate the whole output with the critic's feedback (the alternative to segments)."""
    request = critique.request
    ask = whole_regeneration(critique, tier)  # the refiner's own whole regeneration
    roomy = request.model_copy(update={"budget": request.budget.model_copy(update={"max_tokens": 10**6})})
    call = constrained_call(
        engine=engine,
        tier=tier,
        request=roomy,
        ledger=Ledger(),
        messages=ask.messages,
        json_schema=ask.json_schema,
        stage="refiner",
        round_=critique.round + 1,
    )
    return call.entry.input_tokens + call.entry.output_tokens


@dataclass
class TokenTally:
    """Segment refinement vs whole regeneration, over every refinement round and over the rounds in which
    the refiner called the model (the rest were repaired from the rules or the context alone)."""

    segment: int = 0
    full: int = 0
    model_segment: int = 0
    model_full: int = 0
    rounds: int = 0
    model_rounds: int = 0

    def __add__(self, other: "TokenTally") -> "TokenTally":
        return TokenTally(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    def add(self, segment: int, full: int) -> None:
        self.segment, self.full, self.rounds = self.segment + segment, self.full + full, self.rounds + 1
        if segment:
            self.model_segment, self.model_full = self.model_segment + segment, self.model_full + full
            self.model_rounds += 1

    def report(self) -> dict:
        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 4) if b else None

        return {
            "segment_tokens": self.segment,
            "full_regeneration_tokens": self.full,
            "segment_vs_full_token_ratio": ratio(self.segment, self.full),
            "rounds": self.rounds,
            "rounds_with_model_call": self.model_rounds,
            "segment_vs_full_token_ratio_model_calls": ratio(self.model_segment, self.model_full),
        }
