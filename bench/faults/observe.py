"""What the fault campaign reads back: every Result and error record on the broker, processes' health."""

import asyncio
import os
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from refinery.devstack.stack import Stack
from schemas import ErrorRecord, Result
from services.settings import Settings


@dataclass
class Answers:
    results: dict[str, list[Result]] = field(default_factory=dict)
    errors: list[ErrorRecord] = field(default_factory=list)

    def result_counts(self, prefix: str) -> Counter[str]:
        return Counter({k: len(v) for k, v in self.results.items() if k.startswith(prefix)})


class AnswerCollector:
    """Every Result and error record on the broker, read once and followed: each `poll` adds what is new."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.answers = Answers()
        self._consumer: AIOKafkaConsumer | None = None
        self._loop = asyncio.new_event_loop()

    async def _start(self) -> None:
        settings = self.settings
        self._consumer = consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers, group_id=None, max_poll_records=5000
        )
        await consumer.start()
        tps = [
            TopicPartition(topic, p)
            for topic in (settings.topic_results, settings.topic_errors)
            for p in sorted(consumer.partitions_for_topic(topic) or [])
        ]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)

    async def _poll(self) -> None:
        if self._consumer is None:
            await self._start()
        assert self._consumer is not None
        while batch := await self._consumer.getmany(timeout_ms=1000):
            for tp, records in batch.items():
                for record in records:
                    data = orjson.loads(record.value)
                    if tp.topic == self.settings.topic_results:
                        result = Result.model_validate(data)
                        self.answers.results.setdefault(result.id, []).append(result)
                    else:
                        self.answers.errors.append(ErrorRecord.model_validate(data))

    def poll(self) -> Answers:
        self._loop.run_until_complete(self._poll())
        return self.answers

    def close(self) -> None:
        if self._consumer is not None:
            self._loop.run_until_complete(self._consumer.stop())
        self._loop.close()


def dead_services(stack: Stack) -> list[str]:
    """Services whose processes all exited (a kill the campaign did not replace, or a crash)."""
    return [name for name, procs in stack.services.items() if all(p.poll() is not None for p in procs)]


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def idle_cpu_percent(stack: Stack, seconds: float = 10.0) -> dict[str, float]:
    """CPU each process group burns with no work in flight: the price of short fetch waits."""
    groups = {name: [p.pid for p in procs if p.poll() is None] for name, procs in stack.services.items()}
    if stack.broker is not None:
        groups["broker"] = stack.broker.pids()
    before = {name: sum(map(cpu_seconds, pids)) for name, pids in groups.items()}
    time.sleep(seconds)
    return {
        name: round(100 * (sum(map(cpu_seconds, pids)) - before[name]) / seconds, 1) for name, pids in groups.items()
    }


def service_rss(stack: Stack) -> dict[str, float]:
    return {
        name: round(sum(rss_mb(p.pid) for p in procs if p.poll() is None), 1) for name, procs in stack.services.items()
    }


class ConnectionWatch:
    """A listener where a remote `$ref` points: counts every connection made to it (must stay 0)."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.server.settimeout(0.5)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()
