"""Calibration outcomes as matrices (task × tier) and the verifier thresholds fitted on them, for
bench/ladder.py: what each tier's draft was (accepted by the checks, right, how sure, what it cost)."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.documents.bfcl import read_jsonl

THRESHOLDS = [round(-x, 2) for x in np.arange(0.0, 6.01, 0.05)]  # candidate min-logprob thresholds
MAX_FALSE_ACCEPT = 0.10
TOP_LOSS = 0.01  # right answers the top tier's threshold may turn away, as a share of tasks


MATRICES = ("accepted", "supported", "covered", "correct", "confidence", "cost", "tokens", "ms")


@dataclass
class Outcomes:
    """Per task (rows) and tier (columns), from the calibration records."""

    ids: list[str]
    requests: list[dict]
    accepted: np.ndarray  # the critic's deterministic checks passed
    supported: np.ndarray  # no value the request does not mention (critic/request_support.py)
    covered: np.ndarray  # no value the request states dropped (critic/request_coverage.py)
    correct: np.ndarray  # equal to BFCL's answer
    confidence: np.ndarray  # least confident pick's log P (-inf where the tier produced nothing)
    cost: np.ndarray
    tokens: np.ndarray
    ms: np.ndarray

    def rows(self, mask: np.ndarray) -> "Outcomes":
        pick = np.flatnonzero(mask)
        return Outcomes(
            [self.ids[i] for i in pick],
            [self.requests[i] for i in pick],
            *(getattr(self, f)[pick] for f in MATRICES),
        )


def load(tasks: Path, calibration: Path, tiers: list[str]) -> Outcomes:
    records = {(r["task"], r["tier"]): r for r in read_jsonl(calibration)}
    rows = [t for t in read_jsonl(tasks) if all((t["id"], tier) in records for tier in tiers)]

    def column(field: str, default: float = 0.0) -> np.ndarray:
        return np.array([[records[(t["id"], tier)].get(field) or default for tier in tiers] for t in rows], float)

    def least(record: dict) -> float:
        return (record.get("confidence") or {}).get("min_logprob", -np.inf)

    confidence = np.array([[least(records[(t["id"], tier)]) for tier in tiers] for t in rows])

    def without(code: str) -> np.ndarray:
        return np.array([[code not in records[(t["id"], tier)].get("verdicts", []) for tier in tiers] for t in rows])

    tokens = column("input_tokens") + column("output_tokens")
    return Outcomes(
        [t["id"] for t in rows],
        rows,
        column("accepted").astype(bool),
        without("grounding:request"),
        without("semantic:omitted"),
        column("correct").astype(bool),
        confidence,
        column("cost"),
        tokens,
        column("seconds") * 1000,
    )


def trusted(data: Outcomes, thresholds: list[float | None]) -> np.ndarray:
    """Where a tier's draft would be accepted: the critic passes it and the verifier does not doubt it."""
    bar = np.array([-np.inf if t is None else t for t in thresholds])
    return data.accepted & (data.confidence >= bar[None, :])


def fit_thresholds(train: Outcomes) -> list[float | None]:
    """Fitted on the training split only. Below the top: per tier, the most lenient threshold whose trusted
    drafts are wrong at most MAX_FALSE_ACCEPT of the time (1.0, trusting nothing, when none is); a doubted
    draft only costs an escalation there. At the top a doubted draft is rejected, so there the strictest
    threshold that turns away right answers on at most TOP_LOSS of the tasks: it trades a point of
    accuracy for fewer wrong acceptances."""
    tiers = train.accepted.shape[1]
    chosen: list[float | None] = []
    for t in range(tiers - 1):
        best = None
        for threshold in THRESHOLDS:  # from the strictest (0.0) to the most lenient
            keep = train.accepted[:, t] & (train.confidence[:, t] >= threshold)
            if keep.sum() >= 5 and (~train.correct[keep, t]).mean() <= MAX_FALSE_ACCEPT:
                best = threshold  # keep going: a more negative threshold trusts more drafts
        chosen.append(float(best) if best is not None else 1.0)
    top = tiers - 1
    right = train.accepted[:, top] & train.correct[:, top]
    strictest = None
    for threshold in reversed(THRESHOLDS):  # from the most lenient to the strictest
        lost = (right & (train.confidence[:, top] < threshold)).sum() / len(right)
        if lost > TOP_LOSS:
            break
        strictest = float(threshold)
    return [*chosen, strictest]
