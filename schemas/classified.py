"""`ClassifiedRequest`: classifier → `refinery.generate.<tier>`."""

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from schemas.confidence import Confidence, SecondOpinion
from schemas.fingerprint import schema_fingerprint
from schemas.ledger import Ledger
from schemas.request import GenerationRequest

if TYPE_CHECKING:  # result.py imports critique.py, which imports the Draft built on this module
    from schemas.critique import Verdict
    from schemas.result import Result, ResultStatus


class Classification(BaseModel):
    complexity: float = Field(description="Estimated difficulty in [0, 1]: 1 − P(the smallest tier passes).")
    reason: str = Field(description="Why this tier was chosen.")
    forced: bool = False
    pass_probability: dict[str, float] = Field(
        default_factory=dict, description="The router model's P(pass) per tier (empty when no model ran)."
    )


class Envelope(BaseModel):
    """What every internal message carries: the request, its tier, its ledger and when it arrived."""

    request: GenerationRequest
    tier: str
    ledger: Ledger = Field(default_factory=Ledger)
    received_at_ms: int = Field(description="Epoch ms when the classifier took the request.")
    escalations: int = Field(default=0, description="Times the request moved up a tier after a failed draft.")
    second_opinion_of: SecondOpinion | None = Field(
        default=None,
        description="A candidate output awaiting a second opinion: this message drafts the request again on the "
        "same tier under a reordered schema, and the critic accepts the candidate only if both drafts agree.",
    )

    def result(
        self,
        status: "ResultStatus",
        *,
        output: Any = None,
        rounds: int = 0,
        verdicts: "list[Verdict] | None" = None,
        error: str | None = None,
        confidence: Confidence | None = None,
    ) -> "Result":
        """The request's final Result as this message stands (every stage builds terminal Results here)."""
        from schemas.result import Result

        return Result(
            id=self.request.id,
            status=status,
            output=output,
            tier=self.tier,
            rounds=rounds,
            ledger=self.ledger,
            verdicts=verdicts or [],
            error=error,
            confidence=confidence,
            escalations=self.escalations,
            metadata=self.request.metadata,
            schema_fingerprint=schema_fingerprint(self.request.json_schema),
        )


class ClassifiedRequest(Envelope):
    classification: Classification
    call: str | None = Field(
        default=None,
        description="The offered call to draft: the one the critic read the request as asking for after a draft "
        "made another, or the call a second opinion asks about again. The generator decodes against the schema's "
        "menu narrowed to this call. None: the whole schema (or the generator's shortlist of a long menu).",
    )
