"""The four experiments of the fault campaign, each over the running stack (see bench/faults/__main__.py)."""

import asyncio
import itertools
import random
import statistics
import time
from collections.abc import Callable

import orjson
from confluent_kafka import Producer

from bench.faults.hostile import duplicate_cases, hostile_cases
from bench.faults.observe import AnswerCollector, Answers, ConnectionWatch, dead_services, service_rss
from refinery.client import percentile, run_batch
from refinery.devstack.stack import Stack
from schemas import DUPLICATE_ID, Result, ResultStatus
from services.settings import Settings


def small_request(request_id: str, max_tokens: int = 400) -> bytes:
    return orjson.dumps(
        {
            "id": request_id,
            "prompt": "Name one primary colour.",
            "schema": {"type": "object", "properties": {"colour": {"type": "string"}}, "required": ["colour"]},
            "budget": {"max_tokens": max_tokens},
            "tier": "small",
        }
    )


def wait_for(settings: Settings, done: Callable[[Answers], bool], timeout_s: float) -> Answers:
    """Follow the answer topics until `done(answers)` or the timeout; the answers so far."""
    collector = AnswerCollector(settings)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            answers = collector.poll()
            if done(answers) or time.monotonic() > deadline:
                return answers
            time.sleep(2)
    finally:
        collector.close()


