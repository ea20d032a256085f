"""Model tiers from the tiers TOML file."""

import importlib.util
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class Tier(BaseModel):
    name: str
    engine: Literal["llama_cpp"] = "llama_cpp"
    model_package: str | None = None
    model_file: str
    model_name: str
    params_m: float = Field(description="Parameters, millions (drives the default price).")
    prompt_format: Literal["chat", "completion"] = "chat"
    device: Literal["cpu", "cuda", "auto"] = "auto"
    context_window: int = 2048
    max_new_tokens: int = 384
    max_batch: int = 8
    price_per_1k_input: float
    price_per_1k_output: float

    def model_path(self) -> Path:
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
