"""Turn the shared benchmark data (../shared/data) into Refinery requests."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

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


def bfcl_requests(limit: int | None = None, max_tokens: int = 2000, root: Path | None = None) -> list[dict[str, Any]]:
    """BFCL simple_python as GenerationRequests: prompt = question + function, schema = its parameters."""
    root = root or data_dir()
    answers = {a["id"]: a["ground_truth"] for a in read_jsonl(root / "bfcl" / "simple_python_answers.jsonl")}
    requests = []
    for task in read_jsonl(root / "bfcl" / "simple_python.jsonl"):
        function = task["function"][0]
        question = " ".join(turn["content"] for turn in task["question"][0] if turn["role"] == "user")
        requests.append(
            {
                "id": f"bfcl-{task['id']}",
                "prompt": f"{question}\nGive the arguments for calling {function['name']}: {function['description']}",
                "schema": bfcl_schema(function["parameters"]),
                "budget": {"max_tokens": max_tokens},
                "metadata": {
                    "source": "bfcl",
                    "task": task["id"],
                    "function": function["name"],
                    "ground_truth": answers.get(task["id"]),
                },
            }
        )
        if limit is not None and len(requests) >= limit:
            break
    return requests


def bfcl_correct(arguments: Any, ground_truth: list[dict[str, Any]]) -> bool:
    """BFCL's rule: each parameter equals one of the listed values; "" in the list means it may be omitted."""
    if not isinstance(arguments, dict) or not ground_truth:
        return False
    [(_, expected)] = ground_truth[0].items()
    if set(arguments) - set(expected):
        return False
    for name, allowed in expected.items():
        if name not in arguments:
            if "" not in allowed:
                return False
        elif arguments[name] not in allowed:
            return False
    return True
