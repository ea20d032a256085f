"""The refiner's tests share one engine of the small tier (the real model)."""

import pytest

from services.inference.engines.registry import build_engine
from services.inference.tiers import load_tiers
from services.settings import Settings

SETTINGS = Settings(model_threads=2)
TIER = load_tiers(SETTINGS.tiers_file)["small"]


@pytest.fixture(scope="module")
def engine():
    return build_engine(TIER, SETTINGS)
