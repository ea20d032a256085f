"""`ClassifiedRequest`: classifier → `refinery.generate.<tier>`."""

from pydantic import BaseModel, Field

from schemas.ledger import Ledger
from schemas.request import GenerationRequest


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


class ClassifiedRequest(Envelope):
    classification: Classification
