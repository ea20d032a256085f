"""Compiled prompts as artifacts: versioned by content, loaded per tier, rendered with their demonstrations."""

import shutil
from pathlib import Path

import orjson

from services.inference.prompt_artifact import HANDWRITTEN, Demo, GenerationPrompt, load_prompt, save_prompt
from services.inference.prompts import generation_messages
from services.inference.tiers import load_tiers
from services.settings import REPO_ROOT

COMPILED = GenerationPrompt(
    kind="compiled",
    tier="small",
    instruction="JSON only.",
    demos=(Demo(prompt="Weather in Oslo?", output={"city": "Oslo"}),),
    dev_score={"accuracy": 0.5},
    data_version="abc",
)


def test_the_version_follows_what_the_model_sees() -> None:
    assert COMPILED.version.startswith("compiled-")
    assert COMPILED.model_copy(update={"dev_score": {"accuracy": 0.9}}).version == COMPILED.version
    assert COMPILED.model_copy(update={"instruction": "JSON."}).version != COMPILED.version
    assert HANDWRITTEN.version.startswith("handwritten-")
    assert COMPILED.model_copy(update={"kind": "handwritten"}).content_hash == COMPILED.content_hash


def test_saved_and_loaded_the_same_and_a_tampered_version_is_ignored(tmp_path: Path) -> None:
    path = save_prompt(tmp_path, COMPILED)
    assert path == tmp_path / "small.json"
    data = orjson.loads(path.read_bytes())
    path.write_bytes(orjson.dumps(data | {"version": "compiled-forged"}))
    assert load_prompt(tmp_path, "small") == COMPILED
    assert load_prompt(tmp_path, "medium") is HANDWRITTEN


def test_demonstrations_are_earlier_turns_before_the_request() -> None:
    messages = generation_messages("Weather in Lima?", {"type": "object"}, None, COMPILED)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[0]["content"] == "JSON only."
    assert messages[1]["content"] == "Request: Weather in Oslo?"  # a demo without its schema stays short
    assert messages[2]["content"] == '{"city":"Oslo"}'
    assert messages[3]["content"].startswith("Request: Weather in Lima?") and "JSON Schema" in messages[3]["content"]
    assert generation_messages("x", {}, None)[0]["content"] == HANDWRITTEN.instruction


def test_tiers_load_the_prompt_stored_beside_them(tmp_path: Path) -> None:
    shutil.copy(REPO_ROOT / "config" / "tiers.toml", tmp_path / "tiers.toml")
    save_prompt(tmp_path / "prompts", COMPILED)
    tiers = load_tiers(tmp_path / "tiers.toml")
    assert tiers["small"].prompt == COMPILED
    assert tiers["large"].prompt is HANDWRITTEN  # none stored beside it
    shipped = load_tiers(REPO_ROOT / "config" / "tiers.toml")
    assert shipped["large"].prompt == load_prompt(REPO_ROOT / "config" / "prompts", "large")
