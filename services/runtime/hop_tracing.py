"""FastStream's Kafka telemetry middleware, adjusted so each hop is a child of the publish that caused it.

Measured on FastStream 0.7.8: a `broker.publish` inside a handler parents the next consume span to a
zero-length "create" span, and a reply published by the consuming middleware itself (`@publisher`) injects
the *incoming* message's context, so the next consume hangs off the previous hop (a flat trace). Here the
headers are re-injected from inside the publish span, so process(B) is always a child of publish(B), which
is a child of process(A): the real send, with its duration, sits between every two hops.

The stock attributes also carry the Kafka key as bytes, which OTLP backends such as Phoenix reject;
here every bytes value is decoded to text."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.opentelemetry.provider import telemetry_attributes_provider_factory
from faststream.opentelemetry.middleware import BaseTelemetryMiddleware
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()
_IN_RECORD_SPAN: ContextVar[bool] = ContextVar("refinery_in_record_span", default=False)


@contextmanager
def record_span(headers: dict[str, str], destination: str, attributes: dict[str, Any]) -> Iterator[trace.Span]:
    """A batch handler's per-record process span, child of that record's publish span.

    FastStream gives a batch one process span (linked to every record) in a trace of its own; this span
    puts each record back into its request's trace, and what is published inside it is parented here.
    """
    tracer = trace.get_tracer("refinery.hop")
    parent = _PROPAGATOR.extract(headers)
    attributes = {"messaging.system": "kafka", "messaging.operation": "process", **attributes}
    with tracer.start_as_current_span(
        f"{destination} process", context=parent, kind=trace.SpanKind.CONSUMER, attributes=attributes
    ) as span:
        token = _IN_RECORD_SPAN.set(True)
        try:
            yield span
        finally:
            _IN_RECORD_SPAN.reset(token)


def _texts(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: v.decode("utf-8", "replace") if isinstance(v, bytes | bytearray) else v for k, v in attributes.items()}


class _TextAttributes:
    """Delegates to FastStream's Kafka attribute provider, with bytes values decoded."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.messaging_system = inner.messaging_system

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def get_consume_attrs_from_message(self, msg: Any) -> dict[str, Any]:
        return _texts(self._inner.get_consume_attrs_from_message(msg))

    def get_publish_attrs_from_cmd(self, cmd: Any) -> dict[str, Any]:
        return _texts(self._inner.get_publish_attrs_from_cmd(cmd))


def text_attributes_provider_factory(msg: Any) -> _TextAttributes:
    return _TextAttributes(telemetry_attributes_provider_factory(msg))


class _HopMiddleware(BaseTelemetryMiddleware[Any]):
    async def publish_scope(self, call_next: Any, msg: Any) -> Any:
        async def send_in_publish_span(command: Any) -> Any:
            _PROPAGATOR.inject(command.headers)  # the current span is the publish span
            return await call_next(command)

        if not _IN_RECORD_SPAN.get():
            return await super().publish_scope(send_in_publish_span, msg)
        # Inside a batch handler's record span: the publish is that record's child, not the batch span's.
        # (The batch's records publish concurrently, so nothing shared on the middleware is touched.)
        provider = self._BaseTelemetryMiddleware__settings_provider
        if provider is None:
            return await call_next(msg)
        destination = provider.get_publish_destination_name(msg)
        with self._tracer.start_as_current_span(
            f"{destination} publish",
            kind=trace.SpanKind.PRODUCER,
            attributes={**provider.get_publish_attrs_from_cmd(msg), "messaging.operation": "publish"},
        ):
            return await send_in_publish_span(msg)


class KafkaHopTelemetryMiddleware(KafkaTelemetryMiddleware):
    def __call__(self, msg: Any | None, /, *, context: Any) -> BaseTelemetryMiddleware[Any]:
        return _HopMiddleware(
            msg,
            tracer=self._tracer,
            metrics_container=self._metrics,
            settings_provider_factory=text_attributes_provider_factory,
            context=context,
        )
