"""The ONNX router: features, training → ONNX parity, the policy knob, forced tiers, bad model files."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from schemas import GenerationRequest
from services.classifier.features import FEATURE_DIM, HASH_DIM, SHAPE_DIM, feature_matrix, request_tokens
from services.classifier.intake import RequestRejected
from services.classifier.model import RouterModel, RouterModelError, choose
from services.classifier.router import Router, check_adapter, check_forced_tier
from services.classifier.training import CalibrationSet, export_onnx, held_out, train
from services.inference.tiers import load_tiers
from services.settings import REPO_ROOT, Settings
from tests.conftest import make_request

TIERS = ["small", "large"]


def request(i: int, hard: bool) -> GenerationRequest:
    """Synthetic tasks: 'hard' ones ask for many nested fields and only the large tier passes them."""
    width = 8 + i % 5 if hard else 1 + i % 2
    props = {f"field_{k}": {"type": "string", "format": "date"} for k in range(width)}
    words = "reconcile the quarterly ledger entries" if hard else "say hello"
    return GenerationRequest.model_validate(
        make_request(id=f"t{i}", prompt=f"{words} {i}", schema={"type": "object", "properties": props})
    )


def synthetic_set(n: int = 120) -> CalibrationSet:
    requests = [request(i, hard=i % 3 == 0) for i in range(n)]
    hard = np.array([i % 3 == 0 for i in range(n)])
    passed = np.stack([~hard, np.ones(n, dtype=bool)], axis=1)
    passed[::17, 1] = False  # some noise: large fails now and then
    cost = np.tile([1.0, 2.5], (n, 1))
    return CalibrationSet(requests, TIERS, passed, cost)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):
    router = train(synthetic_set())
    path = tmp_path_factory.mktemp("router") / "router.onnx"
    export_onnx(router, path, {"test": True})
    return router, path


def test_features_are_deterministic_and_read_prompt_and_schema() -> None:
    a = request(3, hard=True)
    tokens = request_tokens(a)
    assert {"reconcile", "prop:field_0", "type:object", "kw:format"} <= set(tokens)
    matrix = feature_matrix([a, a, request(1, hard=False)])
    assert matrix.shape == (3, FEATURE_DIM) and matrix.dtype == np.float32
    assert np.array_equal(matrix[0], matrix[1]) and not np.array_equal(matrix[0], matrix[2])
    bag = matrix[0, SHAPE_DIM:]
    assert np.isclose(np.linalg.norm(bag), 1.0) and (bag > 0).sum() <= HASH_DIM
    assert matrix[0, 1] == pytest.approx(np.log1p(len(a.json_schema["properties"])))  # property count


def test_onnx_predictions_match_the_python_model(trained) -> None:
    router, path = trained
    model = RouterModel(path, TIERS)
    features = feature_matrix([request(i, hard=i % 2 == 0) for i in range(200, 240)])
    onnx_p = model.predict(features)
    assert onnx_p.shape == (40, 2)
    np.testing.assert_allclose(onnx_p, router.predict(features), atol=1e-5)
    assert model.tiers == TIERS and model.costs.tolist() == [1.0, 2.5]


def test_training_is_deterministic(trained, tmp_path: Path) -> None:
    _, path = trained
    again = tmp_path / "again.onnx"
    export_onnx(train(synthetic_set()), again, {"test": True})
    assert again.read_bytes() == path.read_bytes()


def test_router_learns_which_tasks_need_the_large_tier(trained) -> None:
    _, path = trained
    router = Router(RouterModel(path, TIERS), cost_weight=0.1)
    unseen = [request(i, hard=i % 2 == 0) for i in range(300, 320)]
    routed = router.route(unseen)
    picks = [tier for tier, _ in routed]
    assert picks == ["large" if i % 2 == 0 else "small" for i in range(300, 320)]
    _, classification = routed[0]
    assert set(classification.pass_probability) == set(TIERS) and "cost weight 0.1" in classification.reason


def test_cost_weight_knob_trades_quality_for_cost() -> None:
    probabilities = np.array([[0.5, 0.9], [0.8, 0.85], [0.1, 0.12]])
    costs = np.array([1.0, 2.5])
    assert choose(probabilities, costs, 0.0).tolist() == [1, 1, 1]  # best predicted quality
    assert choose(probabilities, costs, 0.2).tolist() == [1, 0, 0]  # only a big gain is worth the price
    assert choose(probabilities, costs, 1.0).tolist() == [0, 0, 0]
    assert choose(np.array([[0.7, 0.7]]), costs, 0.0).tolist() == [0]  # ties go to the smaller tier


def test_forced_tier_wins_and_unknown_tier_is_rejected(trained) -> None:
    _, path = trained
    router = Router(RouterModel(path, TIERS), cost_weight=1.0)  # would pick small for everything
    forced = GenerationRequest.model_validate(make_request(tier="large"))
    [(tier, classification)] = router.route([forced])
    assert tier == "large" and classification.forced
    with pytest.raises(RequestRejected, match="unknown tier 'huge'"):
        check_forced_tier(GenerationRequest.model_validate(make_request(tier="huge")), TIERS)


def test_missing_corrupt_or_mismatched_model_is_a_clear_error(trained, tmp_path: Path) -> None:
    _, path = trained
    with pytest.raises(RouterModelError, match="not found: run `make train`"):
        RouterModel(tmp_path / "nope.onnx")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(RouterModelError, match="unreadable"):
        RouterModel(corrupt)
    with pytest.raises(RouterModelError, match="trained for tiers"):
        RouterModel(path, ["small", "medium", "large"])


def test_classifier_service_refuses_to_start_without_its_model(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services", "classifier"],  # what its pod runs; the model loads at start-up
        env={
            "REFINERY_ROUTER_MODEL": str(tmp_path / "missing.onnx"),
            "REFINERY_BOOTSTRAP_SERVERS": "127.0.0.1:9",  # never reached: the start-up fails first
            "PATH": "/usr/bin:/bin",
        },
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "RouterModelError" in result.stderr and "missing.onnx not found" in result.stderr


def test_committed_model_fits_the_shipped_tiers() -> None:
    settings = Settings()
    model = RouterModel(settings.router_model, list(load_tiers(settings.tiers_file)))
    assert model.provider in ("CPUExecutionProvider", "CUDAExecutionProvider")
    assert (model.costs > 0).all() and model.costs[0] < model.costs[-1]


def test_held_out_split_is_stable_and_about_thirty_percent() -> None:
    ids = [f"bfcl-simple_python_{i}" for i in range(400)]
    share = sum(map(held_out, ids)) / len(ids)
    assert 0.2 < share < 0.4 and [held_out(i) for i in ids] == [held_out(i) for i in ids]


def test_a_request_too_long_for_the_picked_tier_goes_to_one_whose_window_holds_it() -> None:
    model = RouterModel(Settings().router_model, list(load_tiers(Settings().tiers_file)))
    long_prompt = "Summarise this. " + "word " * 3000  # ~5 000 tokens by the router's estimate
    request = GenerationRequest.model_validate(make_request(prompt=long_prompt, budget={"max_tokens": 20_000}))
    cheapest = Router(model, cost_weight=100.0, room={"small": 1664, "medium": 3712, "large": 8000})
    [(tier, classification)] = cheapest.route([request])
    assert tier == "large" and "context window cannot hold it" in classification.reason
    [(tier, _)] = Router(model, cost_weight=100.0).route([request])  # no windows known: the cheapest
    assert tier == "small"


def test_a_budget_that_pays_for_one_draft_only_starts_it_on_the_top_tier() -> None:
    model = RouterModel(Settings().router_model, list(load_tiers(Settings().tiers_file)))
    cheapest = Router(model, cost_weight=100.0)  # would pick small for everything
    menu = "Call one of these functions. " + "lookup_record: finds a record by its key. " * 40  # ~1 750 chars
    roomy, tight = (make_request(prompt=menu, budget={"max_tokens": n}) for n in (2_000, 700))
    capped = make_request(prompt=menu, budget={"max_tokens": 700, "max_cost": 1.0})
    routes = cheapest.route([GenerationRequest.model_validate(r) for r in (roomy, tight, capped)])
    assert [tier for tier, _ in routes] == ["small", "large", "small"]
    assert "the budget pays for one draft, not a climb → large" in routes[1][1].reason


def test_an_adapter_request_goes_to_a_tier_carrying_it_and_an_unknown_adapter_is_rejected() -> None:
    tiers = list(load_tiers(Settings().tiers_file))
    model = RouterModel(Settings().router_model, tiers)
    carried = {"small": frozenset(), "medium": frozenset({"voice"}), "large": frozenset()}
    router = Router(model, cost_weight=100.0, adapters=carried)  # would pick small for everything
    voiced = GenerationRequest.model_validate(make_request(adapter="voice"))
    [(tier, classification)] = router.route([voiced])
    assert tier == "medium" and "adapter 'voice' is carried by medium" in classification.reason
    check_adapter(voiced, carried)
    with pytest.raises(RequestRejected, match="unknown adapter 'nope'; known adapters: voice"):
        check_adapter(GenerationRequest.model_validate(make_request(adapter="nope")), carried)
    with pytest.raises(RequestRejected, match="tier 'large' does not carry adapter 'voice'"):
        check_adapter(GenerationRequest.model_validate(make_request(adapter="voice", tier="large")), carried)
