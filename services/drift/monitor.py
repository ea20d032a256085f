"""Rolling drift statistics per tier and per (tier, schema family), fed with every finished request.

A group's baseline is its first `baseline_size` observations; its current window the latest `window_size`
after those. A schema family first seen after its tier's baseline was complete is new: it is compared with
its tier's baseline (what that tier normally sees and produces), so a new family shows up as drift on its
own line. The report says what moved, by how much beyond chance, since when the score has been over the
alert threshold, and when it first crossed it and its peak (a shift that has passed is still reported)."""

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from schemas import Result
from services.drift.observations import Observation, observation, output_text
from services.drift.scoring import Movement, drift_score, movements
from services.settings import Settings

Embed = Callable[[list[str]], np.ndarray]
TIER_WIDE = "*"


@dataclass
class Group:
    tier: str
    schema: str  # TIER_WIDE for the tier as a whole
    baseline_size: int
    window_size: int
    baseline: list[Observation] = field(default_factory=list)
    current: deque[Observation] = field(default_factory=deque)
    reference: "Group | None" = None  # a new schema family is compared with its tier's baseline
    first_ms: int = 0
    score: float = 0.0
    moved: list[Movement] = field(default_factory=list)
    over_since_ms: int | None = None  # the current spell over the threshold began
    first_crossed_ms: int | None = None  # the first time it ever crossed (kept after it recovers)
    peak: float = 0.0

    def add(self, seen: Observation) -> None:
        self.first_ms = self.first_ms or seen.at_ms
        if self.reference is None and len(self.baseline) < self.baseline_size:
            self.baseline.append(seen)
            return
        self.current.append(seen)
        while len(self.current) > self.window_size:
            self.current.popleft()

    def rescore(self, at_ms: int, min_window: int, threshold: float) -> None:
        base = self.reference.baseline if self.reference is not None else self.baseline
        if len(self.current) < min_window or len(base) < min_window:
            return
        within_family = frozenset({"schemas"}) if self.schema != TIER_WIDE else frozenset()
        self.moved = movements(base, list(self.current), skip=within_family)
        self.score = drift_score(self.moved)
        self.peak = max(self.peak, self.score)
        if self.score >= threshold:
            self.over_since_ms = self.over_since_ms or at_ms
            self.first_crossed_ms = self.first_crossed_ms or at_ms
        else:
            self.over_since_ms = None


@dataclass(frozen=True)
class GroupReport:
    tier: str
    schema: str
    new: bool
    observations: int
    score: float
    over_threshold: bool
    over_since_ms: int | None
    first_crossed_ms: int | None
    peak: float
    first_ms: int
    moved: list[Movement]


class DriftMonitor:
    def __init__(
        self,
        *,
        baseline_size: int = 30,
        window_size: int = 30,
        min_window: int = 10,
        threshold: float = 0.2,
        embed: Embed | None = None,
    ) -> None:
        self.baseline_size, self.window_size, self.min_window = baseline_size, window_size, min_window
        self.threshold = threshold
        self.embed = embed
        self.groups: dict[tuple[str, str], Group] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, embed: Embed | None = None) -> "DriftMonitor":
        return cls(
            baseline_size=settings.drift_baseline,
            window_size=settings.drift_window,
            threshold=settings.drift_threshold,
            embed=embed,
        )

    def _group(self, tier: str, schema: str) -> Group:
        key = (tier, schema)
        if key not in self.groups:
            whole = self.groups.get((tier, TIER_WIDE))
            late = schema != TIER_WIDE and whole is not None and len(whole.baseline) >= self.baseline_size
            reference = whole if late else None
            self.groups[key] = Group(tier, schema, self.baseline_size, self.window_size, reference=reference)
        return self.groups[key]

    def observe(self, result: Result, at_ms: int | None = None) -> None:
        at_ms = at_ms if at_ms is not None else int(time.time() * 1000)
        text = output_text(result) if self.embed is not None else None
        embedding = self.embed([text])[0] if self.embed is not None and text is not None else None
        seen = observation(result, at_ms, embedding)
        with self._lock:
            for group in (self._group(seen.tier, TIER_WIDE), self._group(seen.tier, seen.schema)):
                group.add(seen)
                group.rescore(at_ms, self.min_window, self.threshold)

    def scores(self) -> dict[tuple[str, str], float]:
        with self._lock:
            return {key: group.score for key, group in self.groups.items()}

    def report(self) -> list[GroupReport]:
        """Every group, the most drifted first."""
        with self._lock:
            rows = [
                GroupReport(
                    tier=g.tier,
                    schema=g.schema,
                    new=g.reference is not None,
                    observations=len(g.baseline) + len(g.current),
                    score=g.score,
                    over_threshold=g.score >= self.threshold,
                    over_since_ms=g.over_since_ms,
                    first_crossed_ms=g.first_crossed_ms,
                    peak=g.peak,
                    first_ms=g.first_ms,
                    moved=[m for m in g.moved if m.excess > 0],
                )
                for g in self.groups.values()
            ]
        return sorted(rows, key=lambda r: (-r.score, r.tier, r.schema))
