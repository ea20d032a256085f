"""Classifier service: `refinery.requests` → validate → route (ONNX, batched) → `refinery.generate.<tier>`.

Records are consumed in batches (REFINERY_CLASSIFIER_BATCH_MAX / _TIMEOUT_MS); every valid request of a
batch goes through one model call. Each record keeps its own trace (see `hop_tracing.record_span`).
The router model is loaded at start-up: a missing or corrupt file stops the service with a clear error.
"""

import hashlib
import logging

from faststream import FastStream

from schemas import GenerationRequest
from services.classifier.intake import RequestRejected, parse_request
from services.classifier.model import RouterModel
from services.classifier.router import Router, check_forced_tier
from services.inference.tiers import load_tiers
from services.runtime.bus import now_ms
from services.runtime.hop_tracing import record_span
from services.runtime.metrics import instruments
from services.runtime.service import Service, create_service
from services.settings import Settings

log = logging.getLogger("refinery.classifier")


def screen(body: bytes, service: Service, router: Router) -> GenerationRequest | RequestRejected | str:
    """A valid new request, its rejection, or a note on a redelivery (no side effects: nothing sent yet)."""
    try:
        request = parse_request(body, service.settings.max_request_bytes)
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


def create_app(settings: Settings | None = None) -> FastStream:
    service = create_service("classifier", settings)
    settings = service.settings
    loaded: dict[str, Router] = {}

    @service.app.on_startup
    def load_router() -> None:
        tiers = load_tiers(settings.tiers_file)
        model = RouterModel(settings.router_model, list(tiers))
        room = {t.name: t.context_window - t.max_new_tokens for t in tiers.values()}
        loaded["router"] = router = Router(model, settings.router_cost_weight, room)
        log.info("router model %s on %s, cost weight %s", settings.router_model, model.provider, router.cost_weight)

    @service.batch_subscriber(
        settings.topic_requests, settings.classifier_batch_max, settings.classifier_batch_timeout_ms
    )
    async def on_requests(records: list[tuple[bytes, dict[str, str]]]) -> None:
        router = loaded["router"]
        received = now_ms()
        instruments().requests.add(len(records))
        screened = [screen(body, service, router) for body, _ in records]
        valid = [s for s in screened if isinstance(s, GenerationRequest)]
        routed = {m.request.id: m for m in router.classify(valid, received)}
        for (body, headers), outcome in zip(records, screened, strict=True):
            attributes = {"refinery.classifier.batch_size": len(records)}
            with record_span(headers, settings.topic_requests, attributes) as span:
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
                    message = routed[outcome.id]
                    span.set_attribute("refinery.request_id", outcome.id)
                    span.set_attribute("refinery.tier", message.tier)
                    span.set_attribute("refinery.complexity", message.classification.complexity)
                    await service.bus.send(settings.generate_topic(message.tier), message, outcome.id)

    return service.app
