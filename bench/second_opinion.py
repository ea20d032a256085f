"""The second opinion (services/critic/second_opinion.py) measured on the calibration tasks.

Every large-tier calibration draft the checks and the confidence threshold accept (re-judged as
`refinery calibrate --rejudge` does) is drafted again by the large tier with the schema's properties,
branches and menu reversed (the generator's own second-opinion path), and both compared as the critic
does (after the repairs that need no model). Per upper bound of the band that asks for one: second drafts
asked, right answers turned away, wrong ones caught, false-accept rate after. Writes
bench/results/second_opinion.json; the rows too, so the bands can be re-read without a model.

    .venv/bin/python -m bench.second_opinion
"""

import platform
import time
from pathlib import Path

import orjson

from bench.calibration_files import CALIBRATION
from refinery.calibrate import rejudge
from schemas import Classification, ClassifiedRequest, Draft, GenerationRequest, SecondOpinion
from services.critic.menu_judge import load_menu_judge
from services.critic.second_opinion import compare
from services.documents.bfcl import bfcl_requests, read_jsonl
from services.generator.drafting import generate_draft
from services.inference.engines import EnginePool
from services.inference.tiers import load_tiers
from services.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "second_opinion.json"
TIER = "large"
BANDS = (0.0, -0.05, -0.1, -0.15, -0.2, -0.3)


def summary(rows: list[dict], below: float) -> dict:
    asked = [r for r in rows if r["min_logprob"] < below]
    disagreed = [r for r in asked if not r["agreed"]]
    right = sum(r["right"] for r in rows) - sum(r["right"] for r in disagreed)
    wrong = sum(not r["right"] for r in rows) - sum(not r["right"] for r in disagreed)
    return {
        "below": below,
        "second_drafts": len(asked),
        "right_turned_away": sum(r["right"] for r in disagreed),
        "wrong_caught": sum(not r["right"] for r in disagreed),
        "accepted_right": right,
        "accepted_wrong": wrong,
        "false_accept_rate": round(wrong / max(1, right + wrong), 4),
        "second_tokens_per_draft": round(sum(r["second_tokens"] for r in asked) / max(1, len(asked)), 1),
    }


def main() -> None:
    settings = Settings()
    tiers = load_tiers(settings.tiers_file)
    engine = EnginePool(tiers, settings).get(TIER, None)
    judge = load_menu_judge(settings.menu_judge_margin)
    requests = {
        r["id"]: GenerationRequest.model_validate(r)
        for category in ("simple_python", "live_multiple")
        for r in bfcl_requests(category=category)
    }
    rows = []
    for record in read_jsonl(ROOT / CALIBRATION):
        request = requests.get(record["task"])
        if record["tier"] != TIER or request is None or not record.get("confidence"):
            continue
        judged = rejudge(record, request, judge)
        if not judged["accepted"] or record["confidence"]["min_logprob"] < tiers[TIER].verify_min_logprob:
            continue
        candidate = SecondOpinion(output=judged["output"])
        forced = Classification(complexity=0, reason="bench", forced=True)
        message = ClassifiedRequest(
            request=request, tier=TIER, received_at_ms=0, classification=forced, second_opinion_of=candidate
        )
        started = time.perf_counter()
        second: Draft = generate_draft(message, engine, tiers[TIER])
        agreed, output = compare(second, judge)
        rows.append(
            {
                "task": record["task"],
                "min_logprob": record["confidence"]["min_logprob"],
                "right": bool(judged["correct"]),
                "agreed": agreed,
                "second_output": output,
                "second_tokens": second.ledger.tokens,
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
    report = {
        "machine": f"{platform.machine()}, CPU only",
        "tier": TIER,
        "drafts": len(rows),
        "wrong": sum(not r["right"] for r in rows),
        "disagreed_wrong": sum(not r["agreed"] and not r["right"] for r in rows),
        "disagreed_right": sum(not r["agreed"] and r["right"] for r in rows),
        "shipped_below": tiers[TIER].second_opinion_below,
        "bands": [summary(rows, below) for below in BANDS],
        "rows": rows,
    }
    OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(orjson.dumps({k: v for k, v in report.items() if k != "rows"}, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
