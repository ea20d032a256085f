"""`ErrorRecord`: every rejected or failed message, on `refinery.errors`.

The payload is redacted by default: its size and sha256 identify it (the producer holds the text), and
the prompt and context a request carries stay off the operators' topic, as they stay out of logs and
spans. `REFINERY_ERROR_PAYLOADS=preview` adds the first 2 KiB of the text, like span content capture."""

import hashlib

from pydantic import BaseModel, Field

PAYLOAD_PREVIEW_CHARS = 2048


class ErrorRecord(BaseModel):
    request_id: str | None = Field(description="Null when the payload was too broken to carry an id.")
    stage: str
    reason: str
    payload_bytes: int = Field(default=0, description="Size of the offending payload.")
    payload_sha256: str = Field(default="", description="sha256 of the offending payload, hex.")
    payload: str = Field(
        default="", description=f"The payload's first {PAYLOAD_PREVIEW_CHARS} chars; empty unless enabled."
    )
    attempts: int = Field(default=1, description="Deliveries tried before this record (retries + 1).")
    at_ms: int

    @classmethod
    def about(cls, raw: bytes | str, *, with_text: bool, **fields: object) -> "ErrorRecord":
        data = raw.encode("utf-8", errors="replace") if isinstance(raw, str) else raw
        text = data.decode("utf-8", errors="replace")[:PAYLOAD_PREVIEW_CHARS] if with_text else ""
        return cls(payload_bytes=len(data), payload_sha256=hashlib.sha256(data).hexdigest(), payload=text, **fields)


# Reasons a producer may act on; the client matches them to tell its own run's answers from others.
DUPLICATE_ID = "duplicate request id"
