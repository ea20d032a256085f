"""How narrow a second opinion on a menu call can be, measured on the large tier's tool-call drafts.

A second opinion drafts the request again with its schema reordered; on a BFCL live_multiple task most of
its ~1 100 prompt tokens are the menu's functions, so the whole second draft rarely fits a 2 000-token
budget after the first. The call choice is already judged by the menu checks (`menu_choice`, the MiniLM
menu judge); the second draft can be asked over less of the menu:

- `whole`: the whole menu, reordered (the critic's second opinion as shipped);
- `pair`: the drafted call and the judge's favourite among the others, reordered (the choice is asked
  again between the two likeliest calls);
- `call`: the drafted call alone, its arguments reordered (only the arguments are asked again).

The drafts are bench/results/tool_calls.json's large-tier tool-call rows (the `tuning` split the format
was chosen on, and the `unseen` split), kept where the deterministic checks and free repairs accept them
(`refinery.calibrate.rejudge`, as the critic judges them) and their least log P is at or above the tier's
verifier threshold: the drafts a second opinion is asked about. Per variant and split: second drafts,
right ones turned away, wrong ones caught, tokens per second draft, and how many fit the 2 000-token
budget the e2e runs give after the first draft. Writes bench/results/narrow_second_opinion.json.

    .venv/bin/python -m bench.narrow_second_opinion
"""

import argparse
import os
import platform
import time
from pathlib import Path
from typing import Any

import orjson

from refinery.calibrate import rejudge
from schemas import Classification, ClassifiedRequest, Draft, GenerationRequest, SecondOpinion
from services.critic.menu_judge import MenuJudge, load_menu_judge
from services.critic.second_opinion import compare
from services.documents.bfcl import bfcl_requests
from services.documents.function_menu import ask_and_rest, offered_functions
from services.documents.menus import narrowed
from services.generator.drafting import generate_draft
from services.inference.engines import EnginePool
from services.inference.tiers import load_tiers
from services.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DRAFTS = ROOT / "bench" / "results" / "tool_calls.json"
OUT = ROOT / "bench" / "results" / "narrow_second_opinion.json"
TIER = "large"
BUDGET = 2000  # the e2e runs' budget per request
VARIANTS = ("whole", "pair", "call")
BANDS = (0.0, -0.05, -0.1, -0.2, -0.3)  # upper bounds of the least log P that asks for a second opinion


def favourite_other(request: GenerationRequest, called: str, judge: MenuJudge) -> str | None:
    functions = offered_functions(request.json_schema, request.prompt)
    if functions is None or called not in functions or len(functions) < 2:
        return None
    scores = judge.scores(ask_and_rest(request.prompt)[0], functions)
    return max((n for n in scores if n != called), key=scores.__getitem__)


def asked_schema(request: GenerationRequest, called: str, variant: str, judge: MenuJudge) -> dict[str, Any] | None:
    if variant == "whole":
        return request.json_schema
    if variant == "call":
        return narrowed(request.json_schema, [called])
    other = favourite_other(request, called, judge)
    return narrowed(request.json_schema, [called, other]) if other else None


def second_row(request: GenerationRequest, judged: dict, variant: str, engine, tier, judge: MenuJudge) -> dict:
    [called] = judged["output"]
    schema = asked_schema(request, called, variant, judge)
    if schema is None:
        return {"variant": variant, "skipped": "no judge reading of the menu"}
    asked = request.model_copy(update={"json_schema": schema})
    candidate = SecondOpinion(output=judged["output"])
    forced = Classification(complexity=0, reason="bench", forced=True)
    message = ClassifiedRequest(
        request=asked, tier=TIER, received_at_ms=0, classification=forced, second_opinion_of=candidate
    )
    started = time.perf_counter()
    second: Draft = generate_draft(message, engine, tier)
    # compared as the critic compares: against the request as the producer sent it
    agreed, output = compare(second.model_copy(update={"request": request}), judge)
    [entry] = second.ledger.entries
    return {
        "variant": variant,
        "agreed": agreed,
        "second_output": output,
        "input_tokens": entry.input_tokens,
        "tokens": entry.input_tokens + entry.output_tokens,
        "seconds": round(time.perf_counter() - started, 2),
    }


