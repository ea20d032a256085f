"""One raw record → a new valid request, its rejection, a note on a redelivery, or a failure to retry.

Duplicate ids are settled before validity: whichever payload came first under an id stands, valid or
not, and any other payload under that id gets an error record but no second Result. Across restarts the
Result topic (`service.finished`) says which ids are answered already."""

import hashlib
import logging
from dataclasses import dataclass

from schemas import DUPLICATE_ID, GenerationRequest
from services.classifier.intake import RequestRejected, parse_request
from services.classifier.router import Router, check_adapter, check_forced_tier
from services.runtime.service import Service

log = logging.getLogger("refinery.classifier")


@dataclass(frozen=True)
class ScreenFailed:
    """Screening itself broke (a bug, not the request's fault): the record is retried."""

    error: str
    request_id: str | None = None


Screened = GenerationRequest | RequestRejected | str | ScreenFailed


def _validated(body: bytes, service: Service, router: Router) -> GenerationRequest | RequestRejected:
    try:
        request = parse_request(body, service.settings.max_request_bytes)
        check_forced_tier(request, router.tiers)
        check_adapter(request, router.adapters)
    except RequestRejected as rejected:
        return rejected
    return request


def _duplicate(request_id: str, metadata: dict, why: str) -> RequestRejected:
    return RequestRejected(f"{DUPLICATE_ID}: {why}", request_id, metadata, emit_result=False)


def screen(body: bytes, service: Service, router: Router) -> Screened:
    """No side effects but the dedupe memory: nothing is sent yet."""
    try:
        outcome = _validated(body, service, router)
    except Exception as exc:
        log.exception("screening a request failed")
        return ScreenFailed(f"{type(exc).__name__}: {exc}")
    request_id = outcome.id if isinstance(outcome, GenerationRequest) else outcome.request_id
    if request_id is None:
        return outcome
    metadata = outcome.metadata
    if request_id in service.finished:  # answered before, maybe by another process or an earlier run
        return _duplicate(request_id, metadata, "this id already has a Result; it stands")
    fingerprint = hashlib.sha256(body).hexdigest()
    first_seen = service.seen.check(f"{request_id}:classifier", fingerprint)
    if first_seen is not None and first_seen != fingerprint:
        return _duplicate(request_id, metadata, "another payload came first under this id; it stands")
    if first_seen is not None:
        return f"request {request_id} redelivered; already routed"
    return outcome
