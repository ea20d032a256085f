"""A learned verifier beside the confidence threshold, on the calibration drafts (no model call).

Per tier, a logistic regression over what the critic can compute for free (the drafting model's least and
mean log P and its number of choices; free-text and number fields left unfilled; values the request
states, and those the draft drops or makes up; functions offered; prompt and output size) predicts whether
a draft the deterministic checks pass is right. Trained on the router's training split, scored on its
held-out split (`training.held_out`), against the least log P alone: ranking quality (AUC) of each score
at telling right drafts from wrong ones. Writes bench/results/learned_verifier.json.

    .venv/bin/python -m bench.learned_verifier
"""

import math
import platform
from pathlib import Path

import numpy as np
import orjson
from sklearn.linear_model import LogisticRegression

from services.classifier.training import held_out
from services.critic.request_coverage import free_number, free_text, omitted_values, stated_values, unfilled_fields
from services.critic.request_support import unsupported_values
from services.documents.bfcl import read_jsonl

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "learned_verifier.json"
FEATURES = (
    "min_logprob",
    "mean_logprob",
    "log_choices",
    "unfilled_text",
    "unfilled_numbers",
    "stated_values",
    "omitted_values",
    "unsupported_values",
    "functions_offered",
    "log_input_tokens",
    "log_output_tokens",
)


def features(record: dict, request: dict) -> list[float]:
    confidence = record.get("confidence") or {}
    output, schema, prompt = record["output"], request["schema"], request["prompt"]
    return [
        confidence.get("min_logprob", -10.0),
        confidence.get("mean_logprob", -10.0),
        math.log1p(confidence.get("choices", 0)),
        len(unfilled_fields(output, schema, free_text)),
        len(unfilled_fields(output, schema, free_number)),
        len(stated_values(prompt)),
        len(omitted_values(output, schema, prompt)),
        len(unsupported_values(output, schema, prompt)),
        len(schema.get("anyOf", [])),
        math.log1p(record["input_tokens"]),
        math.log1p(record["output_tokens"]),
    ]


def auc(score: np.ndarray, right: np.ndarray) -> float | None:
    """P(a right draft scores above a wrong one), ties half."""
    pos, neg = score[right], score[~right]
    if not len(pos) or not len(neg):
        return None
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return round(float(wins / (len(pos) * len(neg))), 4)


def main() -> None:
    requests = {r["id"]: r for r in read_jsonl(ROOT / "build" / "tasks" / "ladder.jsonl")}
    records = [
        r
        for r in read_jsonl(ROOT / "data" / "calibration-ladder.jsonl")
        if r.get("accepted") and r.get("correct") is not None and r["task"] in requests
    ]
    report: dict = {"machine": platform.machine(), "features": FEATURES, "tiers": {}}
    for tier in ("small", "medium", "large"):
        rows = [r for r in records if r["tier"] == tier]
        x = np.array([features(r, requests[r["task"]]) for r in rows])
        right = np.array([bool(r["correct"]) for r in rows])
        test = np.array([held_out(r["task"]) for r in rows])
        mean, std = x[~test].mean(0), x[~test].std(0) + 1e-9
        model = LogisticRegression(C=1.0, max_iter=1000).fit((x[~test] - mean) / std, right[~test])
        learned = model.predict_proba((x[test] - mean) / std)[:, 1]
        report["tiers"][tier] = {
            "train_drafts": int((~test).sum()),
            "held_out_drafts": int(test.sum()),
            "held_out_wrong": int((~right[test]).sum()),
            "auc_confidence": auc(x[test, 0], right[test]),
            "auc_learned": auc(learned, right[test]),
        }
    OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(orjson.dumps(report["tiers"], option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
