"""Critic service: `refinery.drafts` → verdicts → `refinery.results` or `refinery.revise`."""

import asyncio
from collections import Counter

from faststream import FastStream
from opentelemetry import trace

from schemas import Draft
from services.critic.decide import Escalation
from services.critic.grounding import GroundingChecker
from services.critic.menu_judge import MenuJudge, load_menu_judge
from services.critic.review import Review, review
from services.critic.second_opinion import SecondOpinionPolicy
from services.critic.verifier import ConfidenceVerifier
from services.inference.budget import remaining_tokens
from services.inference.encoder import SentenceEncoder
from services.inference.tiers import load_tiers
from services.runtime.handler import Outcome, Send, StageEdge
from services.runtime.inbound import Inbound
from services.runtime.metrics import instruments
from services.runtime.service import create_service
from services.settings import Settings


def _observe(checked: Review) -> None:
    draft, verdicts = checked.draft, checked.verdicts
    span = trace.get_current_span()
    span.set_attribute("refinery.request_id", draft.request.id)
    span.set_attribute("refinery.round", draft.round)
    span.set_attribute("refinery.escalations", draft.escalations)
    span.set_attribute("refinery.critic.failures", len(verdicts))
    for kind, count in Counter(v.kind for v in verdicts).items():
        span.set_attribute(f"refinery.critic.failures.{kind}", count)
        instruments().critic_failures.add(count, {"refinery.verdict.kind": kind, "refinery.tier": draft.tier})
    span.set_attribute("refinery.budget.remaining", remaining_tokens(draft.request, draft.ledger))


def create_app(settings: Settings | None = None, grounding: GroundingChecker | None = None) -> FastStream:
    """`grounding` defaults to MiniLM, loaded at start-up; the menu judge reads with the same encoder."""
    service = create_service("critic", settings)
    settings = service.settings
    edge = StageEdge(service, Draft)
    tiers = load_tiers(settings.tiers_file)
    verifier = ConfidenceVerifier.for_tiers(tiers)
    second_opinion = SecondOpinionPolicy.for_tiers(tiers)
    escalation = Escalation(tuple(tiers), settings.max_escalations) if settings.escalation else None
    loaded: dict[str, GroundingChecker | None] = {"grounding": grounding}
    judges: dict[str, MenuJudge] = {}

    @service.on_startup
    def load_models() -> None:
        if loaded["grounding"] is None:
            loaded["grounding"] = GroundingChecker(SentenceEncoder(threads=1), settings.grounding_threshold)
        encoder = loaded["grounding"].encoder
        service.bus.drift.embed = encoder.encode  # drift also watches what outputs mean
        judge = load_menu_judge(settings.menu_judge_margin, encoder)
        if judge is not None:
            judges["menu"] = judge

    async def check(draft: Draft) -> Outcome:
        # In a thread, so the per-record time limit holds and one slow review does not hold the loop.
        checked = await asyncio.to_thread(
            review,
            draft,
            loaded["grounding"],
            settings.max_rounds,
            verifier,
            escalation,
            judges.get("menu"),
            second_opinion,
        )
        _observe(checked)
        decision = checked.decision
        if decision.escalate is not None:
            return Send(settings.generate_topic(decision.escalate.tier), decision.escalate)
        return decision.result if decision.result is not None else Send(settings.topic_revise, decision.critique)

    @service.subscriber(settings.topic_drafts)
    async def on_draft(record: Inbound) -> None:
        await edge.handle(record, check)

    return service.app
