"""Classifier service: `refinery.requests` → validate → route → `refinery.generate.<tier>`."""

import hashlib
import logging

from opentelemetry import trace

from schemas import ClassifiedRequest, Ledger, LedgerEntry
from services.classifier.intake import RequestRejected, parse_request
from services.classifier.router import route
from services.common.bus import now_ms
from services.common.observe import instruments
from services.common.service import create_service
from services.common.tiers import load_tiers

log = logging.getLogger("refinery.classifier")
service = create_service("classifier")
settings = service.settings
tier_names = list(load_tiers(settings.tiers_file))
app = service.app


@service.subscriber(settings.topic_requests)
async def on_request(body: bytes) -> None:
    received = now_ms()
    instruments().requests.add(1)
    try:
        request = parse_request(body, settings.max_request_bytes)
        fingerprint = hashlib.sha256(body).hexdigest()
        first_seen = service.seen.check(f"{request.id}:classifier", fingerprint)
        if first_seen is not None:
            if first_seen != fingerprint:
                await service.bus.fail(
                    "duplicate request id with a different payload; the first request stands",
                    request_id=request.id,
                    payload=body,
                    emit_result=False,
                )
            log.info("request %s redelivered; already routed", request.id)
            return
        tier, classification = route(request, tier_names)
    except RequestRejected as rejected:
        await service.bus.fail(
            rejected.reason,
            request_id=rejected.request_id,
            payload=body,
            metadata=rejected.metadata,
            received_at_ms=received,
        )
        return
    span = trace.get_current_span()
    span.set_attribute("refinery.request_id", request.id)
    span.set_attribute("refinery.tier", tier)
    span.set_attribute("refinery.complexity", classification.complexity)
    entry = LedgerEntry(stage="classifier", model="rule-v1", duration_ms=float(now_ms() - received))
    message = ClassifiedRequest(
        request=request, tier=tier, ledger=Ledger().add(entry), received_at_ms=received, classification=classification
    )
    await service.bus.send(settings.generate_topic(tier), message, request.id)
