"""The per-request ledger: tokens, cost and latency of every model call, per stage."""

from typing import Literal

from pydantic import BaseModel, Field, computed_field

Stage = Literal["classifier", "generator", "critic", "refiner"]


class LedgerEntry(BaseModel):
    stage: Stage
    round: int = 0
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    ttft_ms: float | None = None
    duration_ms: float = 0.0
    note: str | None = Field(default=None, description="What the call was for, e.g. the JSON pointer refined.")
    drafted_tokens: int = Field(default=0, description="Speculative decoding: tokens proposed for verification.")
    accepted_tokens: int = Field(default=0, description="Of the drafted tokens, those the model confirmed.")
    drafter_tokens: int = Field(
        default=0,
        description="Speculative decoding with a draft model: tokens it ran (in `cost`, at its tier's price; "
        "outside `tokens`, like the verified positions the model rejected).",
    )
    prompt_version: str | None = Field(
        default=None, description="The tier's generation prompt (config/prompts) a whole-output call used."
    )


class Ledger(BaseModel):
    entries: list[LedgerEntry] = Field(default_factory=list)

    def add(self, entry: LedgerEntry) -> "Ledger":
        return Ledger(entries=[*self.entries, entry])

    @computed_field
    @property
    def tokens(self) -> int:
        return sum(e.input_tokens + e.output_tokens for e in self.entries)

    @computed_field
    @property
    def cost(self) -> float:
        return round(sum(e.cost for e in self.entries), 8)

    @computed_field
    @property
    def by_stage(self) -> dict[str, dict[str, float]]:
        totals: dict[str, dict[str, float]] = {}
        for e in self.entries:
            t = totals.setdefault(e.stage, {"input_tokens": 0, "output_tokens": 0, "cost": 0.0, "duration_ms": 0.0})
            t["input_tokens"] += e.input_tokens
            t["output_tokens"] += e.output_tokens
            t["cost"] = round(t["cost"] + e.cost, 8)
            t["duration_ms"] = round(t["duration_ms"] + e.duration_ms, 3)
        return totals
