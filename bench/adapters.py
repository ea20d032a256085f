"""Brand-voice adapter benchmark → bench/results/adapters.json.

On the held-out products of data/voice/harbour-pine.jsonl (never trained on), the medium tier writes each
product card twice with the generator's own prompt and the schema mask: plainly, and with the Harbour & Pine
LoRA adapter. Side by side, in one run: the share of the voice's five markers each output shows
(refinery/adapters/voice_data.py), schema validity, speed; and what switching adapters costs: the
same calls in batches that alternate adapter and plain against batches that keep one. Timing per card:
seconds, prefill (time to the first token) and decode tokens/s after it.

    .venv/bin/python -m bench.adapters [--n 40]
"""

import argparse
import platform
import statistics
import time
from pathlib import Path

import orjson
from jsonschema import Draft202012Validator

from refinery.adapters.build import NAME, TIER
from refinery.adapters.voice_data import HELD_OUT, SCHEMA, TRAIN, examples, voice_markers
from services.inference.engines.registry import EnginePool
from services.inference.prompts import generation_messages
from services.inference.tiers import load_tiers
from services.settings import Settings

OUT = Path(__file__).parent / "results" / "adapters.json"


def write_cards(engine, tier, prompts: list[str]) -> tuple[list, dict]:
    """(outputs, timing), one call at a time: seconds per card, prefill (time to first token) and decode."""
    outputs, cards, tokens, prefill, decode = [], 0.0, 0, 0.0, 0.0
    for prompt in prompts:
        messages = generation_messages(prompt, SCHEMA, None, tier.prompt)
        completion = engine.complete(messages, SCHEMA, tier.max_new_tokens)
        cards += completion.duration_ms / 1000
        prefill += (completion.ttft_ms or 0.0) / 1000
        decode += (completion.duration_ms - (completion.ttft_ms or 0.0)) / 1000
        tokens += max(completion.output_tokens - 1, 0)  # the first token comes with the prefill
        try:
            outputs.append(orjson.loads(completion.text))
        except orjson.JSONDecodeError:
            outputs.append(None)
    timing = {
        "seconds_per_card": round(cards / len(prompts), 3),
        "prefill_ms_per_card": round(prefill * 1000 / len(prompts), 1),
        "decode_tok_s": round(tokens / decode, 2),
        "output_tokens_per_card": round((tokens + len(prompts)) / len(prompts), 1),
    }
    return outputs, timing


def scores(outputs: list, timing: dict) -> dict:
    validator = Draft202012Validator(SCHEMA)
    markers = [voice_markers(o) for o in outputs]
    per_marker = {name: round(sum(m[name] for m in markers) / len(markers), 4) for name in markers[0]}
    return {
        "voice_score": round(statistics.fmean(sum(m.values()) / len(m) for m in markers), 4),
        "all_markers": round(sum(all(m.values()) for m in markers) / len(markers), 4),
        "per_marker": per_marker,
        "schema_valid": round(sum(o is not None and validator.is_valid(o) for o in outputs) / len(outputs), 4),
        **timing,
    }


def switching(engine, tier, prompts: list[str], rounds: int = 3) -> dict:
    """Batches of the raw engine: same adapter each time vs alternating adapter and plain."""
    calls = [(generation_messages(p, SCHEMA, None, tier.prompt), SCHEMA, 48) for p in prompts]

    def timed(order: list[str | None]) -> float:
        started = time.perf_counter()
        for adapter in order:
            engine.complete_batch(calls, adapter=adapter)  # past the batcher, on the engine itself
        return (time.perf_counter() - started) / len(order)

    same = statistics.median(timed([NAME] * 4) for _ in range(rounds))
    alternating = statistics.median(timed([NAME, None] * 2) for _ in range(rounds))
    return {
        "batch_size": len(calls),
        "batch_s_same_adapter": round(same, 3),
        "batch_s_alternating": round(alternating, 3),
        "switch_cost_ms": round((alternating - same) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=HELD_OUT)
    args = parser.parse_args()
    settings = Settings()
    tiers = load_tiers(settings.tiers_file)
    tier = tiers[TIER]
    pool = EnginePool(tiers, settings)
    prompts = [row["prompt"] for row in examples()[TRAIN : TRAIN + args.n]]
    plain = scores(*write_cards(pool.get(TIER), tier, prompts))
    voiced_outputs, timing = write_cards(pool.get(TIER, NAME), tier, prompts)
    voiced = scores(voiced_outputs, timing)
    report = {
        "machine": f"{platform.machine()}, 2 cores, CPU only",
        "tier": TIER,
        "model": tier.model_name,
        "adapter": NAME,
        "held_out_prompts": len(prompts),
        "base": plain,
        "adapted": voiced,
        "switching": switching(pool.get(TIER), tier, prompts[:4]),
        "examples": [{"prompt": p, "adapted": o} for p, o in zip(prompts[:3], voiced_outputs[:3], strict=True)],
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps({k: v for k, v in report.items() if k != "examples"}, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