def fuzz(stack: Stack, settings: Settings, cases_n: int, valid_n: int, run: str) -> dict:
    watch = ConnectionWatch()
    cases = list(hostile_cases(cases_n, seed=7, ref_url=watch.url, run=run))
    duplicates = list(duplicate_cases(run, 20))
    valid = [f"{run}-v{i}" for i in range(valid_n)]
    rss_before = service_rss(stack)
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers, "linger.ms": 5})
    every = max(1, len(cases) // max(valid_n, 1))
    valid_iter = iter(valid)
    for index, case in enumerate(cases):
        producer.produce(settings.topic_requests, case.payload, key=case.key.encode(), headers=case.headers)
        if index % every == 0 and (request_id := next(valid_iter, None)):
            producer.produce(settings.topic_requests, small_request(request_id), key=request_id.encode())
        producer.poll(0)
    for first, second in duplicates:
        for case in (first, second):
            producer.produce(settings.topic_requests, case.payload, key=case.key.encode())
    producer.flush(60)
    started = time.monotonic()
    expected_results = set(valid) | {c.key for c in cases if c.wants_result} | {f.key for f, _ in duplicates}
    answers = wait_for(settings, lambda a: expected_results <= a.results.keys(), 900)
    wall = time.monotonic() - started
    watch.close()
    by_id = {e.request_id for e in answers.errors if e.request_id}
    anonymous = sum(e.request_id is None for e in answers.errors)
    with_id = [c for c in cases if c.request_id]
    answered = sum(c.request_id in by_id for c in with_id) + min(anonymous, len(cases) - len(with_id))
    duplicate_refused = sum(
        any(e.request_id == s.key and e.reason.startswith(DUPLICATE_ID) for e in answers.errors) for _, s in duplicates
    )
    return {
        "cases": len(cases) + len(duplicates),
        "kinds": len({c.kind for c in cases}) + 1,
        "error_records": answered + duplicate_refused,
        "error_results_for_hostile_with_id": sum(
            any(r.status is ResultStatus.error for r in answers.results.get(c.key, [])) for c in cases if c.wants_result
        ),
        "hostile_with_id": sum(c.wants_result for c in cases),
        "duplicate_ids_refused_without_second_result": sum(
            len(answers.results.get(s.key, [])) == 1 for _, s in duplicates
        ),
        "valid": len(valid) + len(duplicates),
        "results_for_valid": sum(i in answers.results for i in valid)
        + sum(f.key in answers.results for f, _ in duplicates),
        "crashes": len(dead_services(stack)),
        "stalls": sum(i not in answers.results for i in valid),
        "remote_ref_connections": watch.connections,
        "wall_s": round(wall, 1),
        "rss_mb_before": rss_before,
        "rss_mb_after": service_rss(stack),
    }


def count_lost_and_duplicates(settings: Settings, ids: list[str]) -> tuple[int, int]:
    answers = wait_for(settings, lambda a: set(ids) <= a.results.keys(), 120)
    lost = sum(i not in answers.results for i in ids)
    return lost, sum(len(answers.results.get(i, [])) > 1 for i in ids)


def kills(stack: Stack, settings: Settings, requests_n: int, kills_n: int, interval_s: float, run: str) -> dict:
    """SIGKILL one process of each service in turn mid-batch, starting a replacement each time."""
    ids = [f"{run}-k{i}" for i in range(requests_n)]
    order = itertools.cycle(["generator", "critic", "classifier", "refiner"])
    killed: list[str] = []

    async def scenario() -> list[Result]:
        task = asyncio.create_task(run_batch([small_request(i) for i in ids], settings, 1500))
        for _ in range(kills_n):
            await asyncio.sleep(interval_s)
            name = next(order)
            live = [p for p in stack.services[name] if p.poll() is None]
            if live:
                random.choice(live).kill()
                killed.append(name)
            stack.start_service(name)
        return await task

    results = asyncio.run(scenario())
    lost, duplicates = count_lost_and_duplicates(settings, ids)
    return {
        "kills": len(killed),
        "killed": dict(sorted({n: killed.count(n) for n in set(killed)}.items())),
        "requests": len(ids),
        "lost": lost,
        "duplicates": duplicates,
        "errors": sum(r.status is ResultStatus.error for r in results),
    }


def broker_restart(stack: Stack, settings: Settings, requests_n: int, run: str) -> dict:
    ids = [f"{run}-b{i}" for i in range(requests_n)]

    async def scenario() -> tuple[list[Result], float]:
        task = asyncio.create_task(run_batch([small_request(i) for i in ids], settings, 900))
        await asyncio.sleep(8)
        assert stack.broker is not None
        stack.broker.kill()
        await asyncio.sleep(2)
        started = time.monotonic()
        stack.broker.start()
        return await task, time.monotonic() - started

    results, back_s = asyncio.run(scenario())
    lost, duplicates = count_lost_and_duplicates(settings, ids)
    errors = sum(r.status is ResultStatus.error for r in results)
    return {
        "requests": len(ids),
        "lost": lost,
        "duplicates": duplicates,
        "errors": errors,
        "restart_to_done_s": round(back_s, 1),
    }


def hop_overheads(results: list[Result]) -> list[float]:
    """What Kafka and the services added to each Result, per hop: (latency − ledger stage time) / hops."""
    return [
        (r.latency_ms - sum(e.duration_ms for e in r.ledger.entries)) / (len(r.ledger.entries) - 1)
        for r in results
        if r.latency_ms is not None and len(r.ledger.entries) > 1
    ]


def load(settings: Settings, requests_n: int, idle_n: int, run: str) -> dict:
    rng = random.Random(11)
    budgets = {f"{run}-l{i}": rng.randint(120, 400) for i in range(requests_n)}
    started = time.monotonic()
    results = asyncio.run(run_batch([small_request(i, b) for i, b in budgets.items()], settings, 1800))
    wall = time.monotonic() - started
    latencies = [r.latency_ms for r in results if r.latency_ms is not None]
    idle = [asyncio.run(run_batch([small_request(f"{run}-idle{i}")], settings, 300))[0] for i in range(idle_n)]
    per_hop = hop_overheads(idle)
    return {
        "requests": requests_n,
        "budget_violations": sum(r.ledger.tokens > budgets[r.id] for r in results),
        "errors": sum(r.status is ResultStatus.error for r in results),
        "p50_ms": percentile(latencies, 0.5),
        "p95_ms": percentile(latencies, 0.95),
        "throughput_per_s": round(requests_n / wall, 3),
        "overhead_per_hop_p50_ms": round(statistics.median(per_hop), 1) if per_hop else None,
        "idle_requests": idle_n,
    }
