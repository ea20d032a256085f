"""LoRA adapters on the llama.cpp engine: applied per call, isolated from plain calls decoded at the same
time, a clear error for a missing file. Uses the medium tier (Qwen2.5-Coder 0.5B), the tier that carries the
committed Harbour & Pine adapter (models/adapters/harbour-pine.gguf, `make adapter`)."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest

from refinery.adapters.voice_data import SCHEMA, TRAIN, examples
from services.inference.engines.registry import EnginePool
from services.inference.prompts import generation_messages
from services.inference.tiers import load_tiers
from services.settings import Settings

VOICE = "harbour-pine"


@pytest.fixture(scope="module")
def pool() -> EnginePool:
    settings = Settings(model_threads=2)
    return EnginePool(load_tiers(settings.tiers_file), settings)


def card_call(index: int, pool: EnginePool) -> tuple:
    prompt = examples()[TRAIN + index]["prompt"]  # held-out products: never trained on
    return generation_messages(prompt, SCHEMA, None, pool.tiers["medium"].prompt), SCHEMA, 96


def test_the_adapter_changes_the_voice_and_stays_out_of_plain_calls_decoded_alongside(pool: EnginePool) -> None:
    plain, voiced = pool.get("medium"), pool.get("medium", VOICE)
    calls = [card_call(i, pool) for i in range(2)]
    alone_plain = [plain.complete(*call).text for call in calls]
    alone_voiced = [voiced.complete(*call).text for call in calls]
    jobs = [(engine, call) for call in calls for engine in (plain, voiced)]
    with ThreadPoolExecutor(len(jobs)) as workers:  # at once: each engine view batches its own calls
        mixed = list(workers.map(lambda job: job[0].complete(*job[1]).text, jobs))
    assert mixed[0::2] == alone_plain and mixed[1::2] == alone_voiced
    # the trained voice opens every description with "Meet the"; the base model does not (model behaviour)
    assert all('"description":"Meet the ' in text for text in alone_voiced)
    assert not any('"description":"Meet the ' in text for text in alone_plain)
    assert voiced.model_name == "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M+harbour-pine"


def test_an_adapter_the_tier_does_not_carry_or_cannot_find_is_a_clear_error(pool: EnginePool, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="tier small does not carry adapter 'harbour-pine'"):
        pool.get("small", VOICE)
    missing = pool.tiers["medium"].model_copy(update={"adapters": {"ghost": tmp_path / "ghost.gguf"}})
    lonely = EnginePool({"medium": missing}, Settings(model_threads=1))
    with pytest.raises(FileNotFoundError, match="adapter 'ghost': no file at"):
        lonely.get("medium", "ghost")
    assert orjson.loads(pool.get("medium").complete(*card_call(0, pool)).text)["name"]
