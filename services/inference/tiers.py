"""Model tiers from the tiers TOML file."""

import importlib
import importlib.util
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


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
    model_name: str
    params_m: float = Field(description="Parameters, millions (drives the default price).")
    prompt_format: Literal["chat", "completion"] = "chat"
    device: Literal["cpu", "cuda", "auto"] = "auto"
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        default="auto", description="transformers engine: auto is bfloat16 on CUDA, float32 on the CPU."
    )
    context_window: int = 2048
    max_new_tokens: int = 384
    max_batch: int = 8
    price_per_1k_input: float
    price_per_1k_output: float

    def model_path(self, cache_dir: Path | None = None) -> Path:
        if self.model_assembler is not None:
            target = (cache_dir or Path.home() / ".cache" / "refinery" / "models") / self.model_file
            if not target.is_file():
                module, _, function = self.model_assembler.partition(":")
                target.parent.mkdir(parents=True, exist_ok=True)
                getattr(importlib.import_module(module), function)(target)
            return target
        if self.model_package is None:
            return Path(self.model_file)
        spec = importlib.util.find_spec(self.model_package)
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(f"tier {self.name}: package {self.model_package!r} is not installed")
        return Path(spec.submodule_search_locations[0]) / self.model_file

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return round(
            input_tokens * self.price_per_1k_input / 1000 + output_tokens * self.price_per_1k_output / 1000, 10
        )


def load_tiers(path: Path) -> dict[str, Tier]:
    """Tiers in file order (smallest first)."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    tiers = [Tier.model_validate(t) for t in data.get("tier", [])]
    if not tiers:
        raise ValueError(f"{path}: no [[tier]] entries")
    return {t.name: t for t in tiers}
