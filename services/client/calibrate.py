"""`refinery calibrate`: every task through every tier (generator + critic, no routing) → outcome records.

One JSON line per (task, tier): whether the critic accepted the draft, whether it matched the task's
ground truth (BFCL tasks carry it in `metadata.ground_truth`), tokens, cost and time. A task's label is the
smallest tier that passed, or "none". The file is appended to as it goes, so an interrupted run resumes.
"""

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from schemas import Classification, ClassifiedRequest, GenerationRequest
from services.client.datasets import bfcl_correct, read_jsonl
from services.common.budget import BudgetExceeded
from services.common.engines.base import Engine, SchemaCompileError
from services.common.tiers import Tier
from services.critic.validators import check_draft
from services.generator.logic import generate_draft


def run_task(request: GenerationRequest, engine: Engine, tier: Tier) -> dict[str, Any]:
    """One task on one tier: draft, critic verdicts, ground truth where the task has one."""
    classified = ClassifiedRequest(
        request=request,
        tier=tier.name,
        received_at_ms=0,
        classification=Classification(complexity=0, reason="calibration", forced=True),
    )
    record: dict[str, Any] = {"task": request.id, "tier": tier.name}
    started = time.perf_counter()
    try:
        draft = generate_draft(classified, engine, tier)
    except (BudgetExceeded, SchemaCompileError) as exc:
        return record | {"accepted": False, "correct": None, "passed": False, "error": str(exc)[:300]}
    errors = [v for v in check_draft(draft) if v.severity == "error"]
    truth = request.metadata.get("ground_truth")
    correct = bfcl_correct(draft.output, truth) if truth else None
    accepted = not errors
    entry = draft.ledger.entries[-1]
    return record | {
        "accepted": accepted,
        "correct": correct,
        "passed": accepted and correct is not False,
        "input_tokens": entry.input_tokens,
        "output_tokens": entry.output_tokens,
        "cost": entry.cost,
        "seconds": round(time.perf_counter() - started, 3),
    }


def done_pairs(out_path: Path) -> set[tuple[str, str]]:
    if not out_path.exists():
        return set()
    return {(r["task"], r["tier"]) for r in read_jsonl(out_path)}


def calibrate(
    requests: Iterable[GenerationRequest],
    tiers: list[Tier],
    engine_for: Callable[[Tier], Engine],
    out_path: Path,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> int:
    """Append one record per (task, tier) not yet in `out_path`; returns how many were added."""
    done = done_pairs(out_path)
    added = 0
    requests = list(requests)
    with out_path.open("ab") as out:
        for tier in tiers:
            engine = engine_for(tier)
            for request in requests:
                if (request.id, tier.name) in done:
                    continue
                record = run_task(request, engine, tier)
                out.write(orjson.dumps(record) + b"\n")
                out.flush()
                added += 1
                if on_record is not None:
                    on_record(record)
    return added


def labels(records: Iterable[dict[str, Any]], tier_order: list[str]) -> dict[str, str]:
    """Task → the smallest tier that passed, or "none"."""
    passed: dict[str, set[str]] = {}
    for record in records:
        passed.setdefault(record["task"], set())
        if record["passed"]:
            passed[record["task"]].add(record["tier"])
    return {task: next((t for t in tier_order if t in tiers), "none") for task, tiers in passed.items()}
