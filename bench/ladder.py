"""Tier-ladder benchmark → bench/results/ladder.json.

From calibration outcomes (`refinery calibrate`: every task on every tier, the generator's draft judged by
the critic's deterministic checks, with the drafting model's confidence and the BFCL answer), on the tasks
held out from training (`training.held_out`, never tuned on), side by side:

- always-<tier>, random, oracle (the cheapest tier that got it right), the router (its ONNX model),
- cascade from the smallest tier: a draft is accepted when the critic passes it and the verifier does not
  doubt it, else the request climbs a tier (what services/critic/decide.py does, minus refinement rounds),
- router + cascade: the cascade starting at the router's tier.

Per policy: accuracy (accepted and right, over all tasks), false-accept rate (wrong among accepted), cost and
tokens per task, p50 latency (the tiers' drafting times added up). The verifier's thresholds are fitted on
the training split only. Tokens/s per tier come from bench/tier_speed.py (tier_speed.json).

    .venv/bin/python -m bench.ladder [--tasks build/tasks/ladder.jsonl] [--calibration data/calibration-ladder.jsonl]
"""

import platform
import statistics
from pathlib import Path

import numpy as np
import orjson

from bench.calibration_files import calibration_args
from bench.ladder_outcomes import Outcomes, fit_thresholds, load, trusted
from services.classifier.features import feature_matrix
from services.classifier.model import RouterModel, choose
from services.classifier.training import held_out
from services.inference.tiers import load_tiers
from services.settings import Settings

OUT = Path(__file__).parent / "results" / "ladder.json"


def cascade(data: Outcomes, trust: np.ndarray, start: np.ndarray) -> dict[str, np.ndarray]:
    n, tiers = trust.shape
    accepted = np.zeros(n, bool)
    right = np.zeros(n, bool)
    cost, tokens, ms, used = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, int)
    for i in range(n):
        for t in range(start[i], tiers):
            cost[i] += data.cost[i, t]
            tokens[i] += data.tokens[i, t]
            ms[i] += data.ms[i, t]
            used[i] = t
            if trust[i, t]:
                accepted[i], right[i] = True, data.correct[i, t]
                break
    return {"accepted": accepted, "right": right, "cost": cost, "tokens": tokens, "ms": ms, "tier": used}


def single(data: Outcomes, trust: np.ndarray, picks: np.ndarray) -> dict[str, np.ndarray]:
    rows = np.arange(len(picks))
    accepted = trust[rows, picks]
    return {
        "accepted": accepted,
        "right": accepted & data.correct[rows, picks],
        "cost": data.cost[rows, picks],
        "tokens": data.tokens[rows, picks],
        "ms": data.ms[rows, picks],
        "tier": picks,
    }


def summary(outcome: dict[str, np.ndarray]) -> dict[str, float | None]:
    accepted = outcome["accepted"]
    wrong_accepted = accepted & ~outcome["right"]
    return {
        "accuracy": round(float(outcome["right"].mean()), 4),
        "accepted": round(float(accepted.mean()), 4),
        "false_accept_rate": round(float(wrong_accepted.sum() / accepted.sum()), 4) if accepted.any() else None,
        "cost_per_task": round(float(outcome["cost"].mean()), 8),
        "tokens_per_task": round(float(outcome["tokens"].mean()), 1),
        "p50_ms": round(float(np.median(outcome["ms"])), 1),
    }


def flag_scores(flagged: np.ndarray, wrong: np.ndarray) -> dict[str, float | int | None]:
    hits = int((flagged & wrong).sum())
    return {
        "flagged": int(flagged.sum()),
        "precision": round(hits / flagged.sum(), 4) if flagged.any() else None,
        "recall": round(hits / wrong.sum(), 4) if wrong.any() else None,
    }


def verifier_report(data: Outcomes, thresholds: list[float | None], tiers: list[str]) -> dict[str, dict]:
    """Precision and recall at flagging wrong drafts, among those the schema-level checks pass: by the
    request-support check, by the request-coverage check, by the model's confidence, and by any (what the
    critic does)."""
    report = {}
    for t, tier in enumerate(tiers):
        threshold = thresholds[t]
        doubted = ~data.supported[:, t] | ~data.covered[:, t]
        judged = data.accepted[:, t] | doubted  # passing everything but the request checks
        wrong = judged & ~data.correct[:, t]
        unsure = judged & (data.confidence[:, t] < (threshold if threshold is not None else -np.inf))
        made_up = judged & ~data.supported[:, t]

        report[tier] = {
            "threshold_min_logprob": threshold,
            "drafts": int(judged.sum()),
            "wrong": int(wrong.sum()),
            **flag_scores(unsure | doubted, wrong),
            "request_support_only": flag_scores(made_up, wrong),
            "request_coverage_only": flag_scores(judged & ~data.covered[:, t], wrong),
            "confidence_only": flag_scores(unsure, wrong),
        }
    return report


