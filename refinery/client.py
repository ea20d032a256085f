"""The producer side: publish GenerationRequests, collect their Results from `refinery.results` by id."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic import ValidationError

from schemas import DUPLICATE_ID, ErrorRecord, Result, ResultStatus
from services.runtime.connection import client_options
from services.runtime.telemetry import span_exporter
from services.settings import Settings

_PROPAGATOR = TraceContextTextMapPropagator()
_TRACER_PROVIDERS: dict[tuple[str, str | None], TracerProvider] = {}


def client_tracer(settings: Settings) -> trace.Tracer:
    """The producer's tracer: its publish span is the root of each request's trace."""
    key = (settings.otel_exporter, settings.otel_endpoint)
    if key not in _TRACER_PROVIDERS:
        provider = TracerProvider(resource=Resource.create({SERVICE_NAME: "refinery-client"}))
        exporter = span_exporter(settings)
        if exporter is not None:
            provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
        _TRACER_PROVIDERS[key] = provider
    return _TRACER_PROVIDERS[key].get_tracer("refinery.client")


def flush_client_traces() -> None:
    for provider in _TRACER_PROVIDERS.values():
        provider.force_flush()


@dataclass
class Outgoing:
    """One input line: its id (when it has one) and the bytes to publish."""

    id: str
    payload: bytes | None  # None: not publishable; `local_error` says why
    local_error: str | None = None


def prepare(lines: list[bytes]) -> list[Outgoing]:
    """Lines without a usable id cannot be collected, so they become local errors; the rest go as they are
    (the classifier validates them and answers with an error Result if they are invalid)."""
    outgoing = []
    for number, line in enumerate(lines, start=1):
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            outgoing.append(Outgoing(f"line-{number}", None, f"line {number}: malformed JSON: {exc}"))
            continue
        request_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(request_id, str) or not request_id:
            outgoing.append(Outgoing(f"line-{number}", None, f"line {number}: no string 'id'"))
            continue
        outgoing.append(Outgoing(request_id, line))
    return outgoing


async def _answers_consumer(settings: Settings, since_ms: int) -> AIOKafkaConsumer:
    """Results and error records from `since_ms` on (a refused duplicate id is answered by the latter)."""
    # A position the broker no longer knows (a restarted broker reporting a lower end for a while) resets
    # to the earliest record, never past answers not yet read; the read filters by time and id anyway.
    options = client_options(settings) | {"fetch_max_wait_ms": settings.fetch_max_wait_ms}
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False, group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    tps = []
    for topic in (settings.topic_results, settings.topic_errors):
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            await consumer.stop()
            raise RuntimeError(f"topic {topic} not found at {settings.bootstrap_servers}")
        tps += [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    offsets = await consumer.offsets_for_times({tp: since_ms for tp in tps})
    for tp in tps:
        found = offsets.get(tp)
        if found is None or found.timestamp < 0:  # Tansu answers "none after" with offset 0, timestamp -1
            await consumer.seek_to_end(tp)
        else:
            consumer.seek(tp, found.offset)
    return consumer


async def read_from_start(settings: Settings, topic: str) -> list[ConsumerRecord]:
    """Every record on `topic`, from its start until a 1.5 s silence (no consumer group)."""
    consumer = AIOKafkaConsumer(**client_options(settings), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[ConsumerRecord] = []
        while batch := await consumer.getmany(timeout_ms=1500):
            records += [r for part in batch.values() for r in part]
        return records
    finally:
        await consumer.stop()


CLOCK_SKEW_MS = 200  # between the client's clock and the services'; an answer cannot precede its request


def _answer(is_result: bool, value: bytes | None, pending: set[str]) -> Result | None:
    """This run's Result for a pending id, or a refusal of its id as a duplicate of an earlier request."""
    try:
        if is_result:
            result = Result.model_validate(orjson.loads(value or b""))
            return result if result.id in pending else None
        record = ErrorRecord.model_validate(orjson.loads(value or b""))
    except (orjson.JSONDecodeError, ValidationError):
        return None
    if record.request_id in pending and record.reason.startswith(DUPLICATE_ID):
        return Result(id=record.request_id, status=ResultStatus.error, error=f"{record.stage}: {record.reason}")
    return None


async def run_batch(
    lines: list[bytes],
    settings: Settings,
    timeout_s: float,
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Publish every line, wait for every Result (or the timeout); Results in input order."""
    outgoing = prepare(lines)
    results: dict[str, Result] = {
        o.id: Result(id=o.id, status=ResultStatus.error, error=o.local_error) for o in outgoing if o.payload is None
    }
    pending = {o.id for o in outgoing if o.payload is not None}
    consumer = await _answers_consumer(settings, int(time.time() * 1000) - 1000)
    producer = AIOKafkaProducer(**client_options(settings), acks="all", max_request_size=4 * settings.max_request_bytes)
    await producer.start()
    try:
        tracer = client_tracer(settings)
        since_ms = int(time.time() * 1000) - CLOCK_SKEW_MS
        for o in outgoing:
            if o.payload is None:
                continue
            attributes = {
                "messaging.system": "kafka",
                "messaging.operation.type": "send",
                "messaging.destination.name": settings.topic_requests,
                "refinery.request_id": o.id,
            }
            with tracer.start_as_current_span(
                f"send {settings.topic_requests}", kind=SpanKind.PRODUCER, attributes=attributes
            ):
                carrier: dict[str, str] = {}
                _PROPAGATOR.inject(carrier)
                headers = [(k, v.encode()) for k, v in carrier.items()]
                await producer.send(settings.topic_requests, o.payload, key=o.id.encode(), headers=headers)
        await producer.flush()
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    if record.timestamp < since_ms:
                        continue  # an earlier request's answer (offsets_for_times is not exact on every broker)
                    result = _answer(record.topic == settings.topic_results, record.value, pending)
                    if result is not None:
                        pending.discard(result.id)
                        results[result.id] = result
                        if on_result:
                            on_result(result)
    finally:
        await producer.stop()
        await consumer.stop()
        flush_client_traces()
    for request_id in pending:
        results[request_id] = Result(id=request_id, status=ResultStatus.error, error="timeout")
    return [results[o.id] for o in outgoing]


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(round(q * (len(ordered) - 1)), len(ordered) - 1)
    return ordered[index]


def summarise(results: list[Result]) -> dict[str, Any]:
    by_status: dict[str, int] = {}
    for r in results:
        by_status[r.status.value] = by_status.get(r.status.value, 0) + 1
    latencies = [r.latency_ms for r in results if r.latency_ms is not None]
    return {
        "requests": len(results),
        "by_status": by_status,
        "tokens": sum(r.ledger.tokens for r in results),
        "cost": round(sum(r.ledger.cost for r in results), 8),
        "latency_p50_ms": percentile(latencies, 0.5),
        "latency_p95_ms": percentile(latencies, 0.95),
    }
