"""Dynamic batching benchmark → bench/results/generator_batching.json.

Throughput (output tokens/s, prefill included) of one-at-a-time `complete()` vs `complete_batch()` on the
same engine, model and machine, at 1, 4 and 8 concurrent requests (best of 3 runs each): BFCL tasks
constrained to their schemas (short answers), and a longer free-text-in-JSON workload where decoding
dominates. Also checks that the batched outputs equal the unbatched ones.

    .venv/bin/python -m bench.generator_batching [--tier small] [--threads 2] [--engine transformers]

llama_cpp writes bench/results/generator_batching.json; transformers writes
bench/results/generator_batching_transformers.json (`--device cuda` on a GPU: ..._transformers_cuda.json).
"""

import argparse
import os
import platform
import time
from pathlib import Path

import orjson

from services.documents.bfcl import bfcl_requests
from services.inference.engines.registry import build_engine
from services.inference.prompts import generation_messages
from services.inference.tiers import load_tiers
from services.settings import Settings

OUT = Path(__file__).parent / "results" / "generator_batching.json"
CONCURRENCY = (1, 4, 8)
REPEATS = 3
TOPICS = (
    "a lighthouse",
    "a desert town",
    "a night train",
    "an old library",
    "a mountain lake",
    "a market",
    "a harbour",
    "a forest",
)
STORY = {
    "type": "object",
    "properties": {"title": {"type": "string", "maxLength": 60}, "description": {"type": "string", "maxLength": 400}},
    "required": ["title", "description"],
    "additionalProperties": False,
}


def workloads(max_new: int) -> dict[str, list]:
    bfcl = [(generation_messages(t["prompt"], t["schema"], None), t["schema"], max_new) for t in bfcl_requests(limit=8)]
    story = [
        (
            generation_messages(f"Write a title and a three-sentence description of {topic}.", STORY, None),
            STORY,
            max_new,
        )
        for topic in TOPICS
    ]
    return {"bfcl": bfcl, "long_json": story}


def measure(engine, calls: list, repeats: int = REPEATS) -> dict:
    """Best of `repeats` alternating runs of each path (this machine's other load only ever slows a run)."""
    sequential_s = batched_s = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        one_by_one = [engine.complete(*call) for call in calls]
        sequential_s = min(sequential_s, time.perf_counter() - started)
        started = time.perf_counter()
        batched = engine.complete_batch(calls)
        batched_s = min(batched_s, time.perf_counter() - started)
    tokens = sum(c.output_tokens for c in one_by_one)
    return {
        "concurrency": len(calls),
        "output_tokens": tokens,
        "sequential_tok_s": round(tokens / sequential_s, 2),
        "batched_tok_s": round(sum(c.output_tokens for c in batched) / batched_s, 2),
        "speedup": round(sequential_s / batched_s, 3),
        "outputs_equal": [c.text for c in one_by_one] == [c.text for c in batched],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tier", default="small")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--max-new", type=int, default=128)
    parser.add_argument("--engine", choices=("llama_cpp", "transformers"), default="llama_cpp")
    parser.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu")
    args = parser.parse_args()
    settings = Settings(model_threads=args.threads)
    tier = load_tiers(settings.tiers_file)[args.tier]
    tier = tier.model_copy(update={"engine": args.engine, "device": args.device, "max_batch": max(CONCURRENCY)})
    engine = build_engine(tier, settings)
    engine = getattr(engine, "_engine", engine)  # the engine itself, not the coalescing front
    warm_up = workloads(8)["bfcl"][:2]
    engine.complete_batch(warm_up)  # warm-up: grammars, the batched context, then the one-at-a-time path
    engine.complete(*warm_up[0])
    results = {}
    for name, calls in workloads(args.max_new).items():
        results[name] = [measure(engine, calls[:c]) for c in CONCURRENCY]
        print(name, results[name], flush=True)
    runs = results["long_json"]
    if getattr(engine, "device", None) is not None and engine.device.type == "cuda":
        import torch

        device = f"cuda ({torch.cuda.get_device_name()})"
    else:
        device = f"cpu ({platform.processor() or platform.machine()}, {args.threads} threads)"
    report = {
        "model": tier.model_name,
        "device": device,
        "engine": f"{args.engine} step-level batching, llguidance masks",
        "workload": "long_json: title + 3-sentence description, schema-constrained, 128 new tokens max",
        "runs": runs,
        "speedup_at_8": next(r["speedup"] for r in runs if r["concurrency"] == 8),
        "bfcl_runs": results["bfcl"],
        "bfcl_speedup_at_8": next(r["speedup"] for r in results["bfcl"] if r["concurrency"] == 8),
    }
    out = OUT if args.engine == "llama_cpp" else OUT.with_name(f"generator_batching_{args.engine}.json")
    if device.startswith("cuda"):
        out = out.with_name(f"{out.stem}_cuda.json")
    out.parent.mkdir(exist_ok=True)
    out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
