"""Prefill and decode tokens/s per tier, at 1 and 2 threads → bench/results/tier_speed.json.

One BFCL-sized prompt (~700 tokens of context) and a 64-token unconstrained answer per measurement, best
of 3, on this CPU; the ladder bench reports the decode figures beside each tier's accuracy.

    .venv/bin/python -m bench.tier_speed
"""

import platform
from pathlib import Path

import orjson

from services.inference.engines.llama_cpp.engine import LlamaCppEngine
from services.inference.tiers import load_tiers
from services.settings import Settings

OUT = Path(__file__).parent / "results" / "tier_speed.json"
PROMPT = " ".join(f"Item {i}: the shipment of {i * 7} crates left port {i % 5} on day {i % 28 + 1}." for i in range(45))


def measure(engine: LlamaCppEngine) -> dict[str, float]:
    messages = [{"role": "user", "content": PROMPT + "\nSummarise the shipments in one long paragraph."}]
    best_prefill = best_decode = 0.0
    for _ in range(3):
        engine.complete([{"role": "user", "content": "warm up"}], None, 1)  # a new prompt: no prefix reuse
        done = engine.complete(messages, None, 64)
        prefill_s = (done.ttft_ms or 0) / 1000
        decode_s = (done.duration_ms - (done.ttft_ms or 0)) / 1000
        best_prefill = max(best_prefill, done.input_tokens / prefill_s)
        best_decode = max(best_decode, (done.output_tokens - 1) / decode_s)
    return {
        "prompt_tokens": done.input_tokens,
        "prefill_tok_s": round(best_prefill, 1),
        "decode_tok_s": round(best_decode, 1),
    }


def main() -> None:
    settings = Settings()
    report: dict[str, dict] = {"machine": f"{platform.machine()}, 2 cores, CPU only"}
    for name, tier in load_tiers(settings.tiers_file).items():
        row = {"model": tier.model_name}
        for threads in (1, 2):
            path = tier.model_path(settings.model_cache)
            engine = LlamaCppEngine(
                path,
                tier.model_name,
                prompt_format=tier.prompt_format,
                context_window=tier.context_window,
                threads=threads,
            )
            figures = measure(engine)
            row |= {f"{k}_{threads}_thread{'s' if threads > 1 else ''}": v for k, v in figures.items()}
        report[name] = row
        print(name, row)
    OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
