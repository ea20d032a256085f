"""Critic service: `refinery.drafts` → verdicts → `refinery.results` or `refinery.revise`."""

import logging
import time
from collections import Counter

from opentelemetry import trace
from pydantic import ValidationError

from schemas import Draft, LedgerEntry, decode
from services.common.budget import remaining_tokens
from services.common.encoder import SentenceEncoder
from services.common.observe import instruments
from services.common.service import create_service
from services.critic.decide import decide
from services.critic.grounding import GroundingChecker
from services.critic.validators import check_draft

log = logging.getLogger("refinery.critic")
service = create_service("critic")
settings = service.settings
grounding = GroundingChecker(SentenceEncoder(threads=1), settings.grounding_threshold)
app = service.app


@service.subscriber(settings.topic_drafts)
async def on_draft(body: bytes) -> None:
    try:
        draft = decode(Draft, body)
    except (ValueError, ValidationError) as exc:
        await service.bus.fail(f"undecodable draft: {exc}", request_id=None, payload=body)
        return
    if service.seen.check(f"{draft.request.id}:critic:{draft.round}") is not None:
        log.info("draft %s round %d redelivered; skipped", draft.request.id, draft.round)
        return
    started = time.perf_counter()
    verdicts = check_draft(draft, grounding)
    model = "validators+all-MiniLM-L6-v2-int8" if draft.request.context else "validators"
    entry = LedgerEntry(
        stage="critic", round=draft.round, model=model, duration_ms=(time.perf_counter() - started) * 1000
    )
    draft = draft.model_copy(update={"ledger": draft.ledger.add(entry)})
    decision = decide(draft, verdicts, settings.max_rounds)
    span = trace.get_current_span()
    span.set_attribute("refinery.request_id", draft.request.id)
    span.set_attribute("refinery.round", draft.round)
    span.set_attribute("refinery.critic.failures", len(verdicts))
    for kind, count in Counter(v.kind for v in verdicts).items():
        span.set_attribute(f"refinery.critic.failures.{kind}", count)
        instruments().critic_failures.add(count, {"refinery.verdict.kind": kind, "refinery.tier": draft.tier})
    span.set_attribute("refinery.budget.remaining", remaining_tokens(draft.request, draft.ledger))
    if decision.result is not None:
        await service.bus.finish(decision.result, draft.received_at_ms)
    else:
        await service.bus.send(settings.topic_revise, decision.critique, draft.request.id)
