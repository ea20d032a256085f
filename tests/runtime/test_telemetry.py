"""One trace per request across every service and Kafka hop, exported over real OTLP (gRPC and HTTP)."""

import asyncio
import time
import urllib.request
from collections import Counter

import orjson
import pytest

from refinery.client import run_batch
from refinery.devstack.broker import free_port
from refinery.devstack.stack import Stack
from schemas import ResultStatus
from services.settings import Settings
from tests.otlp_receiver import Receiver, SpanRecord

pytestmark = pytest.mark.broker
PRODUCER, CONSUMER, CLIENT = 4, 5, 3  # OTLP span kinds

# Greedy SmolLM2 writes a broken email here and the critic fails its format. The context states two
# addresses, so the context alone does not settle it: the refiner's model chooses (one model call).
REFINED = {
    "id": "otel-refined",
    "prompt": "Extract the contact details of the person who wrote this signature.",
    "context": "Best regards,\nMargaret Hamilton\nmargaret.hamilton@example.org | +1 617 555 0199\n"
    "Office: apollo-office@example.org",
    "schema": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 60},
            "email": {"type": "string", "format": "email", "maxLength": 80},
        },
        "required": ["name", "email"],
        "additionalProperties": False,
    },
    "budget": {"max_tokens": 1500},
    "tier": "small",  # the refinement this test needs is SmolLM2's
}
PLAIN = {
    "id": "otel-plain",
    "prompt": "Weather in Lisbon tomorrow in celsius: arguments for get_forecast(city, unit).",
    "schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "maxLength": 40},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city", "unit"],
    },
    "budget": {"max_tokens": 1000},
    "tier": "small",
}


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory):
    receiver = Receiver().start()
    grpc_env = {"REFINERY_OTEL_EXPORTER": "otlp-grpc", "REFINERY_OTEL_ENDPOINT": f"127.0.0.1:{receiver.grpc_port}"}
    http_env = {
        "REFINERY_OTEL_EXPORTER": "otlp-http",
        "REFINERY_OTEL_ENDPOINT": f"http://127.0.0.1:{receiver.http_port}",
    }
    metrics_port = free_port()
    stack = Stack(
        tmp_path_factory.mktemp("otel"),
        env={"REFINERY_OTEL_METRICS_INTERVAL_MS": "1000"},
        service_env={
            "classifier": http_env,
            "critic": {**http_env, "REFINERY_METRICS_PORT": str(metrics_port), "REFINERY_METRICS_HOST": "127.0.0.1"},
            "generator": grpc_env,
            "refiner": grpc_env,
        },
    )
    try:
        stack.start()
        settings = Settings(
            bootstrap_servers=stack.bootstrap,
            otel_exporter="otlp-http",
            otel_endpoint=f"http://127.0.0.1:{receiver.http_port}",
        )
        results = asyncio.run(run_batch([orjson.dumps(REFINED), orjson.dumps(PLAIN)], settings, 300))
        time.sleep(2)
        scraped = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
    finally:
        stack.stop()  # SIGTERM: services flush their telemetry on the way out
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len({s.service for s in receiver.spans}) < 5:
        time.sleep(0.5)
    receiver.stop()
    yield {r.id: r for r in results}, receiver, scraped


def trace_of(receiver: Receiver, trace_id: str) -> dict[str, SpanRecord]:
    return {s.span_id: s for s in receiver.spans if s.trace_id == trace_id}


def test_each_request_is_one_trace(traced) -> None:
    results, receiver, _ = traced
    for request_id, result in results.items():
        assert result.status is not ResultStatus.error, result
        tagged = {s.trace_id for s in receiver.spans if s.attributes.get("refinery.request_id") == request_id}
        assert tagged == {result.trace_id}
    assert results["otel-refined"].trace_id != results["otel-plain"].trace_id


def test_every_hop_is_a_child_of_the_publish_that_produced_it(traced) -> None:
    results, receiver, _ = traced
    result = results["otel-refined"]
    assert result.rounds >= 1, "the refined request must go through the refiner"
    spans = trace_of(receiver, result.trace_id)
    roots = [s for s in spans.values() if not s.parent_id]
    assert [(r.service, r.kind) for r in roots] == [("refinery-client", PRODUCER)]
    consumes = [
        s for s in spans.values() if s.kind == CONSUMER and s.attributes.get("messaging.operation") == "process"
    ]
    for span in consumes:
        parent = spans[span.parent_id]
        assert parent.kind == PRODUCER, (span.name, parent.name)
        destination = span.name.split(" ")[0]
        assert parent.name in (f"{destination} publish", f"send {destination}"), (span.name, parent.name)
    hops = Counter((s.service, s.name.split(" ")[0]) for s in consumes)
    assert hops[("refinery-classifier", "refinery.requests")] == 1
    assert hops[("refinery-generator", "refinery.generate.small")] == 1
    assert hops[("refinery-critic", "refinery.drafts")] == result.rounds + 1
    assert hops[("refinery-refiner", "refinery.revise")] == result.rounds
    depth = 0  # the chain is deep, not flat: walk up from the last critic consume
    last = max((s for s in consumes if s.service == "refinery-critic"), key=lambda s: s.attributes["refinery.round"])
    node = last
    while node.parent_id:
        node, depth = spans[node.parent_id], depth + 1
    assert depth >= 2 * (3 + 2 * result.rounds) - 1
    assert {s.protocol for s in spans.values()} == {"grpc", "http"}


def test_model_calls_follow_genai_conventions(traced) -> None:
    results, receiver, _ = traced
    spans = trace_of(receiver, results["otel-refined"].trace_id)
    calls = [s for s in spans.values() if "gen_ai.operation.name" in s.attributes]
    stages = Counter(s.attributes["refinery.stage"] for s in calls)
    assert stages["generator"] == 1 and stages["refiner"] >= 1
    for span in calls:
        a = span.attributes
        assert span.kind == CLIENT and span.name == f"{a['gen_ai.operation.name']} {a['gen_ai.request.model']}"
        assert a["gen_ai.provider.name"] == "llama_cpp"
        assert a["gen_ai.usage.input_tokens"] > 0 and a["gen_ai.usage.output_tokens"] > 0
        assert {"refinery.tier", "refinery.round", "refinery.ttft_ms", "refinery.budget.remaining"} <= a.keys()
        assert "gen_ai.usage.prompt_tokens" not in a and "gen_ai.usage.completion_tokens" not in a
        assert "gen_ai.input.messages" not in a  # no content unless the setting allows it
        assert spans[span.parent_id].kind == CONSUMER
    assert not any(s.has_bytes for s in receiver.spans)
    critic = [
        s for s in spans.values() if s.service == "refinery-critic" and "refinery.critic.failures" in s.attributes
    ]
    assert any(s.attributes["refinery.critic.failures"] > 0 for s in critic)


def test_metrics_reach_otlp_and_prometheus(traced) -> None:
    _, receiver, scraped = traced
    for name in ("gen_ai.client.token.usage", "gen_ai.client.operation.duration", "gen_ai.server.time_to_first_token"):
        assert "refinery-generator" in receiver.metrics.get(name, set()), name
    assert "refinery-critic" in receiver.metrics.get("refinery.results", set())
    assert "refinery-critic" in receiver.metrics.get("refinery.critic.failures", set())
    assert "refinery-classifier" in receiver.metrics.get("refinery.requests", set())
    assert "refinery_results_total" in scraped and "refinery_request_duration_seconds_bucket" in scraped
