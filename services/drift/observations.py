"""What drift is measured on: one finished request, reduced to the quantities that should stay stable."""

from dataclasses import dataclass

import numpy as np
import orjson

from schemas import Result, ResultStatus


@dataclass(frozen=True)
class Observation:
    at_ms: int
    tier: str
    schema: str  # the schema's family (Result.schema_fingerprint), "" when the request never parsed
    accepted: bool
    outcome: str  # status, and the first failing verdict's kind when there is one: "rejected:semantic"
    effort: int  # refinement rounds + escalations
    tokens: int
    embedding: np.ndarray | None  # of the output, by the critic's sentence encoder, when one is at hand


def output_text(result: Result) -> str | None:
    """The output as the encoder reads it (None: nothing to embed)."""
    if result.output is None:
        return None
    return orjson.dumps(result.output).decode()[:2000]


def observation(result: Result, at_ms: int, embedding: np.ndarray | None = None) -> Observation:
    outcome = result.status.value + (f":{result.verdicts[0].kind}" if result.verdicts else "")
    return Observation(
        at_ms=at_ms,
        tier=result.tier or "none",
        schema=result.schema_fingerprint or "",
        accepted=result.status == ResultStatus.accepted,
        outcome=outcome,
        effort=result.rounds + result.escalations,
        tokens=result.ledger.tokens,
        embedding=embedding,
    )
