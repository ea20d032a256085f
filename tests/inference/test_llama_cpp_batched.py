"""Dynamic batching: batched greedy outputs equal unbatched ones; concurrent calls share forward passes."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from services.inference.engines.base import SchemaCompileError
from services.inference.engines.coalesce import CoalescingEngine
from services.inference.engines.llama_cpp.batched import MIN_SHARED_PREFIX, _common_prefix
from services.inference.engines.llama_cpp.engine import LlamaCppEngine
from services.inference.tiers import load_tiers
from services.settings import Settings


@pytest.fixture(scope="module")
def engine() -> LlamaCppEngine:
    tier = load_tiers(Settings().tiers_file)["small"]
    return LlamaCppEngine(tier.model_path(), tier.model_name, threads=1, max_batch=3)


@pytest.fixture(scope="module")
def calls(bfcl_calls: list) -> list:
    return bfcl_calls


def test_the_shared_prefix_leaves_each_prompt_a_token_of_its_own() -> None:
    assert _common_prefix([[1, 2, 3, 4], [1, 2, 5], [1, 2, 3]]) == 2
    assert _common_prefix([[1, 2, 3], [1, 2, 3]]) == 2  # equal prompts: the last token is fed per slot
    assert _common_prefix([[7, 1], [8, 1]]) == 0


def test_batched_outputs_equal_unbatched_greedy_outputs(engine: LlamaCppEngine, calls: list) -> None:
    # the constrained calls share their system turn: the batch prefills it once, then copies its cache
    assert _common_prefix([engine._tokens(messages) for messages, _, _ in calls[:3]]) >= MIN_SHARED_PREFIX
    unbatched = [engine.complete(*call) for call in calls]
    bad = ({"type": "object", "properties": {"x": {"type": "strnig"}}}, "bad schema")
    batched = engine.complete_batch([*calls[:2], ([], bad[0], 10), *calls[2:]])  # 6 calls: two chunks of 3
    assert isinstance(batched[2], SchemaCompileError)  # a bad call fails alone, in its place
    batched = batched[:2] + batched[3:]
    for one, many in zip(unbatched, batched, strict=True):
        assert (many.text, many.output_tokens, many.finish_reason) == (one.text, one.output_tokens, one.finish_reason)
        assert many.input_tokens == one.input_tokens and many.ttft_ms is not None
    assert unbatched[-1].finish_reason == "length" and unbatched[0].finish_reason == "stop"


def test_concurrent_calls_are_coalesced_into_batches(engine: LlamaCppEngine, calls: list) -> None:
    coalescing = CoalescingEngine(engine, max_batch=3, window_s=0.2)
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(coalescing.complete, *call) for call in calls[:3]]
        results = [f.result(timeout=300) for f in futures]
    assert max(coalescing.batch_sizes) >= 2  # they shared forward passes
    assert [r.text for r in results] == [engine.complete(*call).text for call in calls[:3]]
    with pytest.raises(SchemaCompileError):
        coalescing.complete([], {"type": "object", "properties": {"x": {"type": "strnig"}}}, 10)
