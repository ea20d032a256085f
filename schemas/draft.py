"""`Draft`: generator or refiner → `refinery.drafts`."""

from typing import Any

from pydantic import BaseModel, Field

from schemas.classified import Envelope


class Confidence(BaseModel):
    """The drafting model's own confidence in its greedy picks, from the log-probabilities decoding computed
    anyway (zero extra tokens). Picks the schema forced (one allowed token) have log P 0."""

    min_logprob: float = Field(description="The least confident pick's log-probability.")
    mean_logprob: float = Field(description="Mean log-probability over the picks where the schema left a choice.")
    choices: int = Field(description="Picks where the schema left a choice (log P below 0).")
    least_pointer: str | None = Field(
        default=None, description="The JSON pointer of the value the least confident pick was in."
    )

    @classmethod
    def of(cls, logprobs: "list[float] | tuple[float, ...]") -> "Confidence | None":
        if not logprobs:
            return None
        chosen = [p for p in logprobs if p < -1e-9]
        mean = sum(chosen) / len(chosen) if chosen else 0.0
        return cls(min_logprob=round(min(logprobs), 4), mean_logprob=round(mean, 4), choices=len(chosen))


class Draft(Envelope):
    round: int = Field(default=0, description="0 for the generator's draft, n after the n-th refinement.")
    output: Any = Field(default=None, description="The parsed JSON output; null when the text did not parse.")
    text: str = Field(default="", description="The raw model text (kept for unparseable drafts).")
    parsed: bool = True
    truncated: bool = Field(default=False, description="Generation stopped at its token limit.")
    confidence: Confidence | None = Field(
        default=None, description="The drafting model's confidence in its whole-output draft (None: not measured)."
    )
