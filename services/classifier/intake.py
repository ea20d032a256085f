"""Turn raw bytes from `refinery.requests` into a valid GenerationRequest, or a named rejection."""

from typing import Any

import orjson
from pydantic import ValidationError

from schemas import GenerationRequest
from services.classifier.limits import schema_problems, too_deep
from services.classifier.satisfiable import unsatisfiable_reasons


class RequestRejected(Exception):
    def __init__(
        self,
        reason: str,
        request_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        emit_result: bool = True,  # False: another Result for this id stands (duplicate id)
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.request_id = request_id
        self.metadata = metadata or {}
        self.emit_result = emit_result


def _summarise(error: ValidationError) -> str:
    parts = []
    for e in error.errors(include_url=False):
        where = ".".join(str(p) for p in e["loc"]) or "request"
        parts.append(f"{where}: {e['msg']}")
    return "invalid request: " + "; ".join(parts)


def parse_request(raw: bytes, max_bytes: int) -> GenerationRequest:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestRejected(f"malformed JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RequestRejected(f"request must be a JSON object, got {type(data).__name__}")
    request_id = data.get("id") if isinstance(data.get("id"), str) and data.get("id") else None
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    if len(raw) > max_bytes:
        raise RequestRejected(f"payload of {len(raw)} bytes exceeds the {max_bytes}-byte limit", request_id, metadata)
    if problem := too_deep(data):
        raise RequestRejected(problem, request_id, {})  # its metadata may be what is too deep to pass on
    try:
        request = GenerationRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestRejected(_summarise(exc), request_id, metadata) from None
    if problems := schema_problems(request.json_schema):
        raise RequestRejected("schema refused: " + "; ".join(problems), request_id, metadata)
    if problems := unsatisfiable_reasons(request.json_schema):
        raise RequestRejected("unsatisfiable schema: " + "; ".join(problems), request_id, metadata)
    return request
