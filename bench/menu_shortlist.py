"""A menu drafted from its shortlist (services/inference/menu_shortlist.py) vs from the whole menu.

BFCL live_multiple first drafts by one tier through the generator's own path (`generate_draft`, the
tier's tool-call format), with the shortlist at the shipped margin; the whole-menu drafts of the same
tasks are bench/results/tool_calls.json's `tool_calls` rows (same path and model, greedy decoding: the
same outputs and tokens on any run; only their seconds differ). Splits as in bench/tool_calls.py:
`tuning` (positions 0-39) and `unseen` (25 positions no run had drafted before that bench). Per tier and
split: drafts right under BFCL's rule, tokens per task, right per 1k tokens, how many menus the shortlist
cut and how often it left the expected call out. Writes bench/results/menu_shortlist.json.

    .venv/bin/python -m bench.menu_shortlist --tiers large medium
"""

import argparse
import os
import platform
from pathlib import Path

import orjson

from bench.tool_calls import SPLITS, summary
from schemas import Classification, ClassifiedRequest, GenerationRequest
from services.documents.bfcl import bfcl_requests, task_correct
from services.documents.menus import menu
from services.documents.tool_calls import described_in_prompt, tools
from services.generator.drafting import generate_draft
from services.inference.engines import EnginePool
from services.inference.menu_shortlist import load_menu_shortlist
from services.inference.tiers import load_tiers
from services.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
WHOLE = ROOT / "bench" / "results" / "tool_calls.json"
OUT = ROOT / "bench" / "results" / "menu_shortlist.json"


def shortlisted_row(request: GenerationRequest, tier_name: str, engine, tier, shortlist) -> dict:
    forced = Classification(complexity=0, reason="bench", forced=True)
    message = ClassifiedRequest(request=request, tier=tier_name, classification=forced, received_at_ms=0)
    kept = shortlist.calls(request)
    draft = generate_draft(message, engine, tier, shortlist)
    [entry] = draft.ledger.entries
    [expected] = request.metadata["ground_truth"][0]
    return {
        "id": request.id,
        "right": bool(task_correct(request.metadata, draft.output)),
        "tokens": entry.input_tokens + entry.output_tokens,
        "min_logprob": draft.confidence.min_logprob if draft.confidence else None,
        "offered": len(menu(request.json_schema)),
        "kept": len(kept) if kept else len(menu(request.json_schema)),
        "expected_left_out": kept is not None and expected not in kept,
        "output": draft.output,
    }


def coverage(shortlist, requests: list[GenerationRequest]) -> dict:
    """Over every menu (no model): how many the shortlist cuts, how often it leaves the expected call out,
    and how much of the tools' text it keeps."""
    kept_share, left_out, cut = [], 0, 0
    for request in requests:
        offered = tools(request.json_schema)
        kept = shortlist.calls(request)
        if offered is None or kept is None:
            continue
        cut += 1
        [expected] = request.metadata["ground_truth"][0]
        left_out += expected not in kept
        sizes = {t["function"]["name"]: len(orjson.dumps(t)) for t in described_in_prompt(request.prompt, offered)[1]}
        kept_share.append(sum(sizes[n] for n in kept) / sum(sizes.values()))
    return {
        "menus": len(requests),
        "menus_cut": cut,
        "expected_left_out": left_out,
        "tool_text_kept_of_cut": round(sum(kept_share) / max(1, len(kept_share)), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiers", nargs="+", default=["large", "medium"])
    parser.add_argument("--splits", nargs="+", choices=sorted(SPLITS), default=["unseen", "tuning"])
    parser.add_argument("--coverage-only", action="store_true", help="only the no-model pass over every menu")
    args = parser.parse_args()
    settings = Settings()
    tiers = load_tiers(settings.tiers_file)
    pool = EnginePool(tiers, settings)
    shortlist = load_menu_shortlist(settings.menu_shortlist_margin)
    assert shortlist is not None, "the shortlist is switched off (REFINERY_MENU_SHORTLIST_MARGIN)"
    whole_runs = orjson.loads(WHOLE.read_bytes())["runs"]
    live = bfcl_requests(category="live_multiple")
    every_menu = coverage(shortlist, [GenerationRequest.model_validate(r) for r in live])
    if args.coverage_only:
        OUT.write_bytes(
            orjson.dumps(orjson.loads(OUT.read_bytes()) | {"all_menus": every_menu}, option=orjson.OPT_INDENT_2)
        )
        print(every_menu)
        return
    roomy = {"budget": {"max_tokens": 20_000}}  # the draft alone is compared: no task may end for its budget
    report = {
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, CPU only",
        "threads": settings.threads(),
        "margin": shortlist.margin,
        "all_menus": every_menu,
        "runs": {},
    }
    for tier_name in args.tiers:
        engine, tier = pool.get(tier_name, None), tiers[tier_name]
        for split in args.splits:
            requests = [GenerationRequest.model_validate(live[i] | roomy) for i in SPLITS[split]]
            rows = [shortlisted_row(r, tier_name, engine, tier, shortlist) for r in requests]
            whole = whole_runs[f"{tier_name}/{split}"]["tool_calls"]["rows"]
            report["runs"][f"{tier_name}/{split}"] = {
                "whole_menu": summary(whole, tier.verify_min_logprob),
                "shortlist": summary(rows, tier.verify_min_logprob)
                | {
                    "menus_cut": sum(r["kept"] < r["offered"] for r in rows),
                    "calls_kept_per_menu": round(sum(r["kept"] for r in rows) / len(rows), 2),
                    "calls_offered_per_menu": round(sum(r["offered"] for r in rows) / len(rows), 2),
                    "expected_left_out": sum(r["expected_left_out"] for r in rows),
                },
                "rows": rows,
            }
            print(tier_name, split, {k: v for k, v in report["runs"][f"{tier_name}/{split}"].items() if k != "rows"})
            OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
