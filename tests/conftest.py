"""Shared fixtures. Tests marked `broker` run over the real embedded Kafka broker with real models."""

import os
from pathlib import Path
from typing import Any

import pytest

from schemas import Classification, ClassifiedRequest, GenerationRequest
from services.documents.bfcl import bfcl_requests, data_dir
from services.inference.engines.registry import build_engine
from services.inference.prompts import generation_messages
from services.inference.tiers import load_tiers
from services.settings import Settings

SMALL_SETTINGS = Settings(model_threads=2)
SMALL = load_tiers(SMALL_SETTINGS.tiers_file)["small"]  # the tier real-model tests run: the fastest


def make_request(**overrides: Any) -> dict[str, Any]:
    request = {
        "id": "r-1",
        "prompt": "Say hello.",
        "schema": {"type": "object", "properties": {"greeting": {"type": "string"}}, "required": ["greeting"]},
        "budget": {"max_tokens": 500},
    }
    request.update(overrides)
    return request


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = data_dir()
    if not (root / "bfcl").is_dir():
        pytest.fail(f"shared data not found at {root}; set REFINERY_DATA_DIR")
    return root


@pytest.fixture(autouse=True, scope="session")
def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def bfcl_calls(shared_data: Path) -> list:
    """Engine calls for batching tests: four BFCL tasks constrained to their schemas, one unconstrained."""
    tasks = bfcl_requests(limit=4, root=shared_data)
    calls = [(generation_messages(t["prompt"], t["schema"], None), t["schema"], 40) for t in tasks]
    calls.append(([{"role": "user", "content": "Name three colours."}], None, 12))  # unconstrained
    return calls


@pytest.fixture(scope="module")
def engine():
    """The small tier's real engine (SmolLM2-135M via llama.cpp): loads in well under a second."""
    return build_engine(SMALL, SMALL_SETTINGS)


def classified(raw: dict) -> ClassifiedRequest:
    request = GenerationRequest.model_validate(raw)
    classification = Classification(complexity=0, reason="test")
    return ClassifiedRequest(request=request, tier="small", received_at_ms=0, classification=classification)
