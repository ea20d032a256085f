"""The verifier candidates side by side on held-out medium drafts → bench/results/judge.json.

For each held-out calibration task (`training.held_out`): the medium tier's draft (the pipeline, no
refinement), then two judges of whether it is right, against BFCL's answer:
- confidence: the medium model's own least confident pick (what the critic ships; 0 tokens);
- large-tier judgement: Qwen 1.5B asked "is this answer correct?", decoded as `"yes"`/`"no"` under a
  schema mask, P(yes) read from the log-probability of its pick (prompt + 1-3 tokens, no free generation).
Precision and recall at flagging wrong drafts at each judge's best threshold on these drafts (so this
flatters both equally), and tokens per check against generating the draft with the large tier.

    .venv/bin/python -m bench.judge
"""

import math
from pathlib import Path

import numpy as np
import orjson

from bench.calibration_files import TASKS
from schemas import GenerationRequest, ResultStatus
from services.classifier.training import held_out
from services.documents.bfcl import read_jsonl, task_correct
from services.inference.engines import EnginePool
from services.inference.tiers import load_tiers
from services.pipeline import Pipeline
from services.settings import Settings

OUT = Path(__file__).parent / "results" / "judge.json"
YES_NO = {"type": "string", "enum": ["yes", "no"]}


def judge_messages(request: GenerationRequest, output: object) -> list[dict[str, str]]:
    task = f"Request: {request.prompt}\nJSON Schema: {orjson.dumps(request.json_schema).decode()}"
    answer = orjson.dumps(output).decode()
    question = "Does the answer do exactly what the request asks, with the right values? Reply yes or no."
    return [{"role": "user", "content": f"{task}\n\nAnswer: {answer}\n\n{question}"}]


def p_yes(completion) -> float:
    picked_yes = "yes" in completion.text
    choice = min(completion.logprobs) if completion.logprobs else 0.0
    return math.exp(choice) if picked_yes else 1 - math.exp(choice)


def best_flagging(scores: list[float], wrong: list[bool]) -> dict[str, float | None]:
    """Flag a draft when its score is below t; the t with the best F1 at flagging wrong drafts."""
    best = {"threshold": None, "precision": None, "recall": None, "f1": 0.0}
    for t in [*sorted(set(scores)), math.inf]:
        flagged = [s < t for s in scores]
        hits = sum(f and w for f, w in zip(flagged, wrong, strict=True))
        if not any(flagged) or not any(wrong):
            continue
        precision, recall = hits / sum(flagged), hits / sum(wrong)
        f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
        if f1 > best["f1"]:
            best = {
                "threshold": round(t, 4),
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(f1, 4),
            }
    return best


def main() -> None:
    settings = Settings(model_threads=2)
    tiers = load_tiers(settings.tiers_file)
    pool = EnginePool(tiers, settings)
    pipeline = Pipeline(pool, max_rounds=0)
    judge = pool.get("large")
    rows = []
    for raw in read_jsonl(TASKS):
        if not held_out(raw["id"]):
            continue
        request = GenerationRequest.model_validate({**raw, "tier": "medium"})
        run = pipeline.run(request)
        if run.result.status != ResultStatus.rejected and run.result.status != ResultStatus.accepted:
            continue
        generated = next(e for e in run.result.ledger.entries if e.stage == "generator")
        verdict = judge.complete(judge_messages(request, run.result.output), YES_NO, 4)
        rows.append(
            {
                "task": raw["id"],
                "correct": bool(task_correct(raw["metadata"], run.result.output)),
                "confidence": run.first_draft.confidence.min_logprob if run.first_draft.confidence else 0.0,
                "p_yes": round(p_yes(verdict), 4),
                "judge_tokens": verdict.input_tokens + verdict.output_tokens,
                "medium_tokens": generated.input_tokens + generated.output_tokens,
            }
        )
        print(rows[-1])
    large_tokens = np.mean([r["medium_tokens"] for r in rows])  # same tokenizer: the large tier's prompt
    wrong = [not r["correct"] for r in rows]
    report = {
        "drafts": len(rows),
        "wrong": sum(wrong),
        "confidence": {**best_flagging([r["confidence"] for r in rows], wrong), "tokens_per_check": 0},
        "large_judge": {
            **best_flagging([r["p_yes"] for r in rows], wrong),
            "tokens_per_check": round(float(np.mean([r["judge_tokens"] for r in rows])), 1),
        },
        "large_generation_tokens_per_task": round(float(large_tokens), 1),
        "rows": rows,
    }
    report["large_judge"]["share_of_large_generation"] = round(
        report["large_judge"]["tokens_per_check"] / report["large_generation_tokens_per_task"], 3
    )
    OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps({k: v for k, v in report.items() if k != "rows"}, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
