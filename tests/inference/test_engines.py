"""Engine selection per tier, and the OpenAI-compatible engine against a real HTTP server
(`refinery serve-model` serving the small tier in a subprocess)."""

import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest
from jsonschema import validate

from refinery.devstack.broker import free_port
from schemas import Classification, ClassifiedRequest, GenerationRequest
from services.documents.bfcl import bfcl_requests
from services.generator.drafting import generate_draft
from services.inference.engines import SchemaCompileError
from services.inference.engines.coalesce import CoalescingEngine
from services.inference.engines.llama_cpp.engine import LlamaCppEngine
from services.inference.engines.openai_compat import OpenAICompatEngine
from services.inference.engines.registry import build_engine
from services.inference.prompts import generation_messages
from services.inference.tiers import Tier, load_tiers
from services.settings import Settings

SETTINGS = Settings(model_threads=1)
TIERS = load_tiers(SETTINGS.tiers_file)


def test_the_default_ladder_is_three_real_models_smallest_and_cheapest_first() -> None:
    assert list(TIERS) == ["small", "medium", "large"]
    sizes = [t.params_m for t in TIERS.values()]
    prices = [t.price_per_1k_output for t in TIERS.values()]
    assert sizes == sorted(sizes) and prices == sorted(prices)
    assert all(t.prompt_format == "chat" for t in TIERS.values())


def test_each_tier_builds_its_own_engine() -> None:
    engine = build_engine(TIERS["medium"], SETTINGS)
    assert isinstance(engine, CoalescingEngine)  # max_batch 8: concurrent calls share forward passes
    assert isinstance(engine._engine, LlamaCppEngine) and engine.model_name == "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M"
    assert "<|im_start|>" in engine.render(generation_messages("x", {}, None))  # Qwen's own chat template
    unbatched = build_engine(TIERS["small"].model_copy(update={"max_batch": 1}), SETTINGS)
    assert isinstance(unbatched, LlamaCppEngine)
    base_model = build_engine(
        TIERS["small"].model_copy(update={"max_batch": 1, "prompt_format": "completion"}), SETTINGS
    )
    assert base_model.render(generation_messages("x", {}, None)).endswith("\nJSON:")  # few-shot completion
    remote = Tier(
        name="remote",
        engine="openai",
        base_url="http://127.0.0.1:9/v1",
        model_name="m",
        params_m=7000,
        price_per_1k_input=1,
        price_per_1k_output=1,
    )
    assert isinstance(build_engine(remote, SETTINGS), OpenAICompatEngine)
    with pytest.raises(ValueError, match="base_url"):
        build_engine(remote.model_copy(update={"base_url": None}), SETTINGS)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    port = free_port()
    log = (tmp_path_factory.mktemp("serve") / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "refinery.cli", "serve-model", "--tier", "small", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).parents[2],
    )
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(10)


def test_openai_engine_generates_constrained_json_over_http(server: str, shared_data) -> None:
    tier = Tier(
        name="remote",
        engine="openai",
        base_url=server,
        model_name="SmolLM2-135M-Instruct-Q4_1",
        params_m=135,
        price_per_1k_input=0.000135,
        price_per_1k_output=0.00054,
    )
    engine = build_engine(tier, SETTINGS)
    local = build_engine(TIERS["small"], SETTINGS)
    for raw in bfcl_requests(limit=2, root=shared_data):
        request = GenerationRequest.model_validate(raw)
        message = ClassifiedRequest(
            request=request, tier="remote", received_at_ms=0, classification=Classification(complexity=0, reason="test")
        )
        draft = generate_draft(message, engine, tier)
        assert draft.parsed
        validate(draft.output, raw["schema"])
        [entry] = draft.ledger.entries
        messages = generation_messages(raw["prompt"], raw["schema"], None)
        assert entry.input_tokens == local.count_tokens(messages) == engine.count_tokens(messages)  # usage
        assert entry.ttft_ms is not None and entry.output_tokens > 0
        assert local.complete(messages, raw["schema"], 384).text == draft.text  # same model, same greedy output


def test_guided_json_mode_and_unsupported_schemas(server: str) -> None:
    engine = OpenAICompatEngine(server, "SmolLM2-135M-Instruct-Q4_1", schema_mode="guided_json")
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    done = engine.complete(generation_messages("Is water wet? Answer ok.", schema, None), schema, 20)
    assert done.text.startswith('{"ok"')
    with pytest.raises(SchemaCompileError, match=r"look-around|pattern"):
        engine.complete(generation_messages("x", {}, None), {"type": "string", "pattern": "^(?=a)b$"}, 10)


def test_server_speaks_plain_openai(server: str) -> None:
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "Say hi as JSON."}],
        "max_tokens": 16,
        "response_format": {"type": "json_object"},
    }
    reply = httpx.post(f"{server}/chat/completions", json=body, timeout=60).json()
    assert reply["object"] == "chat.completion" and reply["choices"][0]["message"]["content"].startswith("{")
    assert reply["usage"]["total_tokens"] == reply["usage"]["prompt_tokens"] + reply["usage"]["completion_tokens"]


def test_a_tier_with_a_q8_0_kv_cache_drafts_schema_valid_output_batched_and_alone() -> None:
    """KV cache quantization (bench/results/quantization.json): the tier setting reaches llama.cpp, and the
    batched decoder, which copies the context's settings, decodes with it too."""
    tier = TIERS["small"].model_copy(update={"kv_cache": "q8_0", "max_batch": 2})
    engine = build_engine(tier, SETTINGS)
    assert engine._engine._llm.context_params.type_k == 8  # GGML_TYPE_Q8_0
    request = bfcl_requests(limit=1)[0]
    schema = request["schema"]
    messages = generation_messages(request["prompt"], schema, None)
    batched = engine._engine.complete_batch([(messages, schema, 64), (messages, schema, 64)])
    for completion in batched:
        validate(orjson.loads(completion.text), schema)
