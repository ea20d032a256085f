"""Classifier service: `refinery.requests` → validate → route (ONNX, batched) → `refinery.generate.<tier>`.

Records are consumed in batches (REFINERY_CLASSIFIER_BATCH_MAX / _TIMEOUT_MS); every valid request of a
batch goes through one model call. Each record keeps its own trace (see `hop_tracing.record_span`).
The router model is loaded at start: a missing or corrupt file stops the service with a clear error.
"""

import hashlib
import logging
import time

from schemas import ClassifiedRequest, GenerationRequest, Ledger, LedgerEntry
from services.classifier.intake import RequestRejected, parse_request
from services.classifier.model import RouterModel
from services.classifier.router import Router, check_forced_tier
from services.common.bus import now_ms
from services.common.hop_tracing import record_span
from services.common.observe import instruments
from services.common.service import create_service
from services.common.tiers import load_tiers

log = logging.getLogger("refinery.classifier")
service = create_service("classifier")
settings = service.settings
router = Router(RouterModel(settings.router_model, list(load_tiers(settings.tiers_file))), settings.router_cost_weight)
log.info("router model %s on %s, cost weight %s", settings.router_model, router.model.provider, router.cost_weight)
app = service.app


def screen(body: bytes) -> GenerationRequest | RequestRejected | str:
    """A valid new request, its rejection, or a note on a redelivery (no side effects: nothing sent yet)."""
    try:
        request = parse_request(body, settings.max_request_bytes)
        check_forced_tier(request, router.tiers)
    except RequestRejected as rejected:
        return rejected
    fingerprint = hashlib.sha256(body).hexdigest()
    first_seen = service.seen.check(f"{request.id}:classifier", fingerprint)
    if first_seen is None:
        return request
    if first_seen != fingerprint:
        return RequestRejected(
            "duplicate request id with a different payload; the first request stands",
            request.id,
            request.metadata,
            emit_result=False,
        )
    return f"request {request.id} redelivered; already routed"


@service.batch_subscriber(settings.topic_requests, settings.classifier_batch_max, settings.classifier_batch_timeout_ms)
async def on_requests(records: list[tuple[bytes, dict[str, str]]]) -> None:
    received = now_ms()
    instruments().requests.add(len(records))
    screened = [screen(body) for body, _ in records]
    valid = [s for s in screened if isinstance(s, GenerationRequest)]
    started = time.perf_counter()
    routes = dict(zip((r.id for r in valid), router.route(valid), strict=True))  # one model call
    per_request_ms = round((time.perf_counter() - started) * 1000 / max(len(valid), 1), 3)
    for (body, headers), outcome in zip(records, screened, strict=True):
        with record_span(headers, settings.topic_requests, {"refinery.classifier.batch_size": len(records)}) as span:
            if isinstance(outcome, str):
                log.info(outcome)
            elif isinstance(outcome, RequestRejected):
                await service.bus.fail(
                    outcome.reason,
                    request_id=outcome.request_id,
                    payload=body,
                    metadata=outcome.metadata,
                    received_at_ms=received,
                    emit_result=outcome.emit_result,
                )
            else:
                tier, classification = routes[outcome.id]
                span.set_attribute("refinery.request_id", outcome.id)
                span.set_attribute("refinery.tier", tier)
                span.set_attribute("refinery.complexity", classification.complexity)
                entry = LedgerEntry(stage="classifier", model=router.version, duration_ms=per_request_ms)
                message = ClassifiedRequest(
                    request=outcome,
                    tier=tier,
                    ledger=Ledger().add(entry),
                    received_at_ms=received,
                    classification=classification,
                )
                await service.bus.send(settings.generate_topic(tier), message, outcome.id)
