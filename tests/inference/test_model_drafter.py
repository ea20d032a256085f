"""Speculative decoding with a draft model (engines/llama_cpp/model_drafter.py).

SmolLM2-135M drafts for itself here: the only tier pair cheap enough for the suite that shares a
vocabulary (Qwen 0.5B drafting for Qwen 1.5B is measured in bench/results/speculative.json). A model
drafting for itself proposes what plain decoding would pick, so nearly every draft must be accepted; the
outputs must be valid and equal to plain decoding's but for the near-ties a multi-token pass rounds
differently (test_speculative.py says why)."""

from pathlib import Path

import orjson
import pytest
from jsonschema import validate

from services.inference.engines.llama_cpp.engine import LlamaCppEngine
from services.inference.engines.llama_cpp.model_drafter import _shared
from services.inference.tiers import load_tiers
from services.settings import Settings
from tests.inference.test_speculative import calls_for_many_schemas


def test_a_slot_reuses_the_cached_tokens_it_shares_with_the_sequence() -> None:
    assert _shared([1, 2, 3, 9, 9], [1, 2, 3, 4]) == 3  # rejected draft tokens 9, 9 are dropped
    assert _shared([1, 2, 3], [1, 2, 3]) == 2  # the last token is fed again: its logits are wanted
    assert _shared([], [5, 6]) == 0 and _shared([7, 8], [5, 6]) == 0


@pytest.fixture(scope="module")
def engines() -> tuple[LlamaCppEngine, LlamaCppEngine]:
    tier = load_tiers(Settings().tiers_file)["small"]
    plain = LlamaCppEngine(tier.model_path(), tier.model_name, threads=2, max_batch=4)
    drafted = LlamaCppEngine(
        tier.model_path(),
        tier.model_name,
        threads=2,
        max_batch=4,
        drafter="model",
        draft_model_path=tier.model_path(),
        speculate_max_batch=4,
    )
    return plain, drafted


def test_a_model_drafter_is_verified_into_valid_outputs_equal_to_plain_decoding(engines, shared_data) -> None:
    plain, drafted = engines
    every = calls_for_many_schemas(shared_data)
    calls = every[:7] + every[-3:]  # seven schemas, the invoice twice (the second closes early), free text
    single = [drafted.complete(*call) for call in calls]
    batched = drafted.complete_batch(calls[:4])  # four sequences, four draft slots
    expected = [plain.complete(*call) for call in calls]
    for (_, schema, _), got in zip(calls, single + batched, strict=False):
        if schema is not None and got.finish_reason == "stop":
            validate(orjson.loads(got.text), schema)
    same = [got.text == want.text for got, want in zip(single + batched, expected + expected[:4], strict=True)]
    assert sum(same) >= 0.7 * len(same), same
    drafted_tokens = sum(c.drafted_tokens for c in single)
    assert sum(c.accepted_tokens for c in single) > 0.8 * drafted_tokens > 0  # itself as drafter: nearly all
    # every call's drafter ran at least its own output; the first also read the whole prompt
    assert (
        all(c.drafter_tokens >= c.accepted_tokens for c in single)
        and single[0].drafter_tokens > len(drafted._tokens(calls[0][0])) * 0.9
    )
    assert expected[-2].closed_early and single[-2].closed_early  # closing near the limit works while drafting


def test_a_draft_model_of_another_vocabulary_is_refused() -> None:
    tiers = load_tiers(Settings().tiers_file)
    small, medium = tiers["small"], tiers["medium"]
    with pytest.raises(ValueError, match="vocabulary"):
        LlamaCppEngine(small.model_path(), small.model_name, drafter="model", draft_model_path=medium.model_path())


def test_a_tier_drafting_with_a_model_names_another_tier_and_pays_for_its_tokens(tmp_path: Path) -> None:
    text = Settings().tiers_file.read_text()
    drafting = text.replace('name = "large"', 'name = "large"\ndrafter = "model"\ndraft_tier = "medium"', 1)
    (tmp_path / "tiers.toml").write_text(drafting)
    tiers = load_tiers(tmp_path / "tiers.toml")
    large, medium = tiers["large"], tiers["medium"]
    assert large.draft is not None and large.draft.name == "medium"
    assert large.cost(100, 10, drafter_tokens=1000) == pytest.approx(
        large.cost(100, 10) + 1000 * medium.price_per_1k_input / 1000
    )
    (tmp_path / "tiers.toml").write_text(drafting.replace('draft_tier = "medium"', 'draft_tier = "huge"'))
    with pytest.raises(ValueError, match="draft_tier"):
        load_tiers(tmp_path / "tiers.toml")
