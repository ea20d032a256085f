"""OpenTelemetry: traces and metrics per service, exporters chosen by settings.

Traces go to OTLP (gRPC or HTTP; Jaeger ingests OTLP), the console, or nowhere. Metrics go to the same
OTLP endpoint and, when `REFINERY_METRICS_PORT` is set, to a Prometheus scrape endpoint."""

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from services.settings import Settings


def _http_endpoint(base: str | None, signal: str) -> str | None:
    return f"{base.rstrip('/')}/v1/{signal}" if base else None


def span_exporter(settings: Settings) -> SpanExporter | None:
    kind, endpoint = settings.otel_exporter, settings.otel_endpoint
    if kind == "console":
        return ConsoleSpanExporter()
    if kind == "otlp-grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as Grpc

        return Grpc(endpoint=endpoint, insecure=True) if endpoint else Grpc()
    if kind == "otlp-http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as Http

        return Http(endpoint=_http_endpoint(endpoint, "traces"))
    return None


def _metric_readers(settings: Settings) -> list[MetricReader]:
    readers: list[MetricReader] = []
    kind, endpoint = settings.otel_exporter, settings.otel_endpoint
    interval = settings.otel_metrics_interval_ms
    if kind == "otlp-grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as Grpc

        exporter = Grpc(endpoint=endpoint, insecure=True) if endpoint else Grpc()
        readers.append(PeriodicExportingMetricReader(exporter, export_interval_millis=interval))
    elif kind == "otlp-http":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as Http

        readers.append(
            PeriodicExportingMetricReader(
                Http(endpoint=_http_endpoint(endpoint, "metrics")), export_interval_millis=interval
            )
        )
    if settings.metrics_port:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr=settings.metrics_host)
        readers.append(PrometheusMetricReader())
    return readers


def setup_telemetry(service: str, settings: Settings) -> tuple[TracerProvider, MeterProvider]:
    resource = Resource.create({SERVICE_NAME: f"refinery-{service}"})
    tracer_provider = TracerProvider(resource=resource)
    exporter = span_exporter(settings)
    if exporter is not None:
        tracer_provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=1000))
    meter_provider = MeterProvider(resource=resource, metric_readers=_metric_readers(settings))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    return tracer_provider, meter_provider


def shutdown_telemetry() -> None:
    """Flush spans and metrics (on SIGTERM the services call this after draining)."""
    for provider in (trace.get_tracer_provider(), metrics.get_meter_provider()):
        if hasattr(provider, "shutdown"):
            provider.shutdown()


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
