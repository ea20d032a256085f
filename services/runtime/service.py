"""The edge every service shares: settings, tracing, broker, a typed Bus and at-least-once subscribers.

Subscribers commit offsets only after the handler returns, i.e. after it has published its output: a
worker killed mid-request leaves the offset uncommitted and another group member redoes it. Handlers
answer every record themselves (a Result, an error record, or a retry); should a handler still raise
(the broker is gone, so not even a retry can be published), the record is not committed but sought
back and delivered again (NACK_ON_ERROR), never dropped. Every service also forwards its own retries
(`retry.py`) and knows which requests already have a Result (`finished.py`)."""

import inspect
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker

from services.drift.monitor import DriftMonitor
from services.runtime.bus import Bus
from services.runtime.connection import make_broker
from services.runtime.dedupe import SeenKeys
from services.runtime.deliveries import DeliveryLog
from services.runtime.finished import FinishedIds
from services.runtime.health import HealthServer
from services.runtime.inbound import Inbound, one_record, record_batch, safe_parser
from services.runtime.metrics import observe_drift
from services.runtime.retry import Retrier
from services.runtime.telemetry import setup_telemetry, shutdown_telemetry
from services.runtime.topics import TopicKeeper, create_topics_when_up
from services.settings import Settings, get_settings


@dataclass
class Service:
    name: str
    settings: Settings
    broker: KafkaBroker
    bus: Bus
    app: FastStream
    seen: SeenKeys
    retrier: Retrier
    deliveries: DeliveryLog
    topic_keeper: TopicKeeper
    startup_hooks: list[Callable[[], Any]] = field(default_factory=list)

    def on_startup(self, hook: Callable[[], Any]) -> Callable[[], Any]:
        """Decorator: run `hook` (load a model) at start-up, before the broker state is read, so a broken
        model file fails the pod first."""
        self.startup_hooks.append(hook)
        return hook

    async def start_up(self) -> None:
        for hook in self.startup_hooks:
            if inspect.isawaitable(outcome := hook()):
                await outcome
        if self.settings.read_broker_state:  # before any subscriber takes work
            await create_topics_when_up(self.settings)
            await self.finished.start()
            await self.topic_keeper.start()

    @property
    def finished(self) -> FinishedIds:
        return self.bus.finished

    def _consumer_options(self, group: str | None) -> dict[str, Any]:
        """At-least-once: commit after the handler; a slow model call must not cost the group membership."""
        return {
            "group_id": self.settings.group(group or self.name),
            "auto_offset_reset": self.settings.auto_offset_reset,
            "ack_policy": AckPolicy.NACK_ON_ERROR,
            "max_poll_interval_ms": 15 * 60 * 1000,
            "fetch_max_wait_ms": self.settings.fetch_max_wait_ms,
            "parser": safe_parser,
        }

    def subscriber(self, *topics: str, group: str | None = None) -> Callable[..., Any]:
        """Handlers get one `Inbound` record."""
        return self.broker.subscriber(*topics, decoder=one_record, **self._consumer_options(group))

    def batch_subscriber(
        self, topic: str, max_records: int, timeout_ms: int, group: str | None = None
    ) -> Callable[..., Any]:
        """Handlers get up to `max_records` `Inbound` records, waiting at most `timeout_ms`."""
        return self.broker.subscriber(
            topic,
            decoder=record_batch,
            batch=True,
            max_records=max_records,
            batch_timeout_ms=timeout_ms,
            **self._consumer_options(group),
        )

    def forward_retries(self) -> None:
        """One forwarder per delay topic, so a long delay never holds up a short one."""
        for delay_ms, topic in zip(self.settings.retry_delays_ms, self.retrier.topics(), strict=True):

            async def forward(record: Inbound) -> None:
                await self.retrier.forward(record)

            options = self._consumer_options(f"{self.name}-retry-{delay_ms}ms") | {"fetch_max_wait_ms": 500}
            self.broker.subscriber(topic, decoder=one_record, **options)(forward)


def delivery_log_path(settings: Settings, name: str) -> Path | None:
    """Per service and host (a pod's name survives its container's restarts; /tmp is its emptyDir)."""
    if settings.delivery_log is not None or not settings.read_broker_state:
        return settings.delivery_log  # in-memory test brokers: counted in memory unless a file is named
    return Path(tempfile.gettempdir()) / "refinery-state" / f"{name}-{socket.gethostname()}.log"


def create_service(name: str, settings: Settings | None = None) -> Service:
    settings = settings or get_settings()
    tracer_provider, meter_provider = setup_telemetry(name, settings)
    broker = make_broker(settings, name, tracer_provider, meter_provider)
    app = FastStream(broker)
    health = HealthServer(broker, settings.health_host, settings.health_port)
    finished = FinishedIds(settings, settings.dedupe_capacity)
    drift = DriftMonitor.from_settings(settings)
    observe_drift(drift, name)
    app.after_shutdown(finished.stop)
    app.after_startup(health.start)
    app.on_shutdown(health.stop)
    app.after_shutdown(shutdown_telemetry)  # flush spans and metrics once the last message is committed
    service = Service(
        name=name,
        settings=settings,
        broker=broker,
        bus=Bus(broker, settings, name, finished, drift),
        app=app,
        seen=SeenKeys(settings.dedupe_capacity),
        retrier=Retrier(broker, settings, name),
        deliveries=DeliveryLog(delivery_log_path(settings, name), settings.max_crashes),
        topic_keeper=TopicKeeper(settings),
    )
    app.on_startup(service.start_up)
    app.after_shutdown(service.topic_keeper.stop)
    service.forward_retries()
    return service
