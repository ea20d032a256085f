"""Spans and metrics for model calls (OpenTelemetry GenAI conventions).

No prompt or output text is recorded unless `REFINERY_OTEL_CAPTURE_CONTENT=true`. Attribute values are
str, bool, int, float or lists of them, never bytes."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from opentelemetry import metrics, trace
from opentelemetry.metrics import Histogram
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from services.inference.engines.base import Completion

TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304]
SECONDS_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]


def seconds_histogram(name: str, description: str) -> Histogram:
    """A duration histogram on Refinery's meter, with buckets from 10 ms to 82 s."""
    return metrics.get_meter("refinery").create_histogram(
        name, unit="s", description=description, explicit_bucket_boundaries_advisory=SECONDS_BUCKETS
    )


@dataclass(frozen=True)
class CallInstruments:
    token_usage: Histogram
    operation_duration: Histogram
    time_to_first_token: Histogram


@lru_cache
def call_instruments() -> CallInstruments:
    meter = metrics.get_meter("refinery")
    return CallInstruments(
        token_usage=meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Tokens per model call",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        ),
        operation_duration=seconds_histogram("gen_ai.client.operation.duration", "Model call duration"),
        time_to_first_token=seconds_histogram("gen_ai.server.time_to_first_token", "Time to first generated token"),
    )


@dataclass(frozen=True)
class CallInfo:
    provider: str
    model: str
    operation: str  # "chat" or "text_completion"
    stage: str
    tier: str
    round: int
    request_id: str
    max_tokens: int
    budget_remaining: int
    segment: str | None = None


@contextmanager
def model_call_span(info: CallInfo, capture_content: bool = False, prompt: str | None = None) -> Iterator[Span]:
    tracer = trace.get_tracer("refinery")
    attributes = {
        "gen_ai.operation.name": info.operation,
        "gen_ai.provider.name": info.provider,
        "gen_ai.request.model": info.model,
        "gen_ai.request.max_tokens": info.max_tokens,
        "gen_ai.request.temperature": 0.0,
        "gen_ai.output.type": "json",
        "refinery.stage": info.stage,
        "refinery.tier": info.tier,
        "refinery.round": info.round,
        "refinery.request_id": info.request_id,
        "refinery.budget.remaining": info.budget_remaining,
    }
    if info.segment is not None:
        attributes["refinery.segment"] = info.segment
    if capture_content and prompt is not None:
        attributes["gen_ai.input.messages"] = prompt
    with tracer.start_as_current_span(
        f"{info.operation} {info.model}", kind=SpanKind.CLIENT, attributes=attributes
    ) as span:
        yield span


def record_completion(span: Span, info: CallInfo, completion: Completion, capture_content: bool = False) -> None:
    span.set_attribute("gen_ai.response.model", info.model)
    span.set_attribute("gen_ai.usage.input_tokens", completion.input_tokens)
    span.set_attribute("gen_ai.usage.output_tokens", completion.output_tokens)
    span.set_attribute("gen_ai.response.finish_reasons", [completion.finish_reason])
    if completion.closed_early:
        span.set_attribute("refinery.closed_early", True)
    if completion.ttft_ms is not None:
        span.set_attribute("refinery.ttft_ms", round(completion.ttft_ms, 3))
    if completion.drafted_tokens:
        span.set_attribute("refinery.speculative.drafted_tokens", completion.drafted_tokens)
        span.set_attribute("refinery.speculative.accepted_tokens", completion.accepted_tokens)
    if capture_content:
        span.set_attribute("gen_ai.output.messages", completion.text)
    base = {
        "gen_ai.operation.name": info.operation,
        "gen_ai.provider.name": info.provider,
        "gen_ai.request.model": info.model,
        "refinery.stage": info.stage,
        "refinery.tier": info.tier,
    }
    meters = call_instruments()
    meters.token_usage.record(completion.input_tokens, {**base, "gen_ai.token.type": "input"})
    meters.token_usage.record(completion.output_tokens, {**base, "gen_ai.token.type": "output"})
    meters.operation_duration.record(completion.duration_ms / 1000, base)
    if completion.ttft_ms is not None:
        meters.time_to_first_token.record(completion.ttft_ms / 1000, base)


def record_error(span: Span, exc: BaseException) -> None:
    span.set_attribute("error.type", type(exc).__name__)
    span.set_status(Status(StatusCode.ERROR, str(exc)[:200]))