def recompared(row: dict, request: GenerationRequest, judge: MenuJudge, drafted: dict[str, Any]) -> None:
    """Each stored second draft compared again with its candidate as today's critic compares (no model):
    `agreed`; `agreed_equal` keeps the first run's rule (both drafts equal). `drafted`: first drafts by
    task, for rows written before candidates were (re-judged from the draft)."""
    if "candidate" not in row:
        first = {"task": row["task"], "tier": TIER, "output": drafted[row["task"]]}
        row["candidate"] = rejudge(first, request, judge)["output"]
    for second in row["second"]:
        if "second_output" not in second:
            continue
        second.setdefault("agreed_equal", second["agreed"])
        draft = Draft(
            request=request,
            tier=TIER,
            received_at_ms=0,
            output=second["second_output"],
            second_opinion_of=SecondOpinion(output=row["candidate"]),
        )
        second["agreed"] = compare(draft, judge)[0]


def summary(rows: list[dict], variant: str, below: float = 0.0) -> dict:
    """Per variant, for the drafts whose least log P is below `below` (the band that asks)."""
    asked = [
        (r, s)
        for r in rows
        for s in r["second"]
        if s["variant"] == variant and "agreed" in s and r["min_logprob"] < below
    ]
    fits = [(r, s) for r, s in asked if r["first_tokens"] + s["tokens"] <= BUDGET]
    return {
        "variant": variant,
        "below": below,
        "second_drafts": len(asked),
        "wrong": sum(not r["right"] for r, _ in asked),
        "wrong_caught": sum(not r["right"] and not s["agreed"] for r, s in asked),
        "right_turned_away": sum(r["right"] and not s["agreed"] for r, s in asked),
        "tokens_per_second_draft": round(sum(s["tokens"] for _, s in asked) / max(1, len(asked)), 1),
        "fit_budget_after_first": len(fits),
        # every draft of the split: accepted unless asked and the second draft disagreed
        "accepted_right": sum(r["right"] for r in rows) - sum(r["right"] and not s["agreed"] for r, s in asked),
        "accepted_wrong": sum(not r["right"] for r in rows) - sum(not r["right"] and not s["agreed"] for r, s in asked),
    }


def summarised(rows: list[dict], variants: list[str]) -> dict:
    return {
        "summary": [summary(rows, v) for v in variants],
        "bands": [summary(rows, v, below) for v in variants for below in BANDS],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--splits", nargs="+", default=["unseen", "tuning"])
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--summarise", action="store_true", help="re-read the rows written, run no model")
    args = parser.parse_args()
    settings = Settings()
    judge = load_menu_judge(settings.menu_judge_margin)
    assert judge is not None, "the menu judge is switched off"
    roomy = {"budget": {"max_tokens": 20_000}}  # every second draft is measured; the budget fit is counted
    live = bfcl_requests(category="live_multiple")
    requests = {r["id"]: GenerationRequest.model_validate(r | roomy) for r in live}
    if args.summarise:
        report = orjson.loads(OUT.read_bytes())
        runs = [run for key, run in orjson.loads(DRAFTS.read_bytes())["runs"].items() if key.startswith(f"{TIER}/")]
        drafted = {r["id"]: r["output"] for run in runs for r in run["tool_calls"]["rows"]}
        for judged in report["splits"].values():
            for row in judged["rows"]:
                recompared(row, requests[row["task"]], judge, drafted)
            judged.update(summarised(judged["rows"], args.variants))
        OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
        return
    tiers = load_tiers(settings.tiers_file)
    tier = tiers[TIER]
    engine = EnginePool(tiers, settings).get(TIER, None)
    drafts = orjson.loads(DRAFTS.read_bytes())["runs"]
    report: dict[str, Any] = {
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, CPU only",
        "threads": settings.threads(),
        "tier": TIER,
        "budget": BUDGET,
        "splits": {},
    }
    for split in args.splits:
        rows = []
        for drafted in drafts[f"{TIER}/{split}"]["tool_calls"]["rows"]:
            request = requests[drafted["id"]]
            judged = rejudge({"task": drafted["id"], "tier": TIER, "output": drafted["output"]}, request, judge)
            if not judged["accepted"] or drafted["min_logprob"] < tier.verify_min_logprob:
                continue
            seconds = [second_row(request, judged, v, engine, tier, judge) for v in args.variants]
            rows.append(
                {
                    "task": drafted["id"],
                    "min_logprob": drafted["min_logprob"],
                    "right": bool(judged["correct"]),
                    "first_tokens": drafted["tokens"],
                    "candidate": judged["output"],
                    "second": seconds,
                }
            )
            agreed = [(s["variant"], s.get("agreed")) for s in seconds]
            print(split, rows[-1]["task"], rows[-1]["right"], agreed, flush=True)
        report["splits"][split] = {**summarised(rows, args.variants), "rows": rows}
        OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
        print(split, orjson.dumps(report["splits"][split]["summary"]).decode(), flush=True)


if __name__ == "__main__":
    main()