def policies(test: Outcomes, thresholds: list[float | None], router: RouterModel, knob: float) -> dict[str, dict]:
    n, tiers = test.accepted.shape
    plain = trusted(test, [None] * tiers)
    verified = trusted(test, thresholds)
    out = {f"always_{name}": summary(single(test, plain, np.full(n, t))) for t, name in enumerate(router.tiers)}
    rng = np.random.default_rng(0)
    draws = [summary(single(test, plain, rng.integers(0, tiers, n))) for _ in range(200)]
    out["random"] = {k: round(statistics.fmean(d[k] for d in draws if d[k] is not None), 8) for k in draws[0]}
    first_right = np.where(test.correct.any(axis=1), test.correct.argmax(axis=1), 0)
    out["oracle"] = summary(single(test, test.correct, first_right))
    from schemas import GenerationRequest

    requests = [GenerationRequest.model_validate(r) for r in test.requests]
    picks = choose(router.predict(feature_matrix(requests)), router.costs, knob)
    out["router"] = summary(single(test, plain, picks))
    out[f"always_{router.tiers[-1]}_verified"] = summary(single(test, verified, np.full(n, tiers - 1)))
    # A tier the verifier can never trust (threshold 1.0) is skipped: paying for its draft buys nothing.
    first = next((t for t, v in enumerate(thresholds) if v is None or v <= 0), tiers - 1)
    out["cascade"] = summary(cascade(test, verified, np.full(n, first)))
    out["router_cascade"] = summary(cascade(test, verified, np.maximum(picks, first)))
    out["cascade_no_verifier"] = summary(cascade(test, plain, np.zeros(n, int)))
    return out


def top_threshold_curve(test: Outcomes, thresholds: list[float | None]) -> list[dict]:
    """The cascade as the top tier's threshold moves: accuracy traded for fewer wrong acceptances."""
    n, tiers = test.accepted.shape
    first = next((t for t, v in enumerate(thresholds) if v is None or v <= 0), tiers - 1)
    curve = []
    for top in (None, -1.5, -1.0, -0.7, -0.5, -0.3, -0.2, -0.1):
        outcome = cascade(test, trusted(test, [*thresholds[:-1], top]), np.full(n, first))
        curve.append({"top_threshold": top, **summary(outcome)})
    return curve


def main() -> None:
    args = calibration_args()
    settings = Settings()
    tier_map = load_tiers(settings.tiers_file)
    tiers = list(tier_map)
    data = load(args.tasks, args.calibration, tiers)
    test_mask = np.array([held_out(i) for i in data.ids])
    train, test = data.rows(~test_mask), data.rows(test_mask)
    thresholds = fit_thresholds(train)
    router = RouterModel(settings.router_model, tiers)
    table = policies(test, thresholds, router, settings.router_cost_weight)
    large = table[f"always_{tiers[-1]}"]
    eligible = {
        k: v
        for k, v in table.items()
        if k not in ("oracle", "cascade_no_verifier") and v["accuracy"] >= large["accuracy"] - 0.01
    }
    best = min(eligible, key=lambda k: eligible[k]["cost_per_task"])
    speed_path = OUT.with_name("tier_speed.json")
    speed = orjson.loads(speed_path.read_bytes()) if speed_path.exists() else {}
    report = {
        "machine": f"{platform.machine()}, 2 cores, CPU only",
        "held_out_tasks": len(test.ids),
        "train_tasks": len(train.ids),
        "categories": sorted({r["metadata"].get("category", "simple_python") for r in data.requests}),
        "tiers": [
            {
                "name": name,
                "model": tier_map[name].model_name,
                "accuracy": table[f"always_{name}"]["accuracy"],
                "cost_per_task": table[f"always_{name}"]["cost_per_task"],
                "decode_tok_s": speed.get(name, {}).get("decode_tok_s_2_threads"),
            }
            for name in tiers
        ],
        "verifier": {
            "kind": "values the request does not mention (deterministic) or the drafting model's own low "
            "confidence (least confident pick's log P): zero extra tokens",
            "thresholds": dict(zip(tiers, thresholds, strict=True)),
            **verifier_report(test, thresholds, tiers)[tiers[1] if len(tiers) > 2 else tiers[0]],
            "tokens_per_check": 0,
            "per_tier": verifier_report(test, thresholds, tiers),
        },
        "policies": table,
        "cascade_top_threshold_curve": top_threshold_curve(test, thresholds),
        "best_policy": best,
        "cost_share_at_large_accuracy": round(table[best]["cost_per_task"] / large["cost_per_task"], 4),
        "tier_speed": speed,
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY) + b"\n")
    shown = {k: v for k, v in report.items() if k != "tier_speed"}
    print(orjson.dumps(shown, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY).decode())


if __name__ == "__main__":
    main()
