"""Generator service: `refinery.generate.<tier>` → constrained draft → `refinery.drafts`.

The records of one Kafka batch are handled concurrently, so their model calls share forward passes (the
tier's engine coalesces them); the batch is committed when every record has been answered."""

import asyncio
from collections import Counter

import orjson
from faststream import FastStream

from schemas import ClassifiedRequest, Draft
from services.generator.drafting import REQUEST_FAILURES, failure_reason, first_draft
from services.inference.engines import EnginePool
from services.inference.menu_shortlist import MenuShortlist, load_menu_shortlist
from services.inference.tiers import load_tiers
from services.runtime.handler import Outcome, Send, StageEdge
from services.runtime.hop_tracing import record_span
from services.runtime.inbound import Inbound
from services.runtime.service import Service, create_service
from services.settings import Settings


def served_tiers(settings: Settings, known: list[str]) -> list[str]:
    served = [t.strip() for t in settings.generator_tiers.split(",") if t.strip()] or known
    unknown = [t for t in served if t not in known]
    if unknown:
        raise SystemExit(f"REFINERY_GENERATOR_TIERS names unknown tiers: {unknown}; known: {known}")
    return served


def _named_adapter(record: Inbound) -> str | None:
    """The adapter a record's request names, read ahead of its full parse (None when unreadable: the edge
    answers that record with its error)."""
    try:
        request = orjson.loads(record.body).get("request")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    adapter = request.get("adapter") if isinstance(request, dict) else None
    return adapter if isinstance(adapter, str) else None


def _subscribe_tier(
    service: Service, edge: StageEdge, pool: EnginePool, tier_name: str, shortlist: dict[str, MenuShortlist]
) -> None:
    settings = service.settings
    topic = settings.generate_topic(tier_name)

    async def draft(message: ClassifiedRequest) -> Outcome:
        engine = pool.get(message.tier, message.request.adapter)
        tier = pool.tiers[message.tier]
        outcome = await asyncio.to_thread(first_draft, message, engine, tier, shortlist.get("menu"))
        return Send(settings.topic_drafts, outcome) if isinstance(outcome, Draft) else outcome

    async def handle_batch(records: list[Inbound]) -> None:
        async def one(record: Inbound) -> None:
            with record_span(record.headers, topic, {"refinery.generator.batch_size": len(records)}):
                await edge.handle(record, draft)

        for adapter, calls in Counter(map(_named_adapter, records)).items():
            try:
                engine = pool.get(tier_name, adapter)
            except ValueError:  # an adapter the tier lacks: its record gets its error from the edge
                continue
            if hasattr(engine, "expect"):  # each record makes one call on its adapter's batcher: decoded
                engine.expect(calls)  # together, with no window to wait
        await asyncio.gather(*(one(record) for record in records))

    tier = pool.tiers[tier_name]
    group = f"generator-{tier_name}"
    service.batch_subscriber(topic, tier.max_batch, settings.batch_window_ms, group=group)(handle_batch)


def create_app(settings: Settings | None = None, engines: EnginePool | None = None) -> FastStream:
    """`engines` defaults to the tiers' real engines, loaded at start-up: a broken model file fails the
    pod, not a request."""
    service = create_service("generator", settings)
    settings = service.settings
    pool = engines or EnginePool(load_tiers(settings.tiers_file), settings)
    served = served_tiers(settings, list(pool.tiers))
    edge = StageEdge(service, ClassifiedRequest, expected=REQUEST_FAILURES, explain=failure_reason)

    shortlist: dict[str, MenuShortlist] = {}  # loaded at start-up, like the models

    @service.on_startup
    def load_models() -> None:
        for name in served:
            pool.get(name)
        loaded = load_menu_shortlist(settings.menu_shortlist_margin)
        if loaded is not None:
            shortlist["menu"] = loaded

    for name in served:
        _subscribe_tier(service, edge, pool, name, shortlist)
    return service.app
