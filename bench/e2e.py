"""End to end over the real stack, on tasks the system has never seen: BFCL requests through the broker
and the four services with the default ladder, router, verifier and cascade.

The tasks come from past the calibration set (`--offset`, default 300: calibration used the first 100
simple_python and 40 live_multiple tasks), half simple_python, half live_multiple (`--live-offset` and
`--live-n` draw the live ones elsewhere). Each row keeps the producing tier's confidence. Writes
bench/results/e2e.json: accuracy, acceptance and false accepts, tiers and escalations, tokens, per-request
latency, time per stage (from the ledgers), and the rest (queueing and Kafka hops) = latency − stage time.
A warm-up request first, so group joins are excluded.

    .venv/bin/python -m bench.e2e [--n 20] [--offset 300] [--live-offset N] [--live-n N] [--live-at 1,5,9]
        [--out bench/results/e2e.json] [--timeout 1800]
"""

import argparse
import asyncio
import platform
import time
from pathlib import Path

import orjson

from refinery.calibrate import verdict_codes
from refinery.client import percentile, run_batch, summarise
from refinery.devstack.stack import Stack
from services.documents.bfcl import bfcl_requests, task_correct
from services.settings import Settings

OUT = Path(__file__).parent / "results" / "e2e.json"


def wrong_accepted(rows: list[dict]) -> float | None:
    accepted = [r for r in rows if r["status"] == "accepted"]
    return round(sum(not r["correct"] for r in accepted) / len(accepted), 4) if accepted else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--offset", type=int, default=300)
    parser.add_argument("--live-offset", type=int, help="where the live_multiple tasks start (default: --offset)")
    parser.add_argument("--live-n", type=int, help="how many live_multiple tasks (default: half of --n)")
    parser.add_argument("--live-at", help="live_multiple positions instead, comma-separated (gaps of the unseen pool)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the batch's Results")
    args = parser.parse_args()
    half = args.n // 2
    simple = bfcl_requests(limit=args.offset + half + 1)[args.offset :]
    live_offset = args.offset if args.live_offset is None else args.live_offset
    live_n = args.n - half if args.live_n is None else args.live_n
    live = bfcl_requests(limit=live_offset + live_n, category="live_multiple")[live_offset:]
    if args.live_at:
        every_live = bfcl_requests(category="live_multiple")
        live = [every_live[int(at)] for at in args.live_at.split(",")]
    warmup, requests = simple[0], simple[1:] + live
    with Stack(Path(".refinery/bench")) as stack:
        stack.start()
        settings = Settings(bootstrap_servers=stack.bootstrap)
        warmup["id"] = f"warmup-{time.time_ns()}"
        asyncio.run(run_batch([orjson.dumps(warmup)], settings, 300))
        started = time.monotonic()
        results = asyncio.run(run_batch([orjson.dumps(r) for r in requests], settings, args.timeout))
        wall = time.monotonic() - started
    rows = []
    for request, result in zip(requests, results, strict=True):
        stages = {stage: totals["duration_ms"] for stage, totals in result.ledger.by_stage.items()}
        ttft = [e.ttft_ms for e in result.ledger.entries if e.stage == "generator" and e.ttft_ms is not None]
        rows.append(
            {
                "id": result.id,
                "status": result.status.value,
                "category": request["metadata"]["category"],
                "correct": bool(task_correct(request["metadata"], result.output)),
                "tier": result.tier,
                "escalations": result.escalations,
                "rounds": result.rounds,
                "tokens": result.ledger.tokens,
                "latency_ms": result.latency_ms,
                "stage_ms": stages,
                "generator_ttft_ms": ttft[0] if ttft else None,
                "queue_and_transport_ms": round((result.latency_ms or 0) - sum(stages.values()), 1),
                "verdicts": verdict_codes(result.verdicts),
                "output": result.output,
                "confidence": result.confidence.model_dump() if result.confidence else None,
            }
        )
    stage_names = ("classifier", "generator", "critic", "refiner")
    report = {
        "machine": f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, CPU only",
        "models": "default ladder: SmolLM2-135M, Qwen2.5-Coder 0.5B and 1.5B (llama.cpp, 1 thread per model worker)",
        "tasks": f"unseen: BFCL simple_python from index {args.offset}, live_multiple "
        + (f"at {args.live_at}" if args.live_at else f"from {live_offset}"),
        "requests": len(rows),
        "wall_s": round(wall, 2),
        "throughput_req_s": round(len(rows) / wall, 3),
        "summary": summarise(results),
        "accuracy_bfcl": sum(r["correct"] and r["status"] == "accepted" for r in rows) / len(rows),
        "accepted": sum(r["status"] == "accepted" for r in rows) / len(rows),
        "false_accept_rate": wrong_accepted(rows),
        "by_tier": {t: sum(r["tier"] == t for r in rows) for t in sorted({str(r["tier"]) for r in rows})},
        "escalated": sum(r["escalations"] > 0 for r in rows),
        "mean_stage_ms": {s: round(sum(r["stage_ms"].get(s, 0) for r in rows) / len(rows), 1) for s in stage_names},
        "mean_queue_and_transport_ms": round(sum(r["queue_and_transport_ms"] for r in rows) / len(rows), 1),
        "p50_generator_ttft_ms": percentile([r["generator_ttft_ms"] for r in rows if r["generator_ttft_ms"]], 0.5),
        "rows": rows,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(orjson.dumps({k: v for k, v in report.items() if k != "rows"}, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
