"""The compiler's task splits over ../shared/data BFCL (answers known), by index per category, disjoint:
demonstrations are drawn from one slice, candidates are scored on another, the winner is checked on a third,
and the benchmark reports on a fourth that nothing is tuned on. None overlaps the router's calibration set
(the first 100 simple_python and 40 live_multiple tasks)."""

import hashlib
from typing import Any

from schemas import GenerationRequest
from services.documents.bfcl import bfcl_requests, data_dir

CATEGORIES = ("simple_python", "live_multiple")
DEMO_POOL = range(140, 160)  # where demonstrations come from
TUNE = range(160, 170)  # what candidates are scored on
VALIDATE = range(170, 180)  # the winner must not lose to the hand-written prompt here, or it is not kept
UNTUNED = range(340, 350)  # never tuned on: what bench/compile.py reports
MAX_TOKENS = 4000  # a task's budget: generous, so the prompt's own cost is what differs


def split(indices: range, categories: tuple[str, ...] = CATEGORIES) -> list[GenerationRequest]:
    """The tasks at `indices` of each category, interleaved (so a prefix of the list mixes both)."""
    per_category = []
    for category in categories:
        rows = bfcl_requests(limit=indices.stop, max_tokens=MAX_TOKENS, category=category)
        per_category.append([GenerationRequest.model_validate(r) for r in rows[indices.start : indices.stop]])
    return [request for group in zip(*per_category, strict=True) for request in group]


def data_version(categories: tuple[str, ...] = CATEGORIES) -> str:
    """Hash of the task and answer files the compiler reads, and of the splits."""
    digest = hashlib.sha256(repr((DEMO_POOL, TUNE, VALIDATE)).encode())
    for category in categories:
        for suffix in ("", "_answers"):
            digest.update((data_dir() / "bfcl" / f"{category}{suffix}.jsonl").read_bytes())
    return digest.hexdigest()[:12]


def expected_output(request: GenerationRequest) -> Any:
    """The task's answer as a demonstration shows it: the first accepted value of each argument, and
    arguments the answer lets one omit left out (the request did not ask for them)."""
    [(function, allowed)] = request.metadata["ground_truth"][0].items()
    arguments = {name: values[0] for name, values in allowed.items() if "" not in values}
    return {function: arguments} if request.metadata.get("category") == "live_multiple" else arguments
