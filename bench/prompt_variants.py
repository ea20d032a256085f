"""Meaning-preserving rewrites of a BFCL request, for measuring prompt sensitivity: the same task said
differently must get the same answer. Five variants per task: as given, the instruction paraphrased, the
schema's properties (and offered functions) in reverse order, the parameter descriptions reworded, and the
user's question wrapped in polite filler."""

import re
from typing import Any

from schemas import GenerationRequest

INSTRUCTION_PARAPHRASES = (
    ("Give the arguments for calling", "Fill in the parameters to call"),
    (
        "Call the one function that does this, with its arguments. Functions:",
        "Pick the single function that fits this request and supply its arguments. Available functions:",
    ),
)
DESCRIPTION_REWORDING = (
    (r"^The ", "This is the "),
    (r"\bspecified\b", "given"),
    (r"\be\.g\.", "for example"),
    (r"\bDefault is\b", "Defaults to"),
    (r"\bdefault is\b", "defaults to"),
    (r"\bnumber of\b", "count of"),
)
VARIANTS = ("original", "paraphrased", "reordered", "redescribed", "padded")


def _reversed_properties(node: Any) -> Any:
    if isinstance(node, list):
        return [_reversed_properties(n) for n in reversed(node)] if node and isinstance(node[0], dict) else node
    if not isinstance(node, dict):
        return node
    out = {key: _reversed_properties(value) for key, value in node.items()}
    if isinstance(node.get("properties"), dict):
        out["properties"] = {k: _reversed_properties(v) for k, v in reversed(node["properties"].items())}
    return out


def _reworded(node: Any) -> Any:
    if isinstance(node, list):
        return [_reworded(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {key: _reworded(value) for key, value in node.items()}
    if isinstance(node.get("description"), str):
        text = node["description"]
        for pattern, replacement in DESCRIPTION_REWORDING:
            text = re.sub(pattern, replacement, text)
        out["description"] = text
    return out


def _split(prompt: str) -> tuple[str, str]:
    """The user's question and the instruction appended to it (services/documents/bfcl.py)."""
    marker = "\nCall the one function"
    if marker in prompt:
        question, _, rest = prompt.partition(marker)
        return question, marker.lstrip("\n") + rest
    question, _, instruction = prompt.rpartition("\n")
    return question, instruction


def variant(request: GenerationRequest, kind: str) -> GenerationRequest:
    prompt, schema = request.prompt, request.json_schema
    if kind == "paraphrased":
        for old, new in INSTRUCTION_PARAPHRASES:
            prompt = prompt.replace(old, new)
    elif kind == "reordered":
        schema = _reversed_properties(schema)
        question, instruction = _split(prompt)
        if "\n- " in instruction:  # the offered functions, listed in reverse too
            head, *functions = instruction.split("\n- ")
            instruction = "\n- ".join([head, *reversed(functions)])
        prompt = f"{question}\n{instruction}"
    elif kind == "redescribed":
        schema = _reworded(schema)
    elif kind == "padded":
        question, instruction = _split(prompt)
        prompt = f"Hi! I could use some help with this. {question} Thanks a lot.\n{instruction}"
    elif kind != "original":
        raise ValueError(f"unknown variant {kind!r}")
    return request.model_copy(update={"id": f"{request.id}~{kind}", "prompt": prompt, "json_schema": schema})
