"""Drift detection over the real stack → bench/results/drift.json.

Four services and the embedded broker, real models. Every request is forced onto the medium tier with
escalation off, so the medium tier's statistics are the ones watched:
1. steady: weather lookups and contact extractions (STEADY requests) — the baseline and a steady window;
   `refinery drift` (the Result topic replayed through the monitor, the critic's encoder embedding outputs)
   must stay quiet;
2. a new schema family: invoice extractions arrive (NEW_FAMILY requests);
3. a degraded tier forced in: the generator is restarted with a tiers file whose "medium" is SmolLM2-135M
   (a bad rollout), and the steady families are sent again (DEGRADED requests).
`detected_only_shifted`: nothing crossed the threshold during phase 1; after phase 3, every group that ever
crossed did so after the shift, and the shifted ones did: the tier, the new family (against the tier's
baseline) and at least one family the degraded tier answered.

    .venv/bin/python -m bench.drift
"""

import asyncio
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from bench.drift_stream import stream
from refinery.client import run_batch
from refinery.devstack.stack import Stack
from services.settings import REPO_ROOT, Settings

OUT = Path(__file__).parent / "results" / "drift.json"
STEADY, NEW_FAMILY, DEGRADED = 56, 20, 40
DRIFT_ENV = {"REFINERY_DRIFT_BASELINE": "16", "REFINERY_DRIFT_WINDOW": "16", "REFINERY_ESCALATION": "false"}


def degraded_tiers(workdir: Path) -> Path:
    """config/tiers.toml with medium's model swapped for the small tier's (same name, same prices)."""
    text = (REPO_ROOT / "config" / "tiers.toml").read_text()
    blocks = text.split("[[tier]]")
    small = next(b for b in blocks if 'name = "small"' in b)
    medium_index = next(i for i, b in enumerate(blocks) if 'name = "medium"' in b)
    swapped = small.replace('name = "small"', 'name = "medium"')
    blocks[medium_index] = swapped
    (workdir / "degraded").mkdir(parents=True, exist_ok=True)
    path = workdir / "degraded" / "tiers.toml"
    path.write_text("[[tier]]".join(blocks))
    if (REPO_ROOT / "config" / "prompts").is_dir():
        shutil.copytree(REPO_ROOT / "config" / "prompts", workdir / "degraded" / "prompts", dirs_exist_ok=True)
    return path


def drift_report(bootstrap: str) -> tuple[int, dict[str, dict]]:
    done = subprocess.run(
        [sys.executable, "-m", "refinery.cli", "drift", "--json", "--bootstrap", bootstrap],
        capture_output=True,
        text=True,
        env={**os.environ, **DRIFT_ENV},
        timeout=600,
    )
    rows = [orjson.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, {f"{r['tier']}/{r['schema']}": r for r in rows}


def send(settings: Settings, requests: list[dict]) -> dict[str, int]:
    results = asyncio.run(run_batch([orjson.dumps(r) for r in requests], settings, 1800))
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    return counts


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="refinery-drift-"))
    started = time.monotonic()
    with Stack(workdir, env=DRIFT_ENV) as stack:
        stack.start()
        settings = Settings(bootstrap_servers=stack.bootstrap)
        phases = {"steady": send(settings, stream("steady", STEADY, seed=1))}
        quiet_code, quiet = drift_report(stack.bootstrap)
        shift_ms = int(time.time() * 1000)
        phases["new_family"] = send(settings, stream("new_family", NEW_FAMILY, seed=2))
        stack.service_env["generator-degraded"] = {"REFINERY_TIERS_FILE": str(degraded_tiers(workdir))}
        for process in stack.services.pop("generator"):
            process.terminate()
            process.wait(60)
        stack.start_service("generator", variant="generator-degraded")
        phases["degraded"] = send(settings, stream("degraded", DEGRADED, seed=3))
        _, loud = drift_report(stack.bootstrap)
    crossed = {key for key, row in loud.items() if row["first_crossed_ms"] is not None}
    new = {key for key, row in loud.items() if row["new"]}
    steady_families = {key for key in quiet if key != "medium/*"}
    detected_only_shifted = (
        quiet_code == 0
        and not any(row["first_crossed_ms"] for row in quiet.values())  # nothing crossed before the shift
        and {"medium/*"} | new <= crossed  # the tier, and the new family against the tier's baseline
        and bool(steady_families & crossed)  # what the degraded tier answered
        and all(loud[key]["first_crossed_ms"] >= shift_ms for key in crossed)
    )
    report = {
        "machine": f"{platform.machine()}, 2 cores, no GPU",
        "requests": {"steady": STEADY, "new_family": NEW_FAMILY, "degraded": DEGRADED},
        "settings": DRIFT_ENV,
        "results_by_phase": phases,
        "quiet_after_steady": {k: {"score": v["score"], "peak": v["peak"]} for k, v in quiet.items()},
        "after_shift": {
            k: {
                "score": v["score"],
                "peak": v["peak"],
                "new": v["new"],
                "first_crossed_after_shift_s": (v["first_crossed_ms"] - shift_ms) / 1000
                if v["first_crossed_ms"]
                else None,
                "moved_at_end": v["moved"],
            }
            for k, v in loud.items()
        },
        "crossed": sorted(crossed),
        "shift_at_ms": shift_ms,
        "detected_only_shifted": detected_only_shifted,
        "wall_s": round(time.monotonic() - started, 1),
    }
    OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
