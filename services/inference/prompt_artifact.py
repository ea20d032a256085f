"""A tier's generation prompt as a versioned artifact: the instruction and few-shot demonstrations the
generator and refiner use, either the hand-written default or one compiled by `refinery compile` and stored
as config/prompts/<tier>.json. The version is a hash of what the model sees, so a request's ledger names the
exact prompt it was drafted with, and the same content always has the same version."""

import hashlib
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, computed_field

HANDWRITTEN_INSTRUCTION = (
    "You turn requests into JSON. Reply with one JSON value that satisfies the given JSON Schema. "
    "Use only facts stated in the request or the context; never invent values."
)


class Demo(BaseModel):
    """One worked example, shown as an earlier user turn and the model's reply."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    prompt: str
    json_schema: dict[str, Any] | None = Field(
        default=None, description="Shown with the demo when set; None keeps the demo short (request → answer)."
    )
    output: Any


class GenerationPrompt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["handwritten", "compiled"] = "handwritten"
    tier: str | None = None
    instruction: str = HANDWRITTEN_INSTRUCTION
    demos: tuple[Demo, ...] = ()
    dev_score: dict[str, float] | None = Field(
        default=None, description="What the compiler measured on its tuning tasks (accuracy, tokens per task)."
    )
    data_version: str | None = Field(default=None, description="Hash of the task data it was compiled on.")

    @property
    def content_hash(self) -> str:
        """Of what the model sees: the same instruction and demonstrations hash the same, whatever the kind."""
        seen = orjson.dumps([self.instruction, [d.model_dump() for d in self.demos]], option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(seen).hexdigest()[:10]

    @computed_field
    @property
    def version(self) -> str:
        return f"{self.kind}-{self.content_hash}"


HANDWRITTEN = GenerationPrompt()


def prompt_path(directory: Path, tier: str) -> Path:
    return directory / f"{tier}.json"


def load_prompt(directory: Path, tier: str) -> GenerationPrompt:
    """The tier's compiled prompt when one is stored, else the hand-written default."""
    path = prompt_path(directory, tier)
    if not path.is_file():
        return HANDWRITTEN
    data = orjson.loads(path.read_bytes())
    data.pop("version", None)  # derived from the content, never trusted from the file
    return GenerationPrompt.model_validate(data)


def save_prompt(directory: Path, prompt: GenerationPrompt) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = prompt_path(directory, prompt.tier or "default")
    path.write_bytes(orjson.dumps(prompt.model_dump(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    return path
