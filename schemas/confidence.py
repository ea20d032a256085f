"""The drafting model's confidence in a draft, and a candidate output awaiting a second opinion."""

from typing import Any

from pydantic import BaseModel, Field


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


class SecondOpinion(BaseModel):
    """An output that passed every check while its model was only fairly sure of it: the same tier drafts
    the request again under a reordered schema, and the critic accepts this output only if both agree."""

    output: Any = Field(description="The candidate output, after the repairs that need no model.")
    rounds: int = Field(default=0, description="Refinement rounds the candidate took.")
    confidence: Confidence | None = None
