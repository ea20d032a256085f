"""Model tiers from the tiers TOML file."""

import importlib
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from services.inference.model_files import ModelFileError, assembled, package_dir
from services.inference.prompt_artifact import HANDWRITTEN, GenerationPrompt, load_prompt


class Tier(BaseModel):
    name: str
    engine: Literal["local", "llama_cpp", "transformers", "openai"] = Field(
        default="llama_cpp",
        description="local: transformers when a CUDA GPU is usable (device auto/cuda), else llama_cpp.",
    )
    model_package: str | None = None
    model_file: str = ""
    base_url: str | None = Field(default=None, description="openai engine: the server's /v1 URL.")
    api_key_env: str | None = Field(default=None, description="openai engine: env var holding the API key.")
    schema_mode: Literal["response_format", "guided_json"] = "response_format"
    model_assembler: str | None = Field(
        default=None, description="'module:function' that writes the model file (split wheels); cached once."
    )
    model_parts: list[str] = Field(
        default_factory=list,
        description="'package/path' of each part, in order: the model file is their concatenation, assembled once.",
    )
    model_sha256: str | None = Field(default=None, description="Required with model_parts: the assembled file's.")
    model_bytes: int | None = Field(default=None, description="The assembled file's size, checked before hashing.")
    model_name: str
    params_m: float = Field(description="Parameters, millions (drives the default price).")
    prompt_format: Literal["chat", "completion"] = "chat"
    menu_format: Literal["schema", "tool_calls"] = Field(
        default="schema",
        description="How a menu of calls (anyOf of one-property objects) is asked for: schema (the request's "
        "JSON Schema in the prompt) or tool_calls (a `<tools>` list answered with {name, arguments}, the "
        "format tool-trained chat models such as Qwen2.5 learned; bench/results/tool_calls.json).",
    )
    device: Literal["cpu", "cuda", "auto"] = "auto"
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        default="auto", description="transformers engine: auto is bfloat16 on CUDA, float32 on the CPU."
    )
    context_window: int = 2048
    kv_cache: Literal["f16", "q8_0"] = Field(
        default="f16",
        description="llama.cpp KV cache type: q8_0 halves its memory (with flash attention); "
        "measured in bench/results/quantization.json.",
    )
    drafter: Literal["none", "prompt_lookup", "model"] = Field(
        default="none",
        description="Speculative decoding (llama.cpp, llguidance): prompt_lookup drafts from the prompt and "
        "output so far; model drafts with `draft_tier`'s model (same vocabulary). The model verifies every "
        "drafted token (bench/results/speculative.json).",
    )
    draft_tier: str | None = Field(
        default=None, description="drafter = model: the (smaller) tier whose model drafts; its price is charged."
    )
    draft: "Tier | None" = Field(default=None, exclude=True, description="The draft tier, set by load_tiers.")
    speculate_max_batch: int = Field(
        default=1, description="Speculate only for batches of at most this many calls (larger ones decode plainly)."
    )
    max_new_tokens: int = 384
    max_batch: int = 8
    price_per_1k_input: float
    price_per_1k_output: float
    adapters: dict[str, Path] = Field(
        default_factory=dict,
        description="LoRA adapters this tier carries (brand voices): name → GGUF LoRA file, relative to the "
        "tiers file; applied per request without reloading the base model (llama.cpp engine).",
    )
    verify_min_logprob: float | None = Field(
        default=None,
        description="The critic doubts this tier's draft when its least confident pick's log P is below this "
        "(calibrated by bench/ladder.py); None: not verified.",
    )
    second_opinion_below: float | None = Field(
        default=None,
        description="A draft of this tier about to be accepted whose least confident pick's log P is below this "
        "is drafted again with the schema reordered, and accepted only if both agree (bench/second_opinion.py); "
        "None: never.",
    )
    prompt: GenerationPrompt = Field(
        default=HANDWRITTEN,
        description="The generation prompt: prompts/<name>.json beside the tiers file (refinery compile) "
        "when present, else the hand-written one.",
    )

    def model_path(self, cache_dir: Path | None = None) -> Path:
        cache = cache_dir or Path.home() / ".cache" / "refinery" / "models"
        if self.model_parts:
            if not self.model_sha256:
                raise ModelFileError(f"tier {self.name}: model_parts need model_sha256 to be checked against")
            return assembled(self.model_parts, cache / self.model_file, self.model_sha256, self.model_bytes)
        if self.model_assembler is not None:
            target = cache / self.model_file
            if not target.is_file():
                module, _, function = self.model_assembler.partition(":")
                target.parent.mkdir(parents=True, exist_ok=True)
                getattr(importlib.import_module(module), function)(target)
            return target
        if self.model_package is None:
            return Path(self.model_file)
        return package_dir(self.model_package) / self.model_file

    def cost(self, input_tokens: int, output_tokens: int, drafter_tokens: int = 0) -> float:
        """The call's price; a draft model's tokens (prompt read and picks) at its tier's input price."""
        drafting = drafter_tokens * self.draft.price_per_1k_input / 1000 if self.draft is not None else 0.0
        return round(
            input_tokens * self.price_per_1k_input / 1000 + output_tokens * self.price_per_1k_output / 1000 + drafting,
            10,
        )


def adapters_by_tier(tiers: dict[str, Tier]) -> dict[str, frozenset[str]]:
    """The names of the adapters each tier carries (what the router and the pipeline route by)."""
    return {name: frozenset(tier.adapters) for name, tier in tiers.items()}


def load_tiers(path: Path) -> dict[str, Tier]:
    """Tiers in file order (smallest first), each with its compiled prompt where one is stored."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    tiers = [Tier.model_validate(t) for t in data.get("tier", [])]
    tiers = [
        t.model_copy(
            update={
                "prompt": load_prompt(path.parent / "prompts", t.name),
                "adapters": {name: (path.parent / file).resolve() for name, file in t.adapters.items()},
            }
        )
        for t in tiers
    ]
    if not tiers:
        raise ValueError(f"{path}: no [[tier]] entries")
    by_name = {t.name: t for t in tiers}
    return {name: _with_draft(tier, by_name, path) for name, tier in by_name.items()}


def _with_draft(tier: Tier, tiers: dict[str, Tier], path: Path) -> Tier:
    if tier.drafter != "model":
        return tier
    if tier.draft_tier not in tiers or tier.draft_tier == tier.name:
        raise ValueError(f"{path}: tier {tier.name}: drafter 'model' needs draft_tier, another tier of this file")
    return tier.model_copy(update={"draft": tiers[tier.draft_tier]})
