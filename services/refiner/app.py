"""Refiner service: `refinery.revise` → regenerate failing segments → `refinery.drafts`."""

import asyncio
import logging

from pydantic import ValidationError

from schemas import Critique, decode
from services.common.engines import EnginePool, SchemaCompileError
from services.common.service import create_service
from services.common.tiers import load_tiers
from services.refiner.logic import refine

log = logging.getLogger("refinery.refiner")
service = create_service("refiner")
settings = service.settings
tiers = load_tiers(settings.tiers_file)
engines = EnginePool(tiers, settings)
if settings.refiner_tier:
    engines.get(settings.refiner_tier)
app = service.app


@service.subscriber(settings.topic_revise)
async def on_critique(body: bytes) -> None:
    try:
        critique = decode(Critique, body)
    except (ValueError, ValidationError) as exc:
        await service.bus.fail(f"undecodable critique: {exc}", request_id=None, payload=body)
        return
    request = critique.request
    if service.seen.check(f"{request.id}:refiner:{critique.round}") is not None:
        log.info("critique %s round %d redelivered; skipped", request.id, critique.round)
        return
    tier_name = settings.refiner_tier or critique.tier
    try:
        draft = await asyncio.to_thread(refine, critique, engines.get(tier_name), tiers[tier_name])
    except (SchemaCompileError, ValueError, KeyError) as exc:
        await service.bus.fail_envelope(f"refinement failed: {exc}", critique, body)
        return
    await service.bus.send(settings.topic_drafts, draft, request.id)
