"""Train the router from calibration outcomes and export it as one ONNX graph (`make train`).

Per tier, a logistic regression predicts P(the tier's draft passes) from `feature_matrix`; the scaler is
folded into the weights, so the graph is MatMul → Add → Sigmoid with one output column per tier. A fixed
share of tasks (by a hash of the id) is held out and never trained on: bench/routing.py scores on it.
Everything is deterministic: same inputs, same bytes out.
"""

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from schemas import GenerationRequest
from services.classifier.features import FEATURE_DIM, FEATURE_VERSION, feature_matrix
from services.classifier.model import INPUT, OUTPUT
from services.documents.bfcl import read_jsonl

HELD_OUT_PERCENT = 30
CS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)


def held_out(task_id: str) -> bool:
    return zlib.crc32(task_id.encode()) % 100 < HELD_OUT_PERCENT


@dataclass
class CalibrationSet:
    """Tasks with one outcome per tier: passed[i, t], cost[i, t]."""

    requests: list[GenerationRequest]
    tiers: list[str]
    passed: np.ndarray
    cost: np.ndarray

    def subset(self, mask: np.ndarray) -> "CalibrationSet":
        rows = np.flatnonzero(mask)
        return CalibrationSet([self.requests[i] for i in rows], self.tiers, self.passed[rows], self.cost[rows])

    def split(self) -> tuple["CalibrationSet", "CalibrationSet"]:
        test = np.array([held_out(r.id) for r in self.requests], dtype=bool)
        return self.subset(~test), self.subset(test)


def _records(paths: Iterable[Path]) -> list[dict[str, Any]]:
    return [record for path in paths for record in read_jsonl(path)]


def load_calibration(task_paths: Sequence[Path], record_paths: Sequence[Path], tiers: list[str]) -> CalibrationSet:
    """Tasks that have an outcome on every tier, in task-file order."""
    outcomes: dict[tuple[str, str], dict[str, Any]] = {}
    for record in _records(record_paths):
        outcomes[(record["task"], record["tier"])] = record
    requests, passed, cost = [], [], []
    for raw in _records(task_paths):
        if all((raw["id"], t) in outcomes for t in tiers):
            requests.append(GenerationRequest.model_validate(raw))
            passed.append([outcomes[(raw["id"], t)]["passed"] for t in tiers])
            cost.append([outcomes[(raw["id"], t)].get("cost", 0.0) for t in tiers])
    if not requests:
        raise ValueError("no task has an outcome on every tier: run `refinery calibrate` first")
    return CalibrationSet(requests, tiers, np.asarray(passed, dtype=bool), np.asarray(cost, dtype=np.float64))


@dataclass
class TrainedRouter:
    weights: np.ndarray  # [FEATURE_DIM, tiers], scaler folded in
    bias: np.ndarray  # [tiers]
    tier_costs: list[float]
    tiers: list[str]
    regularisation: list[float | None]  # chosen C per tier; None = constant (one class only)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """The same arithmetic as the ONNX graph, in numpy (the reference for parity)."""
        return 1.0 / (1.0 + np.exp(-(features.astype(np.float64) @ self.weights + self.bias)))


def _fit_tier(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, float | None]:
    """(weights, bias, C) in the scaled space of x; a constant when y has one class."""
    from sklearn.linear_model import LogisticRegressionCV

    positives = int(y.sum())
    if positives in (0, len(y)) or min(positives, len(y) - positives) < 5:
        rate = (positives + 1) / (len(y) + 2)  # Laplace: never a hard 0 or 1
        return np.zeros(x.shape[1]), float(np.log(rate / (1 - rate))), None
    model = LogisticRegressionCV(
        Cs=list(CS), l1_ratios=(0.0,), cv=5, scoring="neg_log_loss", max_iter=5000, use_legacy_attributes=False
    )
    model.fit(x, y)
    return model.coef_[0], float(model.intercept_[0]), float(model.C_)


def train(data: CalibrationSet) -> TrainedRouter:
    features = feature_matrix(data.requests).astype(np.float64)
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    scaled = (features - mean) / scale
    weights = np.zeros((FEATURE_DIM, len(data.tiers)))
    bias = np.zeros(len(data.tiers))
    chosen = []
    for t in range(len(data.tiers)):
        w, b, c = _fit_tier(scaled, data.passed[:, t])
        weights[:, t] = w / scale
        bias[t] = b - float((w * mean / scale).sum())
        chosen.append(c)
    costs = [float(c) for c in data.cost.mean(axis=0)]
    return TrainedRouter(weights, bias, costs, list(data.tiers), chosen)


def export_onnx(router: TrainedRouter, path: Path, trained_on: dict[str, Any]) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [
            helper.make_node("MatMul", [INPUT, "weights"], ["logits_raw"]),
            helper.make_node("Add", ["logits_raw", "bias"], ["logits"]),
            helper.make_node("Sigmoid", ["logits"], [OUTPUT]),
        ],
        "refinery_router",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["N", FEATURE_DIM])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["N", len(router.tiers)])],
        initializer=[
            numpy_helper.from_array(router.weights.astype(np.float32), "weights"),
            numpy_helper.from_array(router.bias.astype(np.float32), "bias"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="refinery")
    model.ir_version = 8
    for key, value in {
        "tiers": json.dumps(router.tiers),
        "tier_costs": json.dumps(router.tier_costs),
        "feature_version": FEATURE_VERSION,
        "regularisation": json.dumps(router.regularisation),
        "trained_on": json.dumps(trained_on, sort_keys=True),
    }.items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.SerializeToString())


def train_and_export(
    task_paths: Sequence[Path], record_paths: Sequence[Path], tiers: list[str], out: Path
) -> tuple[TrainedRouter, CalibrationSet, CalibrationSet]:
    train_set, test_set = load_calibration(task_paths, record_paths, tiers).split()
    router = train(train_set)
    summary = {
        "train_tasks": len(train_set.requests),
        "held_out_tasks": len(test_set.requests),
        "held_out_percent": HELD_OUT_PERCENT,
    }
    export_onnx(router, out, summary)
    return router, train_set, test_set
