"""Turn the shared benchmark data (../shared/data) into Refinery requests."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from services.documents.bfcl_answers import arguments_match
from services.settings import REPO_ROOT

BFCL_TYPES = {"dict": "object", "float": "number", "tuple": "array"}


def data_dir() -> Path:
    return Path(os.environ.get("REFINERY_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


def bfcl_schema(node: Any) -> Any:
    """BFCL parameter schemas are not strict JSON Schema: map their type names, drop `any`."""
    if isinstance(node, list):
        return [bfcl_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "type" and isinstance(value, str):
            if value == "any":
                continue
            out[key] = BFCL_TYPES.get(value, value)
        elif key in ("properties", "items", "additionalProperties"):
            out[key] = {k: bfcl_schema(v) for k, v in value.items()} if key == "properties" else bfcl_schema(value)
        else:
            out[key] = value
    return out


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)


def _question(task: dict[str, Any]) -> str:
    return " ".join(turn["content"] for turn in task["question"][0] if turn["role"] == "user")


def _simple_request(task: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """One function: the output is its arguments."""
    function = task["function"][0]
    prompt = f"{_question(task)}\nGive the arguments for calling {function['name']}: {function['description']}"
    return prompt, bfcl_schema(function["parameters"])


def _choice_request(task: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Several functions: the output names the one to call, `{"<name>": {<arguments>}}`. The branches are
    `anyOf` (one key each, closed, so at most one matches)."""
    offered = "\n".join(f"- {f['name']}: {f['description']}" for f in task["function"])
    prompt = f"{_question(task)}\nCall the one function that does this, with its arguments. Functions:\n{offered}"
    branches = [
        {
            "type": "object",
            "properties": {f["name"]: bfcl_schema(f["parameters"])},
            "required": [f["name"]],
            "additionalProperties": False,
        }
        for f in task["function"]
    ]
    return prompt, {"anyOf": branches}


CATEGORIES = {"simple_python": _simple_request, "live_multiple": _choice_request}


def bfcl_requests(
    limit: int | None = None,
    max_tokens: int = 2000,
    root: Path | None = None,
    category: str = "simple_python",
) -> list[dict[str, Any]]:
    """BFCL tasks as GenerationRequests. simple_python: prompt = question + function, schema = its
    parameters. live_multiple: real users' requests offering several functions (see `_choice_request`)."""
    root = root or data_dir()
    answers = {a["id"]: a["ground_truth"] for a in read_jsonl(root / "bfcl" / f"{category}_answers.jsonl")}
    requests = []
    for task in read_jsonl(root / "bfcl" / f"{category}.jsonl"):
        prompt, schema = CATEGORIES[category](task)
        requests.append(
            {
                "id": f"bfcl-{task['id']}",
                "prompt": prompt,
                "schema": schema,
                "budget": {"max_tokens": max_tokens},
                "metadata": {
                    "source": "bfcl",
                    "task": task["id"],
                    "category": category,
                    "function": task["function"][0]["name"] if category == "simple_python" else None,
                    "ground_truth": answers.get(task["id"]),
                },
            }
        )
        if limit is not None and len(requests) >= limit:
            break
    return requests


def bfcl_correct(output: Any, ground_truth: list[dict[str, Any]], named: bool = False) -> bool:
    """BFCL's rule (bfcl_answers). `named`: the output is `{"<function>": {<arguments>}}` and must name the
    expected function."""
    if not ground_truth:
        return False
    [(function, expected)] = ground_truth[0].items()
    if named:
        if not isinstance(output, dict) or list(output) != [function]:
            return False
        output = output[function]
    return arguments_match(output, expected)


def task_correct(request_metadata: dict[str, Any], output: Any) -> bool | None:
    """Whether `output` answers the BFCL task the metadata names (None: no ground truth)."""
    truth = request_metadata.get("ground_truth")
    if not truth:
        return None
    return bfcl_correct(output, truth, named=request_metadata.get("category") == "live_multiple")
