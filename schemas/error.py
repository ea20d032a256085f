"""`ErrorRecord`: every rejected or failed message, on `refinery.errors`."""

from pydantic import BaseModel, Field

PAYLOAD_PREVIEW_CHARS = 2048


class ErrorRecord(BaseModel):
    request_id: str | None = Field(description="Null when the payload was too broken to carry an id.")
    stage: str
    reason: str
    payload: str = Field(default="", description=f"The offending payload, cut to {PAYLOAD_PREVIEW_CHARS} chars.")
    at_ms: int

    @staticmethod
    def preview(raw: bytes | str) -> str:
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        return text[:PAYLOAD_PREVIEW_CHARS]
