"""Settings from environment variables with the `REFINERY_` prefix (nothing hard-coded elsewhere)."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFINERY_", extra="ignore")

    # Kafka
    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: str | None = None
    sasl_password_file: Path | None = None  # read at start; preferred in Kubernetes (a mounted Secret)
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    group_prefix: str = "refinery"
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    partitions: int = 4
    # How long a fetch may wait for records. Tansu answers a waiting fetch only when the wait is over, not
    # when a record arrives, so the wait is the latency of each hop: 500 ms (Kafka's default) costs ~200 ms
    # a hop, 10 ms ~4 ms (bench/faults.py). On Apache Kafka, which answers on arrival, raise it freely.
    fetch_max_wait_ms: int = 10
    # A broker away when a service starts (restarting) is waited for this long before the start fails.
    startup_broker_wait_s: float = 120.0
    # aiokafka's idempotent producer fails on Tansu (InitProducerId); turn it on for Apache Kafka / Redpanda
    idempotent_producer: bool = False

    # Topics
    topic_requests: str = "refinery.requests"
    topic_generate_prefix: str = "refinery.generate."
    topic_drafts: str = "refinery.drafts"
    topic_revise: str = "refinery.revise"
    topic_results: str = "refinery.results"
    topic_errors: str = "refinery.errors"
    topic_retry_prefix: str = "refinery.retry."  # + <stage>.<delay>ms: failed records waiting for a retry
    topic_dlq: str = "refinery.dlq"  # records that failed every retry, with their history in headers

    # Requests and the loop
    max_request_bytes: int = 512 * 1024
    max_rounds: int = 2
    escalation: bool = True  # a doubted draft, or one failing at the round cap, is generated a tier up
    max_escalations: int = 2
    grounding_threshold: float = 0.7  # cosine to the best context passage for an unmatched string
    menu_judge_margin: float | None = 0.2  # cosine by which another offered call must fit better (None: off)
    # a menu is drafted from the calls within this cosine of the ask's closest (inference/menu_shortlist.py; None: off)
    menu_shortlist_margin: float | None = 0.2
    # Drift (services/drift): a group's first drift_baseline Results are its baseline, its latest drift_window
    # the current window; a score (beyond-chance movement, in the quantity's own units) at or over
    # drift_threshold is an alert.
    drift_threshold: float = 0.2
    drift_baseline: int = 30
    drift_window: int = 30
    dedupe_capacity: int = 100_000
    results_lookback_h: float = 168.0  # how far back a starting service reads the Result topic for answered ids

    # Failures
    retry_delays_ms: list[int] = [2_000, 30_000]  # one retry after each (±20 % jitter), then the DLQ
    message_timeout_s: float = 900.0  # a record's work past this is a failure (retried, then dead-lettered)
    max_crashes: int = 3  # a record whose work killed its worker this often is dead-lettered, not retried
    delivery_log: Path | None = None  # where a worker notes work started and ended; default under the temp dir
    error_payloads: Literal["redacted", "preview"] = "redacted"  # preview: the payload's first 2 KiB
    # At start-up, create missing topics and read which requests have a Result (exactly one Result per id
    # across restarts). Off only for in-memory test brokers, which have no admin API or topic to read.
    read_broker_state: bool = True

    # Router (classifier)
    router_model: Path = REPO_ROOT / "models" / "router.onnx"  # built by `make train`
    router_cost_weight: float = 0.1  # 0 = best predicted quality at any cost; higher = cheaper tiers
    classifier_batch_max: int = 256  # requests classified in one model call
    classifier_batch_timeout_ms: int = 20  # how long a batch may wait to fill

    # Models
    tiers_file: Path = REPO_ROOT / "config" / "tiers.toml"
    generator_tiers: str = ""  # comma-separated tiers this generator serves; empty = all
    refiner_tier: str = ""  # tier the refiner uses; empty = the draft's own tier
    model_threads: int = 0  # 0 = all cores this process may use
    batch_window_ms: int = 10  # dynamic batching: how long a model call waits for others to share its passes
    constrained_decoder: Literal["llguidance", "gbnf"] = "llguidance"  # see bench/results/constrained.json
    model_cache: Path = Path.home() / ".cache" / "refinery" / "models"  # assembled model files

    # Telemetry
    otel_exporter: Literal["none", "console", "otlp-grpc", "otlp-http"] = "none"
    otel_endpoint: str | None = None  # gRPC: host:port; HTTP: base URL (…/v1/traces is appended)
    otel_capture_content: bool = False  # record prompts and outputs in spans
    otel_metrics_interval_ms: int = 10_000
    metrics_port: int = 0  # Prometheus scrape endpoint; 0 = off
    metrics_host: str = "0.0.0.0"

    # Kubernetes probes
    health_port: int = 0  # /livez and /readyz; 0 = off
    health_host: str = "0.0.0.0"
    drain_timeout_s: float = 120.0  # SIGTERM: finish the in-flight message (and commit) within this

    def sasl_secret(self) -> str | None:
        if self.sasl_password_file is not None:
            return self.sasl_password_file.read_text().strip()
        return self.sasl_password

    def generate_topic(self, tier: str) -> str:
        return f"{self.topic_generate_prefix}{tier}"

    def retry_topic(self, stage: str, delay_ms: int) -> str:
        return f"{self.topic_retry_prefix}{stage}.{delay_ms}ms"

    def group(self, service: str) -> str:
        return f"{self.group_prefix}-{service}"

    def threads(self) -> int:
        return self.model_threads or len(os.sched_getaffinity(0))


@lru_cache
def get_settings() -> Settings:
    return Settings()
