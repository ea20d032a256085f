"""Drafts the tiers already wrote, for benches that re-judge them without a model: the calibration
records (data/calibration-ladder.jsonl, each draft and its final output) and every row of a bench result
that carries a request id and an output."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from services.documents.bfcl import read_jsonl

ROOT = Path(__file__).resolve().parents[1]
CALIBRATION = ROOT / "data" / "calibration-ladder.jsonl"
RESULTS = ROOT / "bench" / "results"
# The 24 live_multiple positions of the latest e2e runs (README, "End to end"): kept out of every
# re-judging so that they stay a set no rule was shaped on.
E2E_FRESH_POSITIONS = (*range(295, 300), *range(340, 350), *range(421, 430))


def _rows(node: Any) -> Iterator[dict[str, Any]]:
    """Every object of a result file with an `id` and an `output`, at any depth."""
    if isinstance(node, dict):
        if "id" in node and "output" in node:
            yield node
        for value in node.values():
            yield from _rows(value)
    elif isinstance(node, list):
        for value in node:
            yield from _rows(value)


def stored_outputs(results: str = "*.json") -> Iterator[tuple[str, Any]]:
    """(request id, output) of every stored draft, repeats included: calibration first, then the result
    files matching `results`."""
    if CALIBRATION.exists():
        for record in read_jsonl(CALIBRATION):
            for key in ("draft", "output"):
                if record.get(key) is not None:
                    yield record["task"], record[key]
    for path in sorted(RESULTS.glob(results)):
        for row in _rows(orjson.loads(path.read_bytes())):
            yield row["id"], row["output"]


def distinct_outputs(ids: set[str], results: str = "*.json") -> list[tuple[str, Any]]:
    """Each distinct (request id, output) once, for the ids given, in the order first stored."""
    seen: dict[tuple[str, bytes], tuple[str, Any]] = {}
    for task, output in stored_outputs(results):
        if task in ids:
            seen.setdefault((task, orjson.dumps(output, option=orjson.OPT_SORT_KEYS)), (task, output))
    return list(seen.values())
