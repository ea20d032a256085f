"""The drift monitor on Result streams: quiet while nothing changes, loud only where something did."""

import numpy as np
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from services.drift.monitor import TIER_WIDE, DriftMonitor
from services.drift.observations import Observation
from services.drift.scoring import movements
from tests.drift.streams import shifted_part, steady_part


def fed(results, monitor: DriftMonitor, start_ms: int = 0) -> DriftMonitor:
    for offset, result in enumerate(results):
        monitor.observe(result, at_ms=start_ms + offset * 1000)
    return monitor


def by_group(monitor: DriftMonitor) -> dict:
    return {(row.tier, row.schema): row for row in monitor.report()}


def test_a_steady_stream_stays_under_the_threshold() -> None:
    report = by_group(fed(steady_part(), DriftMonitor()))
    assert set(report) == {("medium", TIER_WIDE), ("medium", "weather"), ("small", TIER_WIDE), ("small", "weather")}
    assert all(not row.over_threshold and row.over_since_ms is None for row in report.values())


def test_only_the_shifted_groups_cross_and_only_after_the_shift() -> None:
    steady = steady_part()
    monitor = fed(steady, DriftMonitor())
    shift_ms = len(steady) * 1000
    report = by_group(fed(shifted_part(), monitor, start_ms=shift_ms))
    over = {key for key, row in report.items() if row.over_threshold}
    assert over == {("small", TIER_WIDE), ("small", "weather"), ("medium", TIER_WIDE)}
    assert report[("medium", "invoice")].new and not report[("medium", "weather")].new
    assert "schemas" in {m.component for m in report[("medium", TIER_WIDE)].moved}
    assert all(report[key].over_since_ms >= shift_ms for key in over)
    degraded = {m.component for m in report[("small", TIER_WIDE)].moved}
    assert {"acceptance", "outcomes"} <= degraded


def test_a_new_schema_family_moves_the_embeddings() -> None:
    """With the outputs embedded (random directions per family stand in for the encoder here; the
    broker test uses the real one), the tier as a whole drifts when a new family arrives."""
    rng = np.random.default_rng(0)
    direction = {"weather": rng.normal(size=16), "invoice": rng.normal(size=16)}

    def embed(texts: list[str]) -> np.ndarray:
        return np.stack([direction["invoice" if "customer" in t else "weather"] + rng.normal(size=16) for t in texts])

    monitor = fed(steady_part(), DriftMonitor(embed=embed))
    report = by_group(fed(shifted_part(), monitor, start_ms=10**6))
    assert report[("medium", TIER_WIDE)].over_threshold
    assert "embedding" in {m.component for m in report[("medium", TIER_WIDE)].moved}
    assert not report[("medium", "weather")].over_threshold


def test_movement_beyond_chance_is_zero_for_identical_windows() -> None:
    rows = [Observation(i, "t", "s", i % 2 == 0, "accepted", 0, 100, None) for i in range(40)]
    assert all(m.excess == 0 for m in movements(rows[:20], rows[20:]))


@pytest.mark.parametrize("size", [10, 30])
def test_windows_are_bounded(size: int) -> None:
    monitor = fed(steady_part() * 2, DriftMonitor(baseline_size=size, window_size=size))
    assert all(len(g.baseline) <= size and len(g.current) <= size for g in monitor.groups.values())


def test_scores_are_exported_as_an_opentelemetry_gauge() -> None:
    from services.runtime.metrics import drift_scores, observe_drift

    reader = InMemoryMetricReader()  # a provider of the test's own: the global one is set once per process
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    meter.create_observable_gauge("refinery.drift.score", callbacks=[drift_scores])
    observe_drift(fed([*steady_part(), *shifted_part()], DriftMonitor()), "critic")
    points = [
        point
        for resource in reader.get_metrics_data().resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "refinery.drift.score"
        for point in metric.data.data_points
    ]
    # other tests' services may have registered their stages' monitors in this process too
    scores = {
        (p.attributes["refinery.tier"], p.attributes["refinery.schema"]): p.value
        for p in points
        if p.attributes["refinery.stage"] == "critic"
    }
    assert scores[("small", TIER_WIDE)] >= 0.2 > scores[("medium", "weather")]
