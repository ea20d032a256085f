"""The router's ONNX model: per-tier pass probabilities, and the policy that turns them into a tier.

The graph (built by `services/classifier/training.py`) maps `features` [N, FEATURE_DIM] to
`pass_probability` [N, tiers]: one logistic regression per tier, P(the tier's draft passes). Its metadata
names the tiers (smallest first), their mean cost per request in calibration, and the feature version.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.classifier.features import FEATURE_DIM, FEATURE_VERSION

INPUT, OUTPUT = "features", "pass_probability"


class RouterModelError(RuntimeError):
    """The router model is missing, unreadable or does not fit this deployment."""


@dataclass(frozen=True)
class Choice:
    tier: int
    probabilities: tuple[float, ...]


def providers() -> list[str]:
    """CUDA when this onnxruntime build and machine have it, CPU always."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


class RouterModel:
    def __init__(self, path: Path, expected_tiers: list[str] | None = None) -> None:
        import onnxruntime as ort

        if not path.is_file():
            raise RouterModelError(f"router model {path} not found: run `make train` (or set REFINERY_ROUTER_MODEL)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # tiny matmuls: threads cost more than they save
        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers())
            meta = self.session.get_modelmeta().custom_metadata_map
            self.tiers: list[str] = json.loads(meta["tiers"])
            self.costs = np.asarray(json.loads(meta["tier_costs"]), dtype=np.float64)
            version = meta["feature_version"]
        except Exception as exc:  # onnxruntime raises its own types for a corrupt file
            raise RouterModelError(f"router model {path} is unreadable: {exc}") from exc
        if version != FEATURE_VERSION:
            raise RouterModelError(
                f"router model {path} was trained on features {version!r}, this code makes {FEATURE_VERSION!r}: "
                "retrain with `make train`"
            )
        [inp] = self.session.get_inputs()
        if inp.name != INPUT or inp.shape[-1] != FEATURE_DIM or len(self.costs) != len(self.tiers):
            raise RouterModelError(f"router model {path}: unexpected input {inp.name}{inp.shape} or tier metadata")
        if expected_tiers is not None and self.tiers != expected_tiers:
            raise RouterModelError(
                f"router model {path} was trained for tiers {self.tiers}, the tiers file has {expected_tiers}: "
                "recalibrate and retrain (`make calibrate train`)"
            )
        self.path = path
        self.provider = self.session.get_providers()[0]

    def predict(self, features: np.ndarray) -> np.ndarray:
        """[N, FEATURE_DIM] float32 → [N, tiers] pass probabilities."""
        return self.session.run([OUTPUT], {INPUT: features})[0]


def choose(probabilities: np.ndarray, costs: np.ndarray, cost_weight: float) -> np.ndarray:
    """Per row, the tier maximising P(pass) − cost_weight × cost / max cost; ties go to the smaller tier.

    cost_weight 0 buys the best predicted quality at any price; larger values trade quality for cost.
    """
    utility = probabilities - cost_weight * (costs / costs.max())[None, :]
    return np.argmax(utility, axis=1)  # argmax keeps the first (smallest) tier on ties
