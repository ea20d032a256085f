"""Critic + refiner benchmark → bench/results/refine.json.

1. BFCL simple_python (ground truth), with the user's question as the context to ground in: acceptance
   and ground-truth accuracy after round 0 (generator only) and after refinement, through the services'
   own logic in-process (same code as over Kafka, minus the broker).
2. Tokens: for every refinement round, what segment refinement spent vs what regenerating the whole
   output with the same feedback costs (measured by running that full regeneration too).
3. Critic precision/recall per verdict kind on seeded errors (bench/seeded.py).
4. One refinement round on each seeded error: how often the error is gone, and how often the gold value
   is restored (the stricter figure: a grounded but wrong value passes the critic), with a row per seed.

    .venv/bin/python -m bench.refine [--n 60]
"""

import argparse
import copy
import platform
import time
from pathlib import Path

import orjson

from bench.refine_tokens import TokenTally, full_regeneration_tokens
from bench.seeded import TASKS
from schemas import Draft, GenerationRequest, Ledger
from services.critic.grounding import GroundingChecker
from services.critic.review import review
from services.critic.validators import check_draft
from services.documents.bfcl import bfcl_correct, bfcl_requests
from services.documents.segments import get, patch
from services.inference.encoder import SentenceEncoder
from services.inference.engines import EnginePool
from services.inference.tiers import load_tiers
from services.pipeline import Pipeline
from services.refiner.rounds import refine
from services.settings import Settings

OUT = Path(__file__).parent / "results" / "refine.json"
KINDS = ("schema", "format", "consistency", "grounding")


def run_bfcl(n: int, pipeline: Pipeline) -> dict:
    rows, tally = [], TokenTally()
    tier = pipeline.engines.tiers[next(iter(pipeline.engines.tiers))]
    engine = pipeline.engines.get(tier.name)

    def tally_round(critique, refined) -> None:
        tally.add(refined.ledger.tokens - critique.ledger.tokens, full_regeneration_tokens(critique, engine, tier))

    for raw in bfcl_requests(limit=n):
        raw["context"] = raw["prompt"].split("\nGive the arguments")[0]
        request = GenerationRequest.model_validate(raw)
        run = pipeline.run(request, on_refined=tally_round)
        first_errors = [v for v in run.first_verdicts if v.severity == "error"]
        truth = raw["metadata"]["ground_truth"]
        rows.append(
            {
                "id": request.id,
                "accepted_round0": not first_errors,
                "correct_round0": bfcl_correct(run.first_draft.output, truth),
                "failing_round0": sorted({v.kind for v in first_errors}),
                "status": run.result.status.value,
                "correct_final": bfcl_correct(run.result.output, truth),
                "rounds": run.result.rounds,
                "tokens": run.result.ledger.tokens,
            }
        )
    count = len(rows)
    return {
        "tasks": count,
        "accept_round0": sum(r["accepted_round0"] for r in rows) / count,
        "accept_final": sum(r["status"] == "accepted" for r in rows) / count,
        "accuracy_round0": sum(r["correct_round0"] for r in rows) / count,
        "accuracy_final": sum(r["correct_final"] for r in rows) / count,
        **tally.report(),
        "tally": tally,
        "tokens_total": sum(r["tokens"] for r in rows),
        "rows": rows,
    }


def seeded_draft(task: dict, output) -> Draft:
    request = GenerationRequest.model_validate(
        {
            "id": task["id"],
            "prompt": "Extract the fields.",
            "schema": task["schema"],
            "context": task["context"],
            "rules": task["rules"],
            "budget": {"max_tokens": 1000},
        }
    )
    return Draft(request=request, tier="small", ledger=Ledger(), received_at_ms=0, output=output)


def run_seeded(grounding) -> dict:
    counts = {k: {"tp": 0, "fp": 0, "fn": 0} for k in KINDS}
    clean_false_alarms = []
    for task in TASKS:
        for v in check_draft(seeded_draft(task, task["gold"]), grounding):
            if v.severity == "error" and v.kind in counts:
                counts[v.kind]["fp"] += 1
                clean_false_alarms.append(f"{task['id']}{v.pointer}: {v.kind}: {v.message[:80]}")
        for kind, pointer, value in task["seeds"]:
            output = patch(copy.deepcopy(task["gold"]), pointer, value)
            found = [v for v in check_draft(seeded_draft(task, output), grounding) if v.severity == "error"]
            hit = any(v.kind == kind and v.pointer == pointer for v in found)
            counts[kind]["tp" if hit else "fn"] += 1
            for v in found:
                if v.kind in counts and not (v.kind == kind and v.pointer == pointer):
                    counts[v.kind]["fp"] += 1
    result = {}
    for kind, c in counts.items():
        result[kind] = {
            "precision": round(c["tp"] / (c["tp"] + c["fp"]), 4) if c["tp"] + c["fp"] else None,
            "recall": round(c["tp"] / (c["tp"] + c["fn"]), 4) if c["tp"] + c["fn"] else None,
            **c,
        }
    return {"critic": result, "clean_false_alarms": clean_false_alarms}


