"""What Kafka and the services add to an idle request, per hop, at each fetch wait, side by side in one run.

One replica of each service, small tier forced, one request at a time after a warm-up: the hop overhead is
(Result latency − the ledger's stage durations) / hops, as `bench.faults` load measures it; the bare Kafka
hop (`bench.faults.probe`) and the CPU the idle stack burns (the price of short fetch waits) beside it.
Writes bench/results/hop_latency.json.

    .venv/bin/python -m bench.hop_latency [--requests 20] [--waits 10 5]
"""

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import orjson

from bench.faults.experiments import hop_overheads
from bench.faults.observe import idle_cpu_percent
from bench.faults.probe import kafka_hop_ms
from refinery.client import run_batch
from refinery.devstack.stack import Stack
from services.settings import Settings

OUT = Path(__file__).parent / "results" / "hop_latency.json"
SCHEMA = {"type": "object", "properties": {"greeting": {"type": "string", "maxLength": 20}}, "required": ["greeting"]}


def request(run: str, index: int) -> bytes:
    raw = {
        "id": f"{run}-{index}",
        "prompt": "Say hello.",
        "schema": SCHEMA,
        "budget": {"max_tokens": 300},
        "tier": "small",
    }
    return orjson.dumps(raw)


def measure(fetch_wait_ms: int, requests: int) -> dict:
    env = {"REFINERY_FETCH_MAX_WAIT_MS": str(fetch_wait_ms)}
    run = f"hop{fetch_wait_ms}-{time.time_ns()}"
    small_only = {"generator": {"REFINERY_GENERATOR_TIERS": "small"}}
    with tempfile.TemporaryDirectory() as workdir, Stack(Path(workdir), env=env, service_env=small_only) as stack:
        stack.start()
        settings = Settings(bootstrap_servers=stack.bootstrap, fetch_max_wait_ms=fetch_wait_ms)
        asyncio.run(run_batch([request(run, -1)], settings, 300))  # group joins and first loads
        idle_cpu = idle_cpu_percent(stack)
        results = [asyncio.run(run_batch([request(run, i)], settings, 300))[0] for i in range(requests)]
        bare = kafka_hop_ms(settings)
    per_hop = hop_overheads(results)
    return {
        "fetch_max_wait_ms": fetch_wait_ms,
        "requests": len(per_hop),
        "overhead_per_hop_p50_ms": round(statistics.median(per_hop), 2),
        "overhead_per_hop_p90_ms": round(statistics.quantiles(per_hop, n=10)[-1], 2),
        "kafka_hop_p50_ms": bare,
        "idle_cpu_percent": idle_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--waits", type=int, nargs="+", default=[10, 5])
    args = parser.parse_args()
    rows = [measure(wait, args.requests) for wait in args.waits]
    report = {
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, no GPU",
        "stack": "embedded Tansu (memory), one replica of each service, small tier forced, idle requests",
        "by_fetch_wait": rows,
        "target_per_hop_ms": 5,
    }
    OUT.write_text(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
