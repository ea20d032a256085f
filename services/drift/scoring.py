"""How far a current window of observations has moved from its baseline.

Each component compares one quantity; its score is how far the observed difference exceeds what chance
alone gives at these window sizes (the 90th percentile of the same statistic over random re-splits of the
pooled observations, with a fixed seed: deterministic). So an unshifted stream scores ~0 however small
its windows, and a score reads in the quantity's own units:
- schemas (a tier as a whole): total variation distance between schema families (a new family, a mix
  that changed);
- acceptance: difference in acceptance rate;
- outcomes: total variation distance between outcome kinds (accepted, rejected:semantic, error, ...);
- effort: difference in mean refinement rounds + escalations, per 2 rounds (capped at 1);
- tokens: |log ratio| of mean tokens per accepted result (capped at 1);
- embedding: distance between the outputs' mean embeddings, in units of twice the baseline's spread
  (capped at 1).
The drift score is the largest component."""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from services.drift.observations import Observation

PERMUTATIONS = 60
CHANCE_QUANTILE = 0.9
Statistic = Callable[[Sequence[Observation], Sequence[Observation]], float | None]


def _total_variation(a: Sequence[object], b: Sequence[object]) -> float:
    """Half the summed difference between two categorical distributions (0: the same, 1: disjoint)."""
    ca, cb = Counter(a), Counter(b)
    return 0.5 * sum(abs(ca[k] / len(a) - cb[k] / len(b)) for k in ca.keys() | cb.keys())


def _schemas(a: Sequence[Observation], b: Sequence[Observation]) -> float:
    return _total_variation([o.schema for o in a], [o.schema for o in b])


def _acceptance(a: Sequence[Observation], b: Sequence[Observation]) -> float:
    return float(abs(np.mean([o.accepted for o in a]) - np.mean([o.accepted for o in b])))


def _outcomes(a: Sequence[Observation], b: Sequence[Observation]) -> float:
    return _total_variation([o.outcome for o in a], [o.outcome for o in b])


def _effort(a: Sequence[Observation], b: Sequence[Observation]) -> float:
    return min(1.0, abs(np.mean([o.effort for o in a]) - np.mean([o.effort for o in b])) / 2)


def _tokens(a: Sequence[Observation], b: Sequence[Observation]) -> float | None:
    ta, tb = [o.tokens for o in a if o.accepted and o.tokens], [o.tokens for o in b if o.accepted and o.tokens]
    if len(ta) < 3 or len(tb) < 3:
        return None
    return min(1.0, abs(float(np.log(np.mean(ta) / np.mean(tb)))))


def _embedding(a: Sequence[Observation], b: Sequence[Observation]) -> float | None:
    ea = [o.embedding for o in a if o.embedding is not None]
    eb = [o.embedding for o in b if o.embedding is not None]
    if len(ea) < 3 or len(eb) < 3:
        return None
    base, current = np.stack(ea), np.stack(eb)
    centre = base.mean(axis=0)
    spread = float(np.linalg.norm(base - centre, axis=1).mean()) or 1e-6
    return min(1.0, float(np.linalg.norm(current.mean(axis=0) - centre)) / (2 * spread))


COMPONENTS: dict[str, Statistic] = {
    "schemas": _schemas,
    "acceptance": _acceptance,
    "outcomes": _outcomes,
    "effort": _effort,
    "tokens": _tokens,
    "embedding": _embedding,
}


@dataclass(frozen=True)
class Movement:
    component: str
    observed: float  # the statistic between baseline and current
    chance: float  # what random re-splits give (90th percentile)

    @property
    def excess(self) -> float:
        return max(0.0, self.observed - self.chance)


def movements(
    baseline: Sequence[Observation], current: Sequence[Observation], skip: frozenset[str] = frozenset()
) -> list[Movement]:
    """Each component (but `skip`) that can be measured on these windows."""
    pooled = [*baseline, *current]
    rng = np.random.default_rng(0)
    splits = [rng.permutation(len(pooled)) for _ in range(PERMUTATIONS)]
    found = []
    for name, statistic in COMPONENTS.items():
        if name in skip:
            continue
        observed = statistic(baseline, current)
        if observed is None:
            continue
        null = []
        for order in splits:
            shuffled = [pooled[i] for i in order]
            value = statistic(shuffled[: len(baseline)], shuffled[len(baseline) :])
            null.append(0.0 if value is None else value)
        chance = float(np.quantile(null, CHANCE_QUANTILE))
        found.append(Movement(name, round(float(observed), 4), round(chance, 4)))  # plain floats: JSON-ready
    return found


def drift_score(found: list[Movement]) -> float:
    return round(max((m.excess for m in found), default=0.0), 4)
