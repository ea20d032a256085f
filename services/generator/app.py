"""Generator service: `refinery.generate.<tier>` → constrained draft → `refinery.drafts`."""

import asyncio
import logging

from pydantic import ValidationError

from schemas import ClassifiedRequest, Result, ResultStatus, Verdict, decode
from services.common.budget import BudgetExceeded
from services.common.engines import EnginePool, SchemaCompileError
from services.common.hop_tracing import record_span
from services.common.service import create_service
from services.common.tiers import load_tiers
from services.generator.logic import generate_draft

log = logging.getLogger("refinery.generator")
service = create_service("generator")
settings = service.settings
tiers = load_tiers(settings.tiers_file)
served = [t.strip() for t in settings.generator_tiers.split(",") if t.strip()] or list(tiers)
unknown = [t for t in served if t not in tiers]
if unknown:
    raise SystemExit(f"REFINERY_GENERATOR_TIERS names unknown tiers: {unknown}; known: {list(tiers)}")
engines = EnginePool(tiers, settings)
for name in served:
    engines.get(name)  # load models at start-up: a broken model file fails the pod, not a request
app = service.app


async def handle(body: bytes) -> None:
    try:
        message = decode(ClassifiedRequest, body)
    except (ValueError, ValidationError) as exc:
        await service.bus.fail(f"undecodable classified request: {exc}", request_id=None, payload=body)
        return
    request = message.request
    if service.seen.check(f"{request.id}:generator:0") is not None:
        log.info("request %s redelivered to the generator; skipped", request.id)
        return
    tier = tiers[message.tier]
    try:
        draft = await asyncio.to_thread(generate_draft, message, engines.get(message.tier), tier)
    except BudgetExceeded as exc:
        result = Result(
            id=request.id,
            status=ResultStatus.budget_exhausted,
            tier=message.tier,
            ledger=message.ledger,
            verdicts=[Verdict(pointer="", kind="budget", message=str(exc))],
            metadata=request.metadata,
        )
        await service.bus.finish(result, message.received_at_ms)
        return
    except (SchemaCompileError, ValueError) as exc:
        reason = (
            f"schema not supported by the constrained decoder: {exc}"
            if isinstance(exc, SchemaCompileError)
            else str(exc)
        )
        service.seen.forget(f"{request.id}:generator:0")
        await service.bus.fail_envelope(reason, message, body)
        return
    await service.bus.send(settings.topic_drafts, draft, request.id)


def batch_handler(tier_name: str):
    """The records of one Kafka batch are handled concurrently, so their model calls share forward passes
    (the tier's engine coalesces them); the batch is committed when every record has been answered."""
    topic = settings.generate_topic(tier_name)

    async def handle_batch(records: list[tuple[bytes, dict[str, str]]]) -> None:
        async def one(body: bytes, headers: dict[str, str]) -> None:
            with record_span(headers, topic, {"refinery.generator.batch_size": len(records)}):
                await handle(body)

        await asyncio.gather(*(one(body, headers) for body, headers in records))

    return handle_batch


for tier_name in served:
    service.batch_subscriber(
        settings.generate_topic(tier_name),
        tiers[tier_name].max_batch,
        settings.batch_window_ms,
        group=f"generator-{tier_name}",
    )(batch_handler(tier_name))
