"""The fault campaign over the real stack (every service a process, two replicas each, real models on the
small tier): fuzz, load and kills on the memory-backed broker (what they test is the services; S3
storage is ~10× slower to write, see broker_storage.json), then a broker kill -9 on an S3-backed stack.
Writes bench/results/faults.json.

    .venv/bin/python -m bench.faults [--cases 10000] [--kills 20] [--load 150]
"""

import argparse
import platform
import tempfile
import time
from pathlib import Path

import orjson

from bench.faults.experiments import broker_restart, fuzz, kills, load
from bench.faults.observe import idle_cpu_percent
from bench.faults.probe import kafka_hop_ms
from refinery.devstack.stack import Stack
from services.settings import Settings

OUT = Path(__file__).parents[1] / "results" / "faults.json"
TARGETS = {"lost": 0, "crashes": 0, "stalls": 0, "budget_violations": 0, "duplicates_share": 0.001, "hop_ms": 5}
SMALL_ONLY = {"REFINERY_GENERATOR_TIERS": "small"}  # every request here is forced to the small tier


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--valid", type=int, default=30)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--kill-requests", type=int, default=40)
    parser.add_argument("--load", type=int, default=150)
    args = parser.parse_args()
    run = f"f{int(time.time())}"
    report: dict = {"machine": f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, no GPU"}
    with (
        tempfile.TemporaryDirectory() as workdir,
        Stack(Path(workdir), service_env={"generator": SMALL_ONLY}) as stack,
    ):
        stack.start()
        settings = Settings(bootstrap_servers=stack.bootstrap)
        for name in ("classifier", "generator", "critic", "refiner"):  # a second replica each, as in a cluster
            stack.start_service(name)
        time.sleep(30)  # group joins (Tansu: ~5 s each, one after another)
        report["fetch_max_wait_ms"] = settings.fetch_max_wait_ms
        report["kafka_hop_p50_ms"] = kafka_hop_ms(settings)
        report["idle_cpu_percent"] = idle_cpu_percent(stack)
        report["fuzz"] = fuzz(stack, settings, args.cases, args.valid, run)
        print("fuzz", report["fuzz"], flush=True)
        report["load"] = load(settings, args.load, 10, run)
        print("load", report["load"], flush=True)
        report["kills"] = kills(stack, settings, args.kill_requests, args.kills, 6.0, run)
        print("kills", report["kills"], flush=True)
    with (
        tempfile.TemporaryDirectory() as workdir,
        Stack(Path(workdir), storage="s3", service_env={"generator": SMALL_ONLY}) as stack,
    ):
        stack.start()
        time.sleep(20)
        report["broker_restart"] = broker_restart(stack, Settings(bootstrap_servers=stack.bootstrap), 10, run)
        report["broker_restart"]["storage"] = "s3"
        print("broker_restart", report["broker_restart"], flush=True)
    requests = report["kills"]["requests"] + report["broker_restart"]["requests"]
    duplicates = report["kills"]["duplicates"] + report["broker_restart"]["duplicates"]
    report["targets"] = TARGETS
    report["met"] = {
        "lost": report["kills"]["lost"] + report["broker_restart"]["lost"] == 0,
        "crashes": report["fuzz"]["crashes"] == 0,
        "stalls": report["fuzz"]["stalls"] == 0,
        "every_hostile_input_answered": report["fuzz"]["error_records"] == report["fuzz"]["cases"],
        "budget_violations": report["load"]["budget_violations"] == 0,
        "duplicates": duplicates / requests <= TARGETS["duplicates_share"],
        "overhead_per_hop": (report["load"]["overhead_per_hop_p50_ms"] or 1e9) <= TARGETS["hop_ms"],
    }
    OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps(report["met"]).decode())


if __name__ == "__main__":
    main()
