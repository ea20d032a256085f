"""The transformers/torch engine, on this CPU (the same code runs on CUDA with `device = auto`): engine
selection, constrained JSON, exact token accounting, batched outputs equal unbatched greedy outputs,
schema compile errors in place, and the cached conversion of the packaged GGUF."""

import asyncio
from pathlib import Path

import orjson
import pytest
import torch
from jsonschema import validate

from refinery.client import run_batch
from refinery.devstack.stack import Stack
from services.documents.bfcl import bfcl_requests
from services.inference.engines.base import SchemaCompileError
from services.inference.engines.coalesce import CoalescingEngine
from services.inference.engines.llama_cpp.engine import LlamaCppEngine
from services.inference.engines.registry import build_engine, cuda_usable, engine_kind
from services.inference.engines.transformers.engine import TransformersEngine
from services.inference.engines.transformers.loading import converted_dir, pick_device
from services.inference.tiers import load_tiers
from services.settings import Settings

SETTINGS = Settings(model_threads=2)
SMALL = load_tiers(SETTINGS.tiers_file)["small"]
TIER = SMALL.model_copy(update={"engine": "transformers", "max_batch": 3})
BAD_SCHEMA = {"type": "object", "properties": {"x": {"type": "strnig"}}}


@pytest.fixture(scope="module")
def engine() -> TransformersEngine:
    return TransformersEngine(
        TIER.model_path(SETTINGS.model_cache),
        TIER.model_name,
        cache_dir=SETTINGS.model_cache,
        threads=2,
        max_batch=3,
    )


@pytest.fixture(scope="module")
def calls(bfcl_calls: list) -> list:
    return bfcl_calls


def test_the_engine_per_tier_is_a_setting() -> None:
    built = build_engine(TIER, SETTINGS)
    assert isinstance(built, CoalescingEngine) and isinstance(built._engine, TransformersEngine)
    # `local`: transformers where a CUDA GPU is usable, llama.cpp on the CPU
    local = SMALL.model_copy(update={"engine": "local"})
    assert engine_kind(local) == ("transformers" if cuda_usable() else "llama_cpp")
    assert engine_kind(local.model_copy(update={"device": "cpu"})) == "llama_cpp"
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            pick_device("cuda")


def test_the_packaged_gguf_is_converted_once_and_cached() -> None:
    first = converted_dir(TIER.model_path(SETTINGS.model_cache), SETTINGS.model_cache)
    assert (first / "model.safetensors").is_file() and (first / "tokenizer.json").is_file()
    assert converted_dir(TIER.model_path(SETTINGS.model_cache), SETTINGS.model_cache) == first
    assert converted_dir(first, SETTINGS.model_cache) == first  # a transformers model directory loads as it is


def test_constrained_json_and_exact_token_counts(engine: TransformersEngine, calls: list) -> None:
    llama = LlamaCppEngine(TIER.model_path(), TIER.model_name, threads=1)
    for messages, schema, max_new in calls[:4]:
        done = engine.complete(messages, schema, max_new)
        validate(orjson.loads(done.text), schema)
        assert done.finish_reason == "stop" and 0 < done.output_tokens <= max_new
        # the same tokenizer as llama.cpp's, from the same GGUF: the ledger counts agree across engines
        assert done.input_tokens == engine.count_tokens(messages) == llama.count_tokens(messages)
        assert done.ttft_ms is not None and done.ttft_ms <= done.duration_ms


def test_batched_outputs_equal_unbatched_greedy_outputs(engine: TransformersEngine, calls: list) -> None:
    unbatched = [engine.complete(*call) for call in calls]
    bad = ([{"role": "user", "content": "x"}], BAD_SCHEMA, 10)
    batched = engine.complete_batch([*calls[:2], bad, *calls[2:]])  # 6 calls: two chunks of 3
    assert isinstance(batched[2], SchemaCompileError)  # a bad call fails alone, in its place
    batched = batched[:2] + batched[3:]
    for one, many in zip(unbatched, batched, strict=True):
        assert (many.text, many.output_tokens, many.finish_reason) == (one.text, one.output_tokens, one.finish_reason)
        assert many.input_tokens == one.input_tokens
    assert unbatched[-1].finish_reason == "length"


def test_schema_compile_errors_and_context_overflow_are_clean(engine: TransformersEngine) -> None:
    with pytest.raises(SchemaCompileError):
        engine.complete([{"role": "user", "content": "x"}], BAD_SCHEMA, 10)
    with pytest.raises(ValueError, match="no room"):
        engine.complete([{"role": "user", "content": "word " * 3000}], None, 10)


def test_streaming_sends_the_text_as_it_is_generated(engine: TransformersEngine) -> None:
    pieces: list[str] = []
    schema = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 20}}, "required": ["city"]}
    done = engine.complete([{"role": "user", "content": "City: Porto. JSON please."}], schema, 30, pieces.append)
    assert len(pieces) > 1 and "".join(pieces) == done.text


@pytest.mark.broker
def test_a_transformers_tier_serves_constrained_json_through_the_kafka_loop(tmp_path: Path, shared_data) -> None:
    tiers = (SETTINGS.tiers_file.read_text()).replace('engine = "local"', 'engine = "transformers"', 1)
    (tmp_path / "tiers.toml").write_text(tiers)
    requests = [{**r, "tier": "small"} for r in bfcl_requests(limit=2, root=shared_data)]
    with Stack(tmp_path / "stack", env={"REFINERY_TIERS_FILE": str(tmp_path / "tiers.toml")}) as stack:
        stack.start()
        results = asyncio.run(
            run_batch([orjson.dumps(r) for r in requests], Settings(bootstrap_servers=stack.bootstrap), 300)
        )
        generator_log = "".join(p.read_text() for p in (tmp_path / "stack" / "logs").glob("generator-*.log"))
    assert "tier small: transformers engine" in generator_log
    for request, result in zip(requests, results, strict=True):
        assert result.tier == "small" and result.status.value in ("accepted", "rejected"), result
        validate(result.output, request["schema"])
        generated = [e for e in result.ledger.entries if e.stage == "generator"]
        assert generated and generated[0].output_tokens > 0 and generated[0].model == SMALL.model_name
