"""The menu judge (services/critic/menu_judge.py) measured on BFCL live_multiple, no generation.

Two views, per margin:
- tasks: every live_multiple task, its expected function as the call (answers known): how often the
  judge's closest function is the expected one, and how often it would doubt the right call (a false
  flag). Reported apart for the tasks the margin was chosen on (`dev`) and the fresh windows kept for
  e2e runs (`fresh`: live_multiple positions 100-140, 180-200, 350-370).
- drafts: the distinct calls the tiers drafted in calibration (data/calibration-ladder.jsonl) and in the
  e2e runs (bench/results/e2e*.json): share of wrong-function calls flagged, of right-function calls
  flagged, and of the wrong ones today's deterministic checks pass (the judge's own work: what nothing
  else catches).
Writes bench/results/menu_judge.json.

    .venv/bin/python -m bench.menu_judge
"""

import platform
import time
from pathlib import Path
from typing import Any

import orjson

from bench.stored_drafts import stored_outputs
from schemas import Draft, GenerationRequest
from services.critic.menu_judge import MenuJudge
from services.critic.validators import check_draft
from services.documents.bfcl import bfcl_requests
from services.documents.function_menu import ask_and_rest, offered_functions
from services.inference.encoder import SentenceEncoder
from services.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "menu_judge.json"
FRESH = [*range(100, 140), *range(180, 200), *range(350, 370)]
MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)


def expected(task: dict[str, Any]) -> str:
    [(name, _)] = task["metadata"]["ground_truth"][0].items()
    return name


def gaps(scores: dict[str, float], called: str) -> float:
    """How much better than the call the best other function fits the ask."""
    return max(s for n, s in scores.items() if n != called) - scores[called]


def drafted_calls(requests: dict[str, GenerationRequest]) -> list[dict[str, Any]]:
    """Distinct (task, call) pairs the tiers drafted, with whether today's deterministic checks pass it."""
    found: dict[tuple[str, str], dict[str, Any]] = {}

    def add(task: str, output: Any) -> None:
        request = requests.get(task)
        if request is None or not isinstance(output, dict) or len(output) != 1:
            return
        draft = Draft(request=request, tier="large", received_at_ms=0, output=output)
        passes = not [v for v in check_draft(draft) if v.severity == "error"]
        found.setdefault((request.metadata["task"], next(iter(output))), {"passes_other_checks": passes})

    for task, output in stored_outputs("e2e*.json"):
        add(task, output)
    return [{"task": t, "called": c, **v} for (t, c), v in found.items()]


def share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def main() -> None:
    judge = MenuJudge(SentenceEncoder(threads=1), Settings().menu_judge_margin or 0.2)
    tasks = bfcl_requests(category="live_multiple")
    fresh = {tasks[i]["metadata"]["task"] for i in FRESH}
    scores, started, texts = {}, time.perf_counter(), 0
    for task in tasks:
        functions = offered_functions(task["schema"], task["prompt"])
        if functions and expected(task) in functions:
            scores[task["metadata"]["task"]] = judge.scores(ask_and_rest(task["prompt"])[0], functions)
            texts += 1 + len(functions)
    ms_per_check = (time.perf_counter() - started) * 1000 / len(scores)
    truth = {t["metadata"]["task"]: expected(t) for t in tasks}

    def task_view(ids: list[str]) -> dict[str, Any]:
        right_gaps = [gaps(scores[t], truth[t]) for t in ids]
        return {
            "tasks": len(ids),
            "expected_is_closest": share([g < 0 for g in right_gaps]),
            "false_flag_rate": {str(m): share([g > m for g in right_gaps]) for m in MARGINS},
        }

    requests = {t["id"]: GenerationRequest.model_validate(t) for t in tasks}
    calls = [c for c in drafted_calls(requests) if c["task"] in scores and c["called"] in scores[c["task"]]]
    for call in calls:
        call["gap"] = round(gaps(scores[call["task"]], call["called"]), 4)
        call["wrong_function"] = call["called"] != truth[call["task"]]
    wrong = [c for c in calls if c["wrong_function"]]
    right = [c for c in calls if not c["wrong_function"]]

    def draft_view(m: float) -> dict[str, Any]:
        flagged = [c for c in calls if c["gap"] > m]
        return {
            "wrong_function_flagged": share([c["gap"] > m for c in wrong]),
            "right_function_flagged": share([c["gap"] > m for c in right]),
            "passing_wrong_function_flagged": share([c["gap"] > m for c in wrong if c["passes_other_checks"]]),
            "precision": share([c["wrong_function"] for c in flagged]),
            # what a redraft toward the judge's favourite would call: the expected function?
            "favourite_is_expected": share(
                [max(scores[c["task"]], key=scores[c["task"]].get) == truth[c["task"]] for c in flagged]
            ),
        }

    result = {
        "machine": platform.machine(),
        "encoder": "all-MiniLM-L6-v2-int8",
        "margin": judge.margin,
        "ms_per_check": round(ms_per_check, 1),
        "encoder_texts_per_check": round(texts / len(scores), 2),
        "llm_tokens_per_check": 0,
        "tasks": {
            "dev": task_view([t for t in scores if t not in fresh]),
            "fresh": task_view([t for t in scores if t in fresh]),
        },
        "drafts": {
            "calls": len(calls),
            "wrong_function": len(wrong),
            "passing_wrong_function": sum(c["passes_other_checks"] for c in wrong),
            "by_margin": {str(m): draft_view(m) for m in MARGINS},
        },
        "precision": draft_view(judge.margin)["precision"],
        "recall": draft_view(judge.margin)["wrong_function_flagged"],
    }
    OUT.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps({k: result[k] for k in ("margin", "precision", "recall", "ms_per_check")}).decode())
    print(orjson.dumps(result["tasks"], option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
