"""Quantization as a measured choice: each tier with llama.cpp's KV cache at f16 (today) and q8_0, side by
side on the same dev BFCL tasks (the first simple_python ones, from the calibration set: tuned-on data is
fine here, nothing is fitted). Per tier and option: accuracy of the first draft, decode tokens/s, peak
resident memory (only the cache pages short prompts touch) and the KV cache's size per 1k tokens and as
allocated for the tier's context × batch slots (what long contexts fill). Each option runs in its own
process so resident memory is its own. Not measured: a requantized smaller model file (this package ships
no quantize tool; llama.cpp's C API would requantize a Q4_K_M further only with quality loss) and the
transformers path's bf16 vs 8-bit (no GPU here; bitsandbytes' 8-bit needs CUDA). Writes bench/results/quantization.json.

    .venv/bin/python -m bench.quantization [--tasks 15] [--threads 2]
"""

import argparse
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import orjson

OUT = Path(__file__).parent / "results" / "quantization.json"
OPTIONS = ("f16", "q8_0")
BYTES_PER_VALUE = {"f16": 2.0, "q8_0": 34 / 32}  # q8_0: 32 int8 values and one f16 scale per block


def kv_bytes_per_token(metadata: dict[str, str], kv_cache: str) -> float:
    """K and V for one token over every layer, from the GGUF's own metadata."""
    arch = metadata["general.architecture"]
    layers = int(metadata[f"{arch}.block_count"])
    heads = int(metadata[f"{arch}.attention.head_count"])
    kv_heads = int(metadata.get(f"{arch}.attention.head_count_kv", heads))
    head_dim = int(metadata[f"{arch}.embedding_length"]) // heads
    return 2 * layers * kv_heads * head_dim * BYTES_PER_VALUE[kv_cache]


def run_one(tier_name: str, kv_cache: str, tasks: int, threads: int) -> dict:
    """In this process: load the tier with `kv_cache`, draft every task, report."""
    from schemas import ClassifiedRequest, GenerationRequest
    from services.documents.bfcl import bfcl_requests, task_correct
    from services.generator.drafting import first_draft
    from services.inference.engines import EnginePool
    from services.inference.tiers import load_tiers
    from services.settings import Settings

    settings = Settings(model_threads=threads)
    tiers = load_tiers(settings.tiers_file)
    tier = tiers[tier_name].model_copy(update={"kv_cache": kv_cache})
    engine = EnginePool({tier_name: tier}, settings).get(tier_name)
    right, output_tokens, decode_s = 0, 0, 0.0
    for raw in bfcl_requests(limit=tasks):
        raw = {**raw, "budget": {"max_tokens": 4000}}
        message = ClassifiedRequest.model_validate(
            {
                "request": GenerationRequest.model_validate(raw),
                "tier": tier_name,
                "received_at_ms": int(time.time() * 1000),
                "classification": {"complexity": 0, "reason": "bench"},
            }
        )
        draft = first_draft(message, engine, tier)
        output = getattr(draft, "output", None)
        right += bool(task_correct(raw["metadata"], output))
        for entry in draft.ledger.entries:
            if entry.stage == "generator":
                output_tokens += entry.output_tokens
                decode_s += (entry.duration_ms - (entry.ttft_ms or 0.0)) / 1000
    per_token = kv_bytes_per_token(engine._engine._llm.metadata, kv_cache)
    return {
        "tier": tier_name,
        "kv_cache": kv_cache,
        "model": tier.model_name,
        "tasks": tasks,
        "accuracy": round(right / tasks, 4),
        "decode_tok_s": round(output_tokens / decode_s, 2) if decode_s else None,
        "resident_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "context_window": tier.context_window,
        "batch_slots": tier.max_batch,  # the batched decoder's cache holds context_window × slots tokens
        "kv_mb_per_1k_tokens": round(per_token * 1000 / 2**20, 2),
        "kv_mb_allocated": round(per_token * tier.context_window * tier.max_batch / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tiers", default="small,medium,large")
    parser.add_argument("--one", nargs=2, metavar=("TIER", "KV"))
    args = parser.parse_args()
    if args.one:
        print(orjson.dumps(run_one(args.one[0], args.one[1], args.tasks, args.threads)).decode())
        return
    runs = []
    for tier in args.tiers.split(","):
        for option in OPTIONS:  # side by side, one after the other, same tasks and threads
            command = [sys.executable, "-m", "bench.quantization", "--one", tier, option, "--tasks", str(args.tasks)]
            done = subprocess.run(
                [*command, "--threads", str(args.threads)], capture_output=True, text=True, check=True
            )
            runs.append(orjson.loads(done.stdout.strip().splitlines()[-1]))
            print(runs[-1], flush=True)
    report = {"machine": f"{platform.machine()}, 2 cores, no GPU", "threads": args.threads, "runs": runs}
    OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
