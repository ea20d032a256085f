"""Typed publishing for one service: every message keyed by request id, Results and error records."""

import asyncio
import logging
import time
from typing import Any

from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from schemas import ErrorRecord, Ledger, Result, ResultStatus, encode
from schemas.classified import Envelope
from services.drift.monitor import DriftMonitor
from services.runtime.finished import FinishedIds
from services.runtime.metrics import instruments, record_result
from services.runtime.telemetry import current_trace_id
from services.settings import Settings

log = logging.getLogger("refinery.bus")


def now_ms() -> int:
    return int(time.time() * 1000)


class Bus:
    """Typed publishing for one service: every message keyed by request id, encoded with orjson."""

    def __init__(
        self, broker: KafkaBroker, settings: Settings, stage: str, finished: FinishedIds, drift: DriftMonitor
    ) -> None:
        self.broker = broker
        self.settings = settings
        self.stage = stage
        self.finished = finished
        self.drift = drift  # what this stage finishes, watched for drift (exported as refinery.drift.score)

    async def send(self, topic: str, message: BaseModel, key: str) -> None:
        await self.broker.publish(encode(message), topic, key=key.encode())

    async def finish(self, result: Result, received_at_ms: int | None = None) -> None:
        """Publish the request's Result, unless it already has one (then the first stands)."""
        if result.id in self.finished:
            log.info("%s: %s already has a Result; this %s one is dropped", self.stage, result.id, result.status.value)
            instruments().duplicates.add(1, {"refinery.stage": self.stage})
            return
        if received_at_ms is not None and result.latency_ms is None:
            result.latency_ms = float(now_ms() - received_at_ms)
        result.trace_id = result.trace_id or current_trace_id()
        await self.send(self.settings.topic_results, result, result.id)
        self.finished.add(result.id)
        record_result(result)
        await asyncio.to_thread(self.drift.observe, result)  # may embed the output: off the event loop

    async def fail_envelope(self, reason: str, envelope: Envelope, payload: bytes, attempts: int = 1) -> None:
        """`fail` for a message that carries its request (tier, ledger and metadata come along)."""
        await self.fail(
            reason,
            request_id=envelope.request.id,
            payload=payload,
            tier=envelope.tier,
            ledger=envelope.ledger,
            metadata=envelope.request.metadata,
            received_at_ms=envelope.received_at_ms,
            attempts=attempts,
        )

    async def fail(
        self,
        reason: str,
        *,
        request_id: str | None,
        payload: bytes | str = b"",
        tier: str | None = None,
        ledger: Ledger | None = None,
        metadata: dict[str, Any] | None = None,
        received_at_ms: int | None = None,
        emit_result: bool = True,
        attempts: int = 1,
    ) -> None:
        """An ErrorRecord on the errors topic and, when the request id is known, an `error` Result."""
        record = ErrorRecord.about(
            payload,
            with_text=self.settings.error_payloads == "preview",
            request_id=request_id,
            stage=self.stage,
            reason=reason,
            attempts=attempts,
            at_ms=now_ms(),
        )
        await self.send(self.settings.topic_errors, record, request_id or "")
        if request_id is not None and emit_result:
            result = Result(
                id=request_id,
                status=ResultStatus.error,
                error=f"{self.stage}: {reason}",
                tier=tier,
                ledger=ledger or Ledger(),
                metadata=metadata or {},
            )
            await self.finish(result, received_at_ms)
