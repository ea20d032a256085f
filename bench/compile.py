"""Compiled vs hand-written prompts, side by side in one run → bench/results/compile.json.

Per tier, on the untuned split (refinery/compile/tasks.py: BFCL tasks nothing was tuned on): accuracy of the
first draft and accuracy per 1k tokens (every prompt token is charged, demonstrations included); prompt
sensitivity over five meaning-preserving rewrites of the first SENSITIVITY_TASKS tasks (bench/
prompt_variants.py): the spread (best minus worst variant accuracy) and the share of tasks whose outcome
flips between variants; and what each prompt does to the verifier: wrong drafts among those its confidence
threshold would trust. Drafts are cached with the compiler's (build/compile/outcomes.jsonl), so a rerun
resumes. `drift_detected_only_shifted` comes from bench/drift.py (drift.json).

    .venv/bin/python -m bench.compile [--threads 2]
"""

import argparse
import platform
from pathlib import Path

import orjson

from bench.prompt_variants import VARIANTS, variant
from refinery.cli.compile import OUTCOMES
from refinery.compile.evaluate import Outcome, OutcomeCache, score
from refinery.compile.tasks import UNTUNED, split
from services.inference.engines import EnginePool
from services.inference.prompt_artifact import HANDWRITTEN
from services.inference.tiers import Tier, load_tiers
from services.settings import Settings

OUT = Path(__file__).parent / "results" / "compile.json"
DRIFT = Path(__file__).parent / "results" / "drift.json"
SENSITIVITY_TASKS = 6


def trusted_wrong(outcomes: list[Outcome], tier: Tier) -> float | None:
    """Wrong among the drafts the tier's verifier threshold would trust (its confidence alone)."""
    bar = tier.verify_min_logprob
    trusted = [o for o in outcomes if bar is not None and o.min_logprob is not None and o.min_logprob >= bar]
    return round(sum(not o.correct for o in trusted) / len(trusted), 4) if trusted else None


def prompt_report(outcomes: list[Outcome], by_variant: dict[str, list[Outcome]], tier: Tier) -> dict:
    s = score(outcomes)
    accuracies = {kind: score(rows).accuracy for kind, rows in by_variant.items()}
    flips = [len({rows[i].correct for rows in by_variant.values()}) > 1 for i in range(SENSITIVITY_TASKS)]
    return {
        "accuracy": round(s.accuracy, 4),
        "tokens_per_task": round(s.tokens_per_task, 1),
        "accuracy_per_1k_tokens": round(s.per_1k_tokens, 4),
        "sensitivity_spread": round(max(accuracies.values()) - min(accuracies.values()), 4),
        "sensitivity_flip_rate": round(sum(flips) / len(flips), 4),
        "variant_accuracy": {k: round(v, 4) for k, v in accuracies.items()},
        "trusted_wrong_rate": trusted_wrong(outcomes, tier),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tiers", default="")
    args = parser.parse_args()
    settings = Settings(model_threads=args.threads)
    tiers = load_tiers(settings.tiers_file)
    engines, cache = EnginePool(tiers, settings), OutcomeCache(OUTCOMES)
    untuned = split(UNTUNED)
    probes = untuned[:SENSITIVITY_TASKS]
    report_tiers = []
    for name in args.tiers.split(",") if args.tiers else list(tiers):
        tier, engine = tiers[name], engines.get(name)
        row: dict = {"tier": name, "compiled_version": tier.prompt.version}
        for label, prompt in (("handwritten", HANDWRITTEN), ("compiled", tier.prompt)):
            outcomes = cache.evaluate(engine, tier, prompt, untuned)
            by_variant = {k: cache.evaluate(engine, tier, prompt, [variant(r, k) for r in probes]) for k in VARIANTS}
            row[label] = prompt_report(outcomes, by_variant, tier)
            print(name, label, row[label], flush=True)
        report_tiers.append(row)
    drift = orjson.loads(DRIFT.read_bytes()) if DRIFT.exists() else {}
    report = {
        "machine": f"{platform.machine()}, 2 cores, no GPU",
        "tasks": {"untuned": len(untuned), "sensitivity": SENSITIVITY_TASKS, "variants": list(VARIANTS)},
        "optimiser": "refinery compile: own deterministic search (instructions, then labelled demonstrations), "
        "accuracy per 1k tokens at no less accuracy than hand-written on the tuning split; DSPy not used "
        "(per-request schemas decoded under llguidance do not fit its output signatures)",
        "tiers": report_tiers,
        "drift_detected_only_shifted": drift.get("detected_only_shifted"),
    }
    OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
