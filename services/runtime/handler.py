"""The one handler edge of the generator, critic and refiner: decode → skip → work → publish.

A stage's work is a function of the decoded message that returns what to publish: a Result (the request
is finished) or a `Send` (the next topic). Every record gets an answer:
- undecodable, or past its request's `deadline_ms` → error record (+ `error` Result) at once;
- already answered (the request has a Result, or this process did this step) → skipped, costing nothing;
- its work killed this worker `max_crashes` times before (`deliveries.py`) → dead-lettered, not run again;
- the work raises an `expected` failure (the request cannot be served: a schema the decoder refuses) →
  error record + `error` Result at once, with the stage's own reason;
- anything else (a model call that fails, a timeout past `message_timeout_s`, a bug, a broker error
  while publishing) may pass: the record is retried with backoff and, after the last retry,
  dead-lettered with its history and answered with an `error` Result (`retry.py`)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from schemas import Result, decode
from schemas.classified import Envelope
from services.runtime.bus import now_ms
from services.runtime.inbound import Inbound
from services.runtime.metrics import instruments
from services.runtime.service import Service

log = logging.getLogger("refinery.handler")
M = TypeVar("M", bound=Envelope)


@dataclass(frozen=True)
class Send:
    topic: str
    message: BaseModel


Outcome = Result | Send
Work = Callable[[M], Awaitable[Outcome]]


def unexpected(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"


def past_deadline(message: Envelope) -> str | None:
    deadline = message.request.deadline_ms
    if deadline is None or message.received_at_ms is None:
        return None
    late = now_ms() - message.received_at_ms - deadline
    return f"deadline: the request's {deadline} ms deadline passed {late} ms ago" if late > 0 else None


@dataclass(frozen=True)
class StageEdge:
    service: Service
    contract: type[Envelope]
    expected: tuple[type[Exception], ...] = ()
    explain: Callable[[Exception], str] = unexpected  # the reason an expected failure is reported with

    def dedupe_key(self, message: Envelope) -> str:
        """One key per request, tier, escalation and round: an escalated request is new work for its new tier,
        and a redraft toward the expected call, or for a second opinion, on the same tier is new work too."""
        escalated = f"e{message.escalations}:" if message.escalations else ""
        second = "s:" if message.second_opinion_of else ""
        where = f"{message.tier}:{escalated}{second}{getattr(message, 'round', 0)}"
        return f"{message.request.id}:{self.service.name}:{where}"

    async def handle(self, record: Inbound, work: Work) -> None:
        service = self.service
        try:
            message = decode(self.contract, record.body)
        except (ValueError, ValidationError) as exc:
            label = self.contract.__name__
            await service.bus.fail(f"undecodable {label}: {exc}", request_id=None, payload=record.body)
            return
        if message.request.id in service.finished:
            log.info("%s: %s already has a Result; skipped", service.name, message.request.id)
            instruments().duplicates.add(1, {"refinery.stage": service.name})
            return
        if late := past_deadline(message):
            await service.bus.fail_envelope(late, message, record.body)
            return

        async def dead(reason: str, attempts: int) -> None:
            await service.bus.fail_envelope(f"{service.name} failed: {reason}", message, record.body, attempts)

        if (crashes := service.deliveries.crashes(record)) >= service.settings.max_crashes:
            await service.retrier.crashed(record, crashes, dead)
            return
        key = self.dedupe_key(message)
        if service.seen.check(key) is not None:
            log.info("%s: %s redelivered; skipped", service.name, key)
            return
        service.deliveries.begin(record)
        try:
            outcome = await asyncio.wait_for(work(message), service.settings.message_timeout_s)
            await self.publish(outcome, message)
        except self.expected as exc:
            await service.bus.fail_envelope(self.explain(exc), message, record.body)
        except Exception as exc:
            log.exception("%s: %s failed", service.name, key)
            service.seen.forget(key)  # the retry must be able to do the work
            await service.retrier.failed(record, unexpected(exc), dead)
        finally:
            service.deliveries.end(record)

    async def publish(self, outcome: Outcome, message: Envelope) -> None:
        if isinstance(outcome, Result):
            await self.service.bus.finish(outcome, message.received_at_ms)
        else:
            await self.service.bus.send(outcome.topic, outcome.message, message.request.id)
