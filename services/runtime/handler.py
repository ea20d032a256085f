"""The one handler edge of the generator, critic and refiner: decode → skip a redelivery → work → publish.

A stage's work is a pure function of the decoded message that returns what to publish: a Result (the
request is finished) or a `Send` (the next topic). Whatever the work raises becomes an error record and
an `error` Result for that request, never a silent drop: `expected` failures (a schema the decoder
refuses, say) are logged as such, anything else with its traceback."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from schemas import Result, decode
from schemas.classified import Envelope
from services.runtime.service import Service

log = logging.getLogger("refinery.handler")
M = TypeVar("M", bound=Envelope)


@dataclass(frozen=True)
class Send:
    topic: str
    message: BaseModel


Outcome = Result | Send
Work = Callable[[M], Awaitable[Outcome]]


def _unexpected(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class StageEdge:
    service: Service
    contract: type[Envelope]
    expected: tuple[type[Exception], ...] = ()
    explain: Callable[[Exception], str] = _unexpected  # the reason an expected failure is reported with

    def dedupe_key(self, message: Envelope) -> str:
        """One key per request, tier and round: an escalated request is new work for its new tier."""
        return f"{message.request.id}:{self.service.name}:{message.tier}:{getattr(message, 'round', 0)}"

    async def handle(self, body: bytes, work: Work) -> None:
        service = self.service
        try:
            message = decode(self.contract, body)
        except (ValueError, ValidationError) as exc:
            label = self.contract.__name__
            await service.bus.fail(f"undecodable {label}: {exc}", request_id=None, payload=body)
            return
        key = self.dedupe_key(message)
        if service.seen.check(key) is not None:
            log.info("%s: %s redelivered; skipped", service.name, key)
            return
        try:
            outcome = await work(message)
        except Exception as exc:
            expected = isinstance(exc, self.expected)
            if not expected:
                log.exception("%s: %s failed", service.name, key)
            service.seen.forget(key)  # a redelivery may try again; the error Result below stands meanwhile
            reason = self.explain(exc) if expected else f"{service.name} failed: {_unexpected(exc)}"
            await service.bus.fail_envelope(reason, message, body)
            return
        await self.publish(outcome, message)

    async def publish(self, outcome: Outcome, message: Envelope) -> None:
        if isinstance(outcome, Result):
            await self.service.bus.finish(outcome, message.received_at_ms)
        else:
            await self.service.bus.send(outcome.topic, outcome.message, message.request.id)
