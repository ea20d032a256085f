"""Refinery's own outcome metrics: requests taken in, Results by status, tokens and cost per stage, latency,
critic failures, refinement rounds, retries and dead letters per stage (model-call metrics: inference/spans.py)."""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Observation

from schemas import Result
from services.drift.monitor import DriftMonitor
from services.inference.spans import seconds_histogram


@dataclass(frozen=True)
class Instruments:
    requests: Counter
    results: Counter
    tokens: Counter
    cost: Counter
    latency: Histogram
    critic_failures: Counter
    refine_rounds: Histogram
    retries: Counter
    dead_letters: Counter
    duplicates: Counter


@lru_cache
def instruments() -> Instruments:
    meter = metrics.get_meter("refinery")
    return Instruments(
        requests=meter.create_counter("refinery.requests", unit="{request}", description="Requests taken in"),
        results=meter.create_counter("refinery.results", unit="{result}", description="Results by status"),
        tokens=meter.create_counter("refinery.tokens", unit="{token}", description="Tokens by stage and type"),
        cost=meter.create_counter("refinery.cost", unit="1", description="Ledger cost of finished requests"),
        latency=seconds_histogram("refinery.request.duration", "Receipt to Result"),
        critic_failures=meter.create_counter(
            "refinery.critic.failures", unit="{verdict}", description="Failing verdicts by kind"
        ),
        refine_rounds=meter.create_histogram(
            "refinery.refine.rounds",
            unit="{round}",
            description="Refinement rounds per finished request",
            explicit_bucket_boundaries_advisory=[0, 1, 2, 3, 4, 5],
        ),
        retries=meter.create_counter("refinery.retries", unit="{record}", description="Records sent to a retry"),
        dead_letters=meter.create_counter(
            "refinery.dead_letters", unit="{record}", description="Records dead-lettered after their last retry"
        ),
        duplicates=meter.create_counter(
            "refinery.duplicates", unit="{record}", description="Work or Results skipped: the request had a Result"
        ),
    )


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


_drift_monitors: dict[str, DriftMonitor] = {}


def drift_scores(_: CallbackOptions) -> Iterable[Observation]:
    for stage, monitor in list(_drift_monitors.items()):
        for (tier, schema), score in monitor.scores().items():
            yield Observation(score, {"refinery.stage": stage, "refinery.tier": tier, "refinery.schema": schema})


@lru_cache
def _drift_gauge() -> None:
    metrics.get_meter("refinery").create_observable_gauge(
        "refinery.drift.score",
        callbacks=[drift_scores],
        unit="1",
        description="How far a tier's (schema '*') or a schema family's Results moved from their baseline, "
        "beyond chance; alert at DRIFT_THRESHOLD",
    )


def observe_drift(monitor: DriftMonitor, stage: str) -> None:
    """Export the stage's drift scores (one gauge per process, every stage's monitor on it)."""
    _drift_monitors[stage] = monitor
    _drift_gauge()
