"""A menu of calls asked for as its JSON Schema vs as a tool call (a tier's `menu_format`), side by side.

BFCL live_multiple tasks (real users' requests choosing among 2-6+ functions) drafted by one tier through
the generator's own path (`generate_draft`), once with each format, in one process one after the other.
Per format: drafts right under BFCL's rule, tokens per task, and how often the least confident pick
falls below the tier's verifier threshold. Two splits: `tuning` (the calibration set's 40 live tasks,
positions 0-39, the ones the format was chosen on) and `unseen` (positions no bench, calibration or e2e
run had drafted before this one; never tuned on). Merges its rows into bench/results/tool_calls.json.

    .venv/bin/python -m bench.tool_calls --tier large --split unseen
"""

import argparse
import os
import platform
import time
from pathlib import Path

import orjson

from schemas import Classification, ClassifiedRequest, GenerationRequest
from services.documents.bfcl import bfcl_requests, task_correct
from services.generator.drafting import generate_draft
from services.inference.engines import EnginePool
from services.inference.tiers import load_tiers
from services.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "tool_calls.json"
SPLITS = {
    "tuning": list(range(40)),
    # live_multiple positions untouched by every earlier run (bench/results/e2e_*.json, calibration)
    "unseen": [140, *range(171, 180), *range(240, 250), *range(290, 295)],
}
FORMATS = ("schema", "tool_calls")


def draft_row(request: GenerationRequest, tier_name: str, engine, tier) -> dict:
    forced = Classification(complexity=0, reason="bench", forced=True)
    message = ClassifiedRequest(request=request, tier=tier_name, classification=forced, received_at_ms=0)
    started = time.perf_counter()
    draft = generate_draft(message, engine, tier)
    [entry] = draft.ledger.entries
    confidence = draft.confidence.min_logprob if draft.confidence else None
    return {
        "id": request.id,
        "right": bool(task_correct(request.metadata, draft.output)),
        "tokens": entry.input_tokens + entry.output_tokens,
        "min_logprob": confidence,
        "seconds": round(time.perf_counter() - started, 2),
        "output": draft.output,
    }


def summary(rows: list[dict], threshold: float | None) -> dict:
    n = max(1, len(rows))
    unsure = [r for r in rows if threshold is not None and (r["min_logprob"] or 0) < threshold]
    return {
        "tasks": len(rows),
        "right": sum(r["right"] for r in rows),
        "accuracy": round(sum(r["right"] for r in rows) / n, 4),
        "tokens_per_task": round(sum(r["tokens"] for r in rows) / n, 1),
        "right_per_1k_tokens": round(1000 * sum(r["right"] for r in rows) / max(1, sum(r["tokens"] for r in rows)), 3),
        "below_verifier_threshold": len(unsure),
        "wrong_among_sure": sum(not r["right"] for r in rows if r not in unsure),
        "sure": len(rows) - len(unsure),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tier", default="large")
    parser.add_argument("--split", choices=sorted(SPLITS), default="unseen")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    args = parser.parse_args()
    settings = Settings()
    tiers = load_tiers(settings.tiers_file)
    engine = EnginePool(tiers, settings).get(args.tier, None)
    live = bfcl_requests(category="live_multiple")
    roomy = {"budget": {"max_tokens": 20_000}}  # the draft alone is compared: no task may end for its budget
    requests = [GenerationRequest.model_validate(live[i] | roomy) for i in SPLITS[args.split][: args.limit]]
    runs = {}
    for menu_format in args.formats:
        tier = tiers[args.tier].model_copy(update={"menu_format": menu_format})
        rows = [draft_row(request, args.tier, engine, tier) for request in requests]
        judged = summary(rows, tier.verify_min_logprob)
        runs[menu_format] = {"summary": judged, "threads": settings.threads(), "rows": rows}
        print(menu_format, runs[menu_format]["summary"], flush=True)
    results = orjson.loads(OUT.read_bytes()) if OUT.exists() else {"runs": {}}  # read late: runs may overlap
    results["machine"] = f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, CPU only"
    results["runs"].setdefault(f"{args.tier}/{args.split}", {}).update(runs)
    OUT.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


if __name__ == "__main__":
    main()