def run_seeded_refinement(engine, tier, grounding) -> dict:
    """One refinement round on each seeded error the model can be asked to fix: fixed rate per kind,
    segment tokens vs regenerating the whole output with the same feedback."""
    fixed = {k: [0, 0] for k in KINDS}
    restored = {k: 0 for k in KINDS}
    rows = []
    tally = TokenTally()
    for task in TASKS:
        for kind, pointer, value in task["seeds"]:
            draft = seeded_draft(task, patch(copy.deepcopy(task["gold"]), pointer, value))
            draft = draft.model_copy(
                update={
                    "request": draft.request.model_copy(
                        update={
                            "prompt": "Extract these fields from the source: "
                            + ", ".join(task["schema"]["properties"]),
                            "budget": draft.request.budget.model_copy(update={"max_tokens": 20_000}),
                        }
                    )
                }
            )
            decision = review(draft, grounding, max_rounds=2).decision
            if decision.critique is None:
                continue
            refined = refine(decision.critique, engine, tier)
            tally.add(refined.ledger.tokens, full_regeneration_tokens(decision.critique, engine, tier))
            still = [v for v in check_draft(refined, grounding) if v.severity == "error" and v.pointer == pointer]
            fixed[kind][0] += not still
            restored[kind] += get(refined.output, pointer) == get(task["gold"], pointer)
            rows.append(
                {
                    "task": task["id"],
                    "kind": kind,
                    "pointer": pointer,
                    "seeded": value,
                    "refined": get(refined.output, pointer),
                    "gold": get(task["gold"], pointer),
                    "model_tokens": refined.ledger.tokens,
                }
            )
            fixed[kind][1] += 1
    return {
        "fixed_in_one_round": {k: round(a / b, 4) if b else None for k, (a, b) in fixed.items()},
        "gold_restored_in_one_round": {k: round(restored[k] / b, 4) if b else None for k, (_, b) in fixed.items()},
        **tally.report(),
        "rows": rows,
        "tally": tally,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=60)
    args = parser.parse_args()
    settings = Settings(model_threads=2)
    tiers = load_tiers(settings.tiers_file)
    tier = tiers["small"]
    engines = EnginePool({"small": tier}, settings)
    engine = engines.get("small")
    grounding = GroundingChecker(SentenceEncoder(threads=2), settings.grounding_threshold)
    started = time.monotonic()
    seeded = run_seeded(grounding)
    seeded_refinement = run_seeded_refinement(engine, tier, grounding)
    bfcl = run_bfcl(args.n, Pipeline(engines, grounding, settings.max_rounds))
    pooled = bfcl.pop("tally") + seeded_refinement.pop("tally")
    report = {
        "machine": f"{platform.machine()}, 2 cores, CPU only",
        "generator": tier.model_name,
        "grounding_model": "all-MiniLM-L6-v2 int8 ONNX",
        "max_rounds": settings.max_rounds,
        **{k: bfcl[k] for k in ("accept_round0", "accept_final", "accuracy_round0", "accuracy_final")},
        "segment_vs_full_token_ratio": pooled.report()["segment_vs_full_token_ratio"],
        "tokens_pooled": pooled.report(),
        "segment_vs_full_token_ratio_bfcl": bfcl["segment_vs_full_token_ratio"],
        "segment_vs_full_token_ratio_documents": seeded_refinement["segment_vs_full_token_ratio"],
        "seeded_refinement": seeded_refinement,
        "critic": seeded["critic"],
        "bfcl": bfcl,
        "seeded_clean_false_alarms": seeded["clean_false_alarms"],
        "seeded_tasks": len(TASKS),
        "seeded_errors": sum(len(t["seeds"]) for t in TASKS),
        "wall_s": round(time.monotonic() - started, 1),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    summary = {k: v for k, v in report.items() if k not in ("bfcl", "seeded_clean_false_alarms")}
    summary["bfcl_tokens"] = {k: bfcl[k] for k in ("segment_tokens", "full_regeneration_tokens", "tokens_total")}
    print(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
    print("clean false alarms:", seeded["clean_false_alarms"])


if __name__ == "__main__":
    main()
