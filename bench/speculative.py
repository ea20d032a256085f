"""Speculative decoding vs plain greedy decoding, side by side in one run → bench/results/speculative.json.

Drafters: `prompt_lookup` (services/inference/decoding/drafting.py: the tokens the schema forces, then
prompt lookup, cut where the grammar refuses them; no second model) and `model` (a smaller tier of the same
vocabulary drafts under the grammar: engines/llama_cpp/model_drafter.py; its tokens are counted). Per tier,
drafter and workload:
- concurrency 1: each call alone, plain (llama-cpp-python's own loop) vs speculative (the batched decoder
  verifying drafts); decode tokens/s = output tokens / (duration − time to first token);
- concurrency 8: eight calls in one batch, plain batched vs speculative batched, and with the switch-off
  policy in force (`speculate_max_batch` = 1: a batch of 8 decodes plainly); tokens/s over the batch's wall
  time (prefill included, the same for both);
- acceptance: accepted / drafted tokens; outputs identical: speculative text equal to plain text, per call.
Workloads: BFCL answers, extraction from a source text (copies spans: where prompt lookup should shine),
long free JSON (a description written from nothing).

    .venv/bin/python -m bench.speculative [--tiers large] [--drafters prompt_lookup,model] [--tasks 5] [--threads 2]
"""

import argparse
import platform
import time
from pathlib import Path

import orjson

from bench.drift_stream import stream
from bench.generator_batching import STORY, TOPICS
from services.documents.bfcl import bfcl_requests
from services.inference.engines.llama_cpp.engine import LlamaCppEngine
from services.inference.prompts import generation_messages
from services.inference.tiers import load_tiers
from services.settings import REPO_ROOT, Settings

OUT = Path(__file__).parent / "results" / "speculative.json"
MAX_NEW = 160


def workloads(tasks: int) -> dict[str, list]:
    bfcl = [(generation_messages(t["prompt"], t["schema"], None), t["schema"], MAX_NEW) for t in bfcl_requests()]
    examples = [orjson.loads(line) for line in (REPO_ROOT / "examples" / "requests.jsonl").read_bytes().splitlines()]
    sources = [e for e in examples if e.get("context")] + stream("new_family", 8, 5) + stream("steady", 8, 6)[1::2]
    extraction = [(generation_messages(e["prompt"], e["schema"], e["context"]), e["schema"], MAX_NEW) for e in sources]
    story = [
        (generation_messages(f"Write a title and a three-sentence description of {t}.", STORY, None), STORY, MAX_NEW)
        for t in TOPICS
    ]
    return {"bfcl": bfcl[:8], "extraction": extraction[:8], "long_json": (story * 2)[:8]}


DRAFT_TIER = {"large": "medium", "small": "small"}  # the model drafter: a smaller model of the same vocabulary


def engine(tier, threads: int, drafter: str, speculate_max_batch: int, draft=None) -> LlamaCppEngine:
    return LlamaCppEngine(
        tier.model_path(),
        tier.model_name,
        context_window=tier.context_window,
        threads=threads,
        max_batch=8,
        drafter=drafter,
        speculate_max_batch=speculate_max_batch,
        draft_model_path=draft.model_path() if draft is not None and drafter == "model" else None,
    )


def decode_rate(completions) -> float:
    seconds = sum((c.duration_ms - (c.ttft_ms or 0)) / 1000 for c in completions)
    return round(sum(c.output_tokens for c in completions) / seconds, 2)


def batch_rate(engine_: LlamaCppEngine, calls: list) -> tuple[float, list]:
    started = time.perf_counter()
    done = engine_.complete_batch(calls)
    return round(sum(c.output_tokens for c in done) / (time.perf_counter() - started), 2), done


def acceptance(completions) -> float | None:
    drafted = sum(c.drafted_tokens for c in completions)
    return round(sum(c.accepted_tokens for c in completions) / drafted, 4) if drafted else None


def drafter_share(completions) -> float:
    return round(sum(c.drafter_tokens for c in completions) / max(1, sum(c.output_tokens for c in completions)), 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tiers", default="large")
    parser.add_argument("--drafters", default="prompt_lookup,model")
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    tiers = load_tiers(Settings().tiers_file)
    runs, identical, calls_compared = [], 0, 0
    for name, drafter in ((n, d) for n in args.tiers.split(",") for d in args.drafters.split(",")):
        tier = tiers[name]
        draft = tiers.get(DRAFT_TIER.get(name, ""))
        plain = engine(tier, args.threads, "none", 1)
        spec = engine(tier, args.threads, drafter, 8, draft)
        policy = engine(tier, args.threads, drafter, 1, draft)  # the switch-off policy for batches
        plain.complete(*workloads(1)["bfcl"][0])  # load and warm up both before timing
        spec.complete(*workloads(1)["bfcl"][0])
        for workload, calls in workloads(args.tasks).items():
            alone_plain = [plain.complete(*call) for call in calls[: args.tasks]]
            alone_spec = [spec.complete(*call) for call in calls[: args.tasks]]
            same = [a.text == b.text for a, b in zip(alone_plain, alone_spec, strict=True)]
            plain_8, batch_plain = batch_rate(plain, calls)
            spec_8, batch_spec = batch_rate(spec, calls)
            policy_8, _ = batch_rate(policy, calls)
            same += [a.text == b.text for a, b in zip(batch_plain, batch_spec, strict=True)]
            identical, calls_compared = identical + sum(same), calls_compared + len(same)
            for concurrency, plain_rate, spec_rate, drafted in (
                (1, decode_rate(alone_plain), decode_rate(alone_spec), alone_spec),
                (8, plain_8, spec_8, batch_spec),
            ):
                runs.append(
                    {
                        "tier": name,
                        "drafter": drafter,
                        "draft_model": draft.model_name if drafter == "model" and draft is not None else None,
                        "workload": workload,
                        "concurrency": concurrency,
                        "acceptance": acceptance(drafted),
                        "plain_tok_s": plain_rate,
                        "speculative_tok_s": spec_rate,
                        "speedup": round(spec_rate / plain_rate, 3),
                        "policy_tok_s": policy_8 if concurrency == 8 else None,
                        "policy_speedup": round(policy_8 / plain_8, 3) if concurrency == 8 else None,
                        "identical": f"{sum(same)}/{len(same)}",
                        "drafter_tokens_per_output_token": drafter_share(drafted),
                    }
                )
                print(runs[-1], flush=True)
    report = {
        "machine": f"{platform.machine()}, 2 cores, no GPU, {args.threads} threads",
        "runs": runs,
        "best_speedup_conc1": max(r["speedup"] for r in runs if r["concurrency"] == 1),
        "best_speedup_conc1_by_drafter": {
            d: max(r["speedup"] for r in runs if r["concurrency"] == 1 and r["drafter"] == d)
            for d in args.drafters.split(",")
        },
        "min_speedup_conc8": min(r["policy_speedup"] for r in runs if r["concurrency"] == 8),
        "outputs_identical": identical == calls_compared,
        "outputs_identical_calls": f"{identical}/{calls_compared}",
    }
    OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
