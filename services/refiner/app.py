"""Refiner service: `refinery.revise` → regenerate failing segments → `refinery.drafts`."""

import asyncio

from faststream import FastStream

from schemas import Critique
from services.inference.engines import EnginePool
from services.inference.tiers import load_tiers
from services.refiner.rounds import REFINE_FAILURES, failure_reason, refine_on
from services.runtime.handler import Outcome, Send, StageEdge
from services.runtime.inbound import Inbound
from services.runtime.service import create_service
from services.settings import Settings


def create_app(settings: Settings | None = None, engines: EnginePool | None = None) -> FastStream:
    """`engines` defaults to the tiers' real engines; the refiner's own tier is loaded at start-up."""
    service = create_service("refiner", settings)
    settings = service.settings
    pool = engines or EnginePool(load_tiers(settings.tiers_file), settings)
    edge = StageEdge(service, Critique, expected=REFINE_FAILURES, explain=failure_reason)

    @service.on_startup
    def load_models() -> None:
        if settings.refiner_tier:
            pool.get(settings.refiner_tier)

    async def revise(critique: Critique) -> Outcome:
        draft = await asyncio.to_thread(refine_on, pool, critique, settings.refiner_tier)
        return Send(settings.topic_drafts, draft)

    @service.subscriber(settings.topic_revise)
    async def on_critique(record: Inbound) -> None:
        await edge.handle(record, revise)

    return service.app
