"""Classifier service: `refinery.requests` → validate → route (ONNX, batched) → `refinery.generate.<tier>`.

Records are consumed in batches (REFINERY_CLASSIFIER_BATCH_MAX / _TIMEOUT_MS); every valid request of a
batch goes through one model call. Each record keeps its own trace (see `hop_tracing.record_span`) and
gets its own answer: a failure in one record (or in the batch's model call) is retried for the records
it hit, never dropping their neighbours. The router model is loaded at start-up: a missing or corrupt
file stops the service with a clear error.
"""

import logging

from faststream import FastStream
from opentelemetry import trace

from schemas import ClassifiedRequest, GenerationRequest
from services.classifier.intake import RequestRejected
from services.classifier.model import RouterModel
from services.classifier.router import Router
from services.classifier.screening import Screened, ScreenFailed, screen
from services.inference.tiers import adapters_by_tier, load_tiers
from services.runtime.bus import now_ms
from services.runtime.hop_tracing import record_span
from services.runtime.inbound import Inbound
from services.runtime.metrics import instruments
from services.runtime.retry import OnDead
from services.runtime.service import Service, create_service
from services.settings import Settings

log = logging.getLogger("refinery.classifier")


async def answer(
    service: Service, record: Inbound, outcome: Screened, routed: dict[str, ClassifiedRequest], received: int
) -> None:
    settings, bus = service.settings, service.bus
    if isinstance(outcome, str):
        log.info(outcome)
    elif isinstance(outcome, RequestRejected):
        await bus.fail(
            outcome.reason,
            request_id=outcome.request_id,
            payload=record.body,
            metadata=outcome.metadata,
            received_at_ms=received,
            emit_result=outcome.emit_result,
        )
    else:
        message = routed[outcome.id]
        span = trace.get_current_span()  # the record's own span (record_span)
        span.set_attribute("refinery.request_id", outcome.id)
        span.set_attribute("refinery.tier", message.tier)
        span.set_attribute("refinery.complexity", message.classification.complexity)
        await bus.send(settings.generate_topic(message.tier), message, outcome.id)


def answer_dead(service: Service, record: Inbound, request_id: str | None) -> OnDead:
    """How a dead-lettered request record is answered: an error record (+ an `error` Result with an id)."""

    async def dead(reason: str, attempts: int) -> None:
        reason = f"classifier failed: {reason}"
        await service.bus.fail(reason, request_id=request_id, payload=record.body, attempts=attempts)

    return dead


async def retry(service: Service, record: Inbound, outcome: Screened, error: str) -> None:
    request_id = outcome.id if isinstance(outcome, GenerationRequest) else getattr(outcome, "request_id", None)
    if request_id is not None:
        service.seen.forget(f"{request_id}:classifier")  # the retry must route it
    await service.retrier.failed(record, error, answer_dead(service, record, request_id))


def create_app(settings: Settings | None = None) -> FastStream:
    service = create_service("classifier", settings)
    settings = service.settings
    loaded: dict[str, Router] = {}

    @service.on_startup
    def load_router() -> None:
        tiers = load_tiers(settings.tiers_file)
        model = RouterModel(settings.router_model, list(tiers))
        room = {t.name: t.context_window - t.max_new_tokens for t in tiers.values()}
        loaded["router"] = router = Router(model, settings.router_cost_weight, room, adapters_by_tier(tiers))
        log.info("router model %s on %s, cost weight %s", settings.router_model, model.provider, router.cost_weight)

    @service.batch_subscriber(
        settings.topic_requests, settings.classifier_batch_max, settings.classifier_batch_timeout_ms
    )
    async def on_requests(records: list[Inbound]) -> None:
        router = loaded["router"]
        received = now_ms()
        instruments().requests.add(len(records))
        records = [r for r in records if not await crashed(service, r)]
        for record in records:
            service.deliveries.begin(record)
        try:
            await route(service, router, records, received)
        finally:
            for record in records:
                service.deliveries.end(record)

    return service.app


async def crashed(service: Service, record: Inbound) -> bool:
    """A record that killed this worker `max_crashes` times is dead-lettered, not screened again."""
    crashes = service.deliveries.crashes(record)
    if crashes < service.settings.max_crashes:
        return False
    await service.retrier.crashed(record, crashes, answer_dead(service, record, None))
    return True


async def route(service: Service, router: Router, records: list[Inbound], received: int) -> None:
    """Screen every record, classify the valid ones in one model call, answer each record on its own."""
    screened = [screen(record.body, service, router) for record in records]
    valid = [s for s in screened if isinstance(s, GenerationRequest)]
    try:
        routed = {m.request.id: m for m in router.classify(valid, received)}
        batch_error = None
    except Exception as exc:
        log.exception("routing a batch of %d failed", len(valid))
        routed, batch_error = {}, f"routing failed: {type(exc).__name__}: {exc}"
    attributes = {"refinery.classifier.batch_size": len(records)}
    for record, outcome in zip(records, screened, strict=True):
        with record_span(record.headers, service.settings.topic_requests, attributes):
            failure = outcome.error if isinstance(outcome, ScreenFailed) else None
            if isinstance(outcome, GenerationRequest) and outcome.id not in routed:
                failure = batch_error or "not routed"
            if failure is None:
                try:
                    await answer(service, record, outcome, routed, received)
                except Exception as exc:
                    log.exception("answering a request failed")
                    failure = f"{type(exc).__name__}: {exc}"
            if failure is not None:
                await retry(service, record, outcome, failure)
