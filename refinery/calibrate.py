"""`refinery calibrate`: every task through every tier (generator + critic, no routing, no refinement
beyond the repairs that cost no token) → outcome records, by the in-process pipeline.

One JSON line per (task, tier): whether the critic accepted the draft, whether it matched the task's
ground truth (BFCL tasks carry it in `metadata.ground_truth`), tokens, cost and time. The file is appended
to as it goes, so an interrupted run resumes.
"""

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from schemas import Draft, GenerationRequest, ResultStatus, Verdict
from services.critic.free_repairs import free_repairs
from services.critic.menu_judge import MenuJudge
from services.critic.validators import check_draft
from services.documents.bfcl import read_jsonl, task_correct
from services.pipeline import Pipeline


def verdict_codes(verdicts: Iterable[Verdict]) -> list[str]:
    """`kind:code` of each verdict, once each, sorted ("grounding:request", "semantic:confidence")."""
    return sorted({f"{v.kind}:{v.code or ''}" for v in verdicts})


def run_task(request: GenerationRequest, pipeline: Pipeline, tier: str) -> dict[str, Any]:
    """One task on one tier: draft, critic verdicts, ground truth where the task has one."""
    record: dict[str, Any] = {"task": request.id, "tier": tier}
    started = time.perf_counter()
    run = pipeline.run(request.model_copy(update={"tier": tier}))
    result = run.result
    if result.status in (ResultStatus.error, ResultStatus.budget_exhausted):
        reason = result.error or "; ".join(v.message for v in result.verdicts)
        return record | {"accepted": False, "correct": None, "passed": False, "error": reason[:300]}
    correct = task_correct(request.metadata, result.output)
    accepted = result.status == ResultStatus.accepted
    entry = next(e for e in result.ledger.entries if e.stage == "generator")
    confidence = run.first_draft.confidence if run.first_draft is not None else None
    outcome = record | {
        "accepted": accepted,
        "correct": correct,
        "passed": accepted and correct is not False,
        "input_tokens": entry.input_tokens,
        "output_tokens": entry.output_tokens,
        "cost": entry.cost,
        "seconds": round(time.perf_counter() - started, 3),
        "confidence": confidence.model_dump() if confidence is not None else None,
        "output": result.output,  # to fit and audit verifiers on (bench/ladder.py), and to re-judge
        "verdicts": verdict_codes(result.verdicts),
    }
    # with the repairs a round makes for free, as a re-judged record
    return rejudge(outcome, request, pipeline.menu_judge)


def rejudge(record: dict[str, Any], request: GenerationRequest, menu_judge: MenuJudge | None = None) -> dict[str, Any]:
    """A record judged again from its stored draft by today's deterministic checks, free repairs
    (`free_repairs`) and answer rule, with no model call: all are pure functions of the request and the
    draft. A repaired record keeps the draft beside the output. Requests with a context are left as they
    are (their grounding needs the encoder)."""
    if "output" not in record or request.context or record.get("error"):
        return record
    drafted = record.get("draft", record["output"])
    draft = Draft(request=request, tier=record["tier"], received_at_ms=0, output=drafted)
    failing = [v for v in check_draft(draft, menu_judge=menu_judge) if v.severity == "error"]
    output, verdicts = free_repairs(draft, failing, menu_judge)
    correct = task_correct(request.metadata, output)
    accepted = not verdicts
    judged = {key: value for key, value in record.items() if key != "draft"}
    return (
        judged
        | {
            "accepted": accepted,
            "correct": correct,
            "passed": accepted and correct is not False,
            "output": output,
            "verdicts": verdict_codes(verdicts),
        }
        | ({"draft": drafted} if output != drafted else {})
    )


def rejudge_file(requests: Iterable[GenerationRequest], path: Path, menu_judge: MenuJudge | None = None) -> int:
    """Rewrite `path` with every record re-judged (`rejudge`); returns how many changed."""
    by_id = {r.id: r for r in requests}
    records = list(read_jsonl(path))
    judged = [rejudge(r, by_id[r["task"]], menu_judge) if r["task"] in by_id else r for r in records]
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in judged))
    return sum(a != b for a, b in zip(records, judged, strict=True))


def done_pairs(out_path: Path) -> set[tuple[str, str]]:
    if not out_path.exists():
        return set()
    return {(r["task"], r["tier"]) for r in read_jsonl(out_path)}


def calibrate(
    requests: Iterable[GenerationRequest],
    tiers: list[str],
    pipeline: Pipeline,
    out_path: Path,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> int:
    """Append one record per (task, tier) not yet in `out_path`; returns how many were added. The pipeline
    runs no refinement round (max_rounds 0): the outcome is the tier's own."""
    done = done_pairs(out_path)
    added = 0
    requests = list(requests)
    with out_path.open("ab") as out:
        for tier in tiers:
            for request in requests:
                if (request.id, tier) in done:
                    continue
                record = run_task(request, pipeline, tier)
                out.write(orjson.dumps(record) + b"\n")
                out.flush()
                added += 1
                if on_record is not None:
                    on_record(record)
    return added
