"""Router benchmark → bench/results/routing.json.

On the held-out calibration tasks (never trained on; `training.held_out`): accuracy (passed = critic
accepted and, for BFCL, equal to the ground truth) and total cost of always-small, always-large, random,
the oracle, and the ONNX router at several cost weights. Plus classifier throughput, batched, on this CPU:
features + one model call per batch, as the service does it.

    .venv/bin/python -m bench.routing [--tasks build/tasks/ladder.jsonl] [--calibration data/calibration-ladder.jsonl]
"""

import platform
import statistics
import time
from pathlib import Path

import numpy as np
import orjson

from bench.calibration_files import calibration_args
from services.classifier.features import feature_matrix
from services.classifier.model import RouterModel, choose
from services.classifier.training import load_calibration
from services.inference.tiers import load_tiers
from services.settings import Settings

OUT = Path(__file__).parent / "results" / "routing.json"
KNOBS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0)


def score(passed: np.ndarray, cost: np.ndarray, picks: np.ndarray) -> dict[str, float]:
    rows = np.arange(len(picks))
    return {"accuracy": round(float(passed[rows, picks].mean()), 4), "cost": round(float(cost[rows, picks].sum()), 8)}


def throughput(model: RouterModel, requests: list, batch: int, total: int) -> dict[str, float]:
    pool = (requests * (total // len(requests) + 1))[:total]
    times = []
    started = time.perf_counter()
    for i in range(0, total, batch):
        t0 = time.perf_counter()
        chunk = pool[i : i + batch]
        choose(model.predict(feature_matrix(chunk)), model.costs, 0.1)
        times.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - started
    return {"batch": batch, "per_s": round(total / wall, 1), "batch_ms_p50": round(statistics.median(times), 3)}


def main() -> None:
    args = calibration_args()
    settings = Settings()
    tiers = list(load_tiers(settings.tiers_file))
    model = RouterModel(settings.router_model, tiers)
    train_set, test = load_calibration([args.tasks], [args.calibration], tiers).split()
    probabilities = model.predict(feature_matrix(test.requests))
    n = len(test.requests)
    baselines = {f"always_{tier}": score(test.passed, test.cost, np.full(n, t)) for t, tier in enumerate(tiers)}
    rng = np.random.default_rng(0)
    draws = [score(test.passed, test.cost, rng.integers(0, len(tiers), n)) for _ in range(1000)]
    baselines["random"] = {k: round(float(np.mean([d[k] for d in draws])), 8) for k in ("accuracy", "cost")}
    # Oracle: the cheapest tier that passed, or the smallest when none did.
    oracle = np.where(test.passed.any(axis=1), test.passed.argmax(axis=1), 0)
    baselines["oracle"] = score(test.passed, test.cost, oracle)
    large = baselines[f"always_{tiers[-1]}"]
    curve = [{"knob": k, **score(test.passed, test.cost, choose(probabilities, model.costs, k))} for k in KNOBS]
    matching = [c for c in curve if c["accuracy"] >= large["accuracy"] - 0.01]
    best = min(matching, key=lambda c: c["cost"]) if matching else None
    default = (
        next(c for c in curve if c["knob"] == settings.router_cost_weight)
        if settings.router_cost_weight in KNOBS
        else None
    )
    speed = [throughput(model, test.requests, batch, 20_000) for batch in (1, 64, 256)]
    result = {
        "tiers": tiers,
        "held_out_tasks": n,
        "train_tasks": len(train_set.requests),
        "pass_rate_by_tier": {t: round(float(test.passed[:, i].mean()), 4) for i, t in enumerate(tiers)},
        "large_accuracy": large["accuracy"],
        "large_cost": large["cost"],
        "router_accuracy": best["accuracy"] if best else None,
        "router_knob": best["knob"] if best else None,
        "cost_share_at_large_accuracy": round(best["cost"] / large["cost"], 4) if best else None,
        "default_knob": settings.router_cost_weight,
        "default_point": default,
        "baselines": baselines,
        "curve": curve,
        "classify_per_s": max(s["per_s"] for s in speed),
        "throughput": speed,
        "provider": model.provider,
        "machine": f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores",
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
