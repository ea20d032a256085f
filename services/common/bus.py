"""Kafka plumbing shared by the services: broker factory, security from settings, publish helpers."""

import ssl
import time
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from pydantic import BaseModel

from schemas import ErrorRecord, Ledger, Result, ResultStatus, encode
from schemas.classified import Envelope
from services.common.hop_tracing import KafkaHopTelemetryMiddleware
from services.common.observe import instruments
from services.common.settings import Settings
from services.common.telemetry import current_trace_id


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    if settings.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    context = ssl.create_default_context(cafile=settings.ssl_cafile)
    if settings.ssl_certfile:
        context.load_cert_chain(settings.ssl_certfile, settings.ssl_keyfile)
    return context


def kafka_security(settings: Settings) -> BaseSecurity | None:
    """TLS and SASL (PLAIN / SCRAM) purely from settings."""
    context = ssl_context(settings)
    if settings.security_protocol.startswith("SASL"):
        password = settings.sasl_secret()
        if not (settings.sasl_mechanism and settings.sasl_username and password is not None):
            raise ValueError(
                "SASL needs REFINERY_SASL_MECHANISM, REFINERY_SASL_USERNAME and "
                "REFINERY_SASL_PASSWORD or REFINERY_SASL_PASSWORD_FILE"
            )
        kinds = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
        return kinds[settings.sasl_mechanism](
            settings.sasl_username, password, ssl_context=context, use_ssl=context is not None
        )
    if context is not None:
        return BaseSecurity(ssl_context=context, use_ssl=True)
    return None


def make_broker(
    settings: Settings,
    service: str,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
) -> KafkaBroker:
    middlewares = (
        [KafkaHopTelemetryMiddleware(tracer_provider=tracer_provider, meter_provider=meter_provider)]
        if tracer_provider
        else []
    )
    return KafkaBroker(
        settings.bootstrap_servers,
        security=kafka_security(settings),
        client_id=f"refinery-{service}",
        middlewares=middlewares,
        max_request_size=max(settings.max_request_bytes * 4, 1024 * 1024),
        acks="all",
        graceful_timeout=settings.drain_timeout_s,
    )


def now_ms() -> int:
    return int(time.time() * 1000)


class Bus:
    """Typed publishing for one service: every message keyed by request id, encoded with orjson."""

    def __init__(self, broker: KafkaBroker, settings: Settings, stage: str) -> None:
        self.broker = broker
        self.settings = settings
        self.stage = stage

    async def send(self, topic: str, message: BaseModel, key: str) -> None:
        await self.broker.publish(encode(message), topic, key=key.encode())

    async def finish(self, result: Result, received_at_ms: int | None = None) -> None:
        if received_at_ms is not None and result.latency_ms is None:
            result.latency_ms = float(now_ms() - received_at_ms)
        result.trace_id = result.trace_id or current_trace_id()
        await self.send(self.settings.topic_results, result, result.id)
        record_result(result)

    async def fail_envelope(self, reason: str, envelope: Envelope, payload: bytes) -> None:
        """`fail` for a message that carries its request (tier, ledger and metadata come along)."""
        await self.fail(
            reason,
            request_id=envelope.request.id,
            payload=payload,
            tier=envelope.tier,
            ledger=envelope.ledger,
            metadata=envelope.request.metadata,
            received_at_ms=envelope.received_at_ms,
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
    ) -> None:
        """An ErrorRecord on the errors topic and, when the request id is known, an `error` Result."""
        record = ErrorRecord(
            request_id=request_id, stage=self.stage, reason=reason, payload=ErrorRecord.preview(payload), at_ms=now_ms()
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


def record_result(result: Result) -> None:
    meters = instruments()
    tier = result.tier or "none"
    meters.results.add(1, {"refinery.status": result.status.value, "refinery.tier": tier})
    for stage, totals in result.ledger.by_stage.items():
        for kind in ("input", "output"):
            if totals[f"{kind}_tokens"]:
                meters.tokens.add(
                    int(totals[f"{kind}_tokens"]),
                    {"refinery.stage": stage, "refinery.tier": tier, "gen_ai.token.type": kind},
                )
    meters.cost.add(result.ledger.cost, {"refinery.tier": tier})
    meters.refine_rounds.record(result.rounds, {"refinery.tier": tier})
    if result.latency_ms is not None:
        meters.latency.record(result.latency_ms / 1000, {"refinery.status": result.status.value, "refinery.tier": tier})
