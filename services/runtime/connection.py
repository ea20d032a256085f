"""Kafka connection from settings: TLS and SASL, and the broker factory every service uses."""

import asyncio
import ssl
from functools import partial
from itertools import chain
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from services.runtime.hop_tracing import KafkaHopTelemetryMiddleware
from services.settings import Settings


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


def client_options(settings: Settings) -> dict[str, Any]:
    """The same connection for plain aiokafka clients (the Result gate, the CLI's producer and consumer)."""
    options: dict[str, Any] = {"bootstrap_servers": settings.bootstrap_servers}
    security = kafka_security(settings)
    if security is not None:
        options["security_protocol"] = settings.security_protocol
        options["ssl_context"] = security.ssl_context
        if settings.sasl_mechanism:
            options.update(
                sasl_mechanism=settings.sasl_mechanism,
                sasl_plain_username=settings.sasl_username,
                sasl_plain_password=settings.sasl_secret(),
            )
    return options


class LowLatencyKafkaBroker(KafkaBroker):
    """FastStream's KafkaBroker less two waits. It starts its subscribers together: aiokafka's `start()`
    returns once its group is joined, which takes a few seconds a group on some brokers (Tansu: half the
    session timeout), and one after another a worker with five groups took 25 s to take work. And its batch
    subscribers do not sleep after an empty poll: FastStream's sleep for `batch_timeout_ms` once `getmany`
    has already waited that long with nothing to show, so a record landing in the sleep waited up to a
    window more on each hop into a batching stage (`getmany` itself returns as soon as records are there)."""

    async def start(self) -> None:
        await self.connect()
        await asyncio.gather(*(subscriber.start() for subscriber in self.subscribers))
        for publisher in self.publishers:
            await publisher.start()
        self.running = True

    def subscriber(self, *topics: Any, **options: Any) -> Any:
        subscriber = super().subscriber(*topics, **options)
        if options.get("batch"):
            subscriber.get_msg = partial(_poll_batch, subscriber)
        return subscriber


async def _poll_batch(subscriber: Any, consumer: AIOKafkaConsumer) -> tuple[ConsumerRecord, ...]:
    """What FastStream's batch `get_msg` does, without its sleep after an empty poll."""
    batches = await consumer.getmany(timeout_ms=subscriber.batch_timeout_ms, max_records=subscriber.max_records)
    return tuple(chain.from_iterable(batches.values()))


def make_broker(
    settings: Settings,
    service: str,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
) -> LowLatencyKafkaBroker:
    middlewares = (
        [KafkaHopTelemetryMiddleware(tracer_provider=tracer_provider, meter_provider=meter_provider)]
        if tracer_provider
        else []
    )
    return LowLatencyKafkaBroker(
        settings.bootstrap_servers,
        security=kafka_security(settings),
        client_id=f"refinery-{service}",
        middlewares=middlewares,
        max_request_size=max(settings.max_request_bytes * 4, 1024 * 1024),
        acks="all",
        enable_idempotence=settings.idempotent_producer,
        graceful_timeout=settings.drain_timeout_s,
    )
