"""`Critique`: critic → `refinery.revise` (a draft plus its failing verdicts)."""

from typing import Literal

from pydantic import BaseModel, Field

from schemas.draft import Draft

VerdictKind = Literal["schema", "format", "consistency", "grounding", "semantic", "budget", "parse"]


class Verdict(BaseModel):
    pointer: str = Field(description="JSON pointer (RFC 6901) of the failing segment; '' is the whole output.")
    kind: VerdictKind
    severity: Literal["error", "warning"] = "error"
    message: str = Field(description="Feedback the refiner can act on.")
    code: str | None = Field(default=None, description="The failing JSON Schema keyword, 'rule' or 'grounding'.")
    expected: str | None = Field(
        default=None,
        description="What the check reads the request as asking for instead, where it knows: the offered call "
        "a menu check prefers (the cascade drafts that call next).",
    )


class Critique(Draft):
    verdicts: list[Verdict]
