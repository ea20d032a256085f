"""Shared fixtures. Tests marked `broker` run over the real embedded Kafka broker with real models."""

import os
from pathlib import Path
from typing import Any

import pytest

from services.client.datasets import data_dir


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
