"""The edge every service shares: settings, tracing, broker, a typed Bus and at-least-once subscribers.

Subscribers commit offsets only after the handler returns (AckPolicy.ACK), i.e. after it has published
its output: a worker killed mid-request leaves the offset uncommitted and another group member redoes it.
Handlers catch their own failures and turn them into error records, so a poison message never loops.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker

from services.runtime.bus import Bus
from services.runtime.connection import make_broker
from services.runtime.dedupe import SeenKeys
from services.runtime.health import HealthServer
from services.runtime.telemetry import setup_telemetry, shutdown_telemetry
from services.settings import Settings, get_settings


async def raw_bytes(message: Any) -> bytes:
    """Decoder that hands handlers the untouched payload; they validate it themselves."""
    return message.body


async def raw_batch(message: Any) -> list[tuple[bytes, dict[str, str]]]:
    """Batch decoder: each record's untouched payload with its headers (for its own trace context)."""
    return list(zip(message.body, message.batch_headers or [message.headers] * len(message.body), strict=True))


@dataclass
class Service:
    name: str
    settings: Settings
    broker: KafkaBroker
    bus: Bus
    app: FastStream
    seen: SeenKeys

    def _consumer_options(self, group: str | None) -> dict[str, Any]:
        """At-least-once: commit after the handler; a slow model call must not cost the group membership."""
        return {
            "group_id": self.settings.group(group or self.name),
            "auto_offset_reset": self.settings.auto_offset_reset,
            "ack_policy": AckPolicy.ACK,
            "max_poll_interval_ms": 15 * 60 * 1000,
        }

    def subscriber(self, *topics: str, group: str | None = None) -> Callable[..., Any]:
        return self.broker.subscriber(*topics, decoder=raw_bytes, **self._consumer_options(group))

    def batch_subscriber(
        self, topic: str, max_records: int, timeout_ms: int, group: str | None = None
    ) -> Callable[..., Any]:
        """Up to `max_records` records per call, waiting at most `timeout_ms`; committed after the handler."""
        return self.broker.subscriber(
            topic,
            decoder=raw_batch,
            batch=True,
            max_records=max_records,
            batch_timeout_ms=timeout_ms,
            **self._consumer_options(group),
        )


def create_service(name: str, settings: Settings | None = None) -> Service:
    settings = settings or get_settings()
    tracer_provider, meter_provider = setup_telemetry(name, settings)
    broker = make_broker(settings, name, tracer_provider, meter_provider)
    app = FastStream(broker)
    health = HealthServer(broker, settings.health_host, settings.health_port)
    app.after_startup(health.start)
    app.on_shutdown(health.stop)
    app.after_shutdown(shutdown_telemetry)  # flush spans and metrics once the last message is committed
    return Service(
        name=name,
        settings=settings,
        broker=broker,
        bus=Bus(broker, settings, name),
        app=app,
        seen=SeenKeys(settings.dedupe_capacity),
    )
