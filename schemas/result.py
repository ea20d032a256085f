"""`Result`: the final outcome of a request, on `refinery.results`."""

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field

from schemas.confidence import Confidence
from schemas.critique import Verdict
from schemas.ledger import Ledger


class ResultStatus(str, Enum):
    accepted = "accepted"
    rejected = "rejected"
    budget_exhausted = "budget_exhausted"
    error = "error"


class Result(BaseModel):
    id: str
    status: ResultStatus
    output: Any = None
    tier: str | None = None
    rounds: int = 0
    escalations: int = Field(default=0, description="Tiers climbed after failed drafts; `tier` produced the output.")
    ledger: Ledger = Field(default_factory=Ledger)
    verdicts: list[Verdict] = Field(default_factory=list, description="Failing verdicts, for rejected results.")
    error: str | None = Field(default=None, description="Reason, set only when status is error.")
    confidence: Confidence | None = Field(
        default=None,
        description="The producing tier's confidence in its own draft (the verifier's signal): how sure an answer was.",
    )
    trace_id: str | None = None
    latency_ms: float | None = Field(default=None, description="From the classifier's receipt to this Result.")
    metadata: dict[str, Any] = Field(default_factory=dict)
    schema_fingerprint: str | None = Field(
        default=None,
        description="The request schema's family (its shape, not its wording): drift is watched per family.",
    )
