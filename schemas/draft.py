"""`Draft`: generator or refiner → `refinery.drafts`."""

from typing import Any

from pydantic import Field

from schemas.classified import Envelope
from schemas.confidence import Confidence


class Draft(Envelope):
    round: int = Field(default=0, description="0 for the generator's draft, n after the n-th refinement.")
    output: Any = Field(default=None, description="The parsed JSON output; null when the text did not parse.")
    text: str = Field(default="", description="The raw model text (kept for unparseable drafts).")
    parsed: bool = True
    truncated: bool = Field(default=False, description="Generation stopped at its token limit.")
    confidence: Confidence | None = Field(
        default=None, description="The drafting model's confidence in its whole-output draft (None: not measured)."
    )
