"""Retries with backoff through delay topics, then the dead-letter topic, never by blocking a partition.

A record whose work fails for a reason that may pass (a model call that fails or times out, a broker
error, a crash in the stage) is re-published, untouched, to `refinery.retry.<stage>.<delay>ms` with its
attempt count, first-failure time and history (stage, attempt, error, time) in headers. The stage's
forwarder for that topic waits until the record is due and re-publishes it to the topic it came from.
After the last delay the record goes to `refinery.dlq` with the same headers (`refinery dlq` lists and
replays them) and the request ends with an `error` Result that says so. A failure that will not pass (an
invalid request, a schema the decoder refuses) never comes here: it is answered at once."""

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

import orjson
from faststream.kafka import KafkaBroker

from services.runtime.inbound import Inbound
from services.runtime.metrics import instruments
from services.settings import Settings

log = logging.getLogger("refinery.retry")

ATTEMPTS = "refinery-attempts"  # failed deliveries so far
HISTORY = "refinery-history"  # JSON list of {stage, attempt, error, at_ms}, the newest 10
ORIGIN = "refinery-origin"  # the topic the record is retried on
DUE = "refinery-due-ms"
FIRST_FAILURE = "refinery-first-failure-ms"
DEAD_STAGE = "refinery-dead-stage"
RETRY_HEADERS = frozenset({ATTEMPTS, HISTORY, ORIGIN, DUE, FIRST_FAILURE, DEAD_STAGE})
KEPT_HISTORY = 10
ERROR_CHARS = 500

OnDead = Callable[[str, int], Awaitable[None]]  # (reason, attempts) → the request's error answer


def attempts_of(headers: dict[str, str]) -> int:
    try:
        return max(0, int(headers.get(ATTEMPTS, "0")))
    except ValueError:
        return 0


def history_of(headers: dict[str, str]) -> list[dict[str, object]]:
    try:
        history = orjson.loads(headers.get(HISTORY, "[]"))
    except orjson.JSONDecodeError:
        return []
    return history if isinstance(history, list) else []


def _key(record: Inbound) -> bytes | None:
    return record.key.encode() if record.key is not None else None


def _jittered(delay_ms: int) -> int:
    return int(delay_ms * random.uniform(0.8, 1.2))


class Retrier:
    def __init__(self, broker: KafkaBroker, settings: Settings, stage: str) -> None:
        self.broker = broker
        self.settings = settings
        self.stage = stage

    def topics(self) -> list[str]:
        return [self.settings.retry_topic(self.stage, d) for d in self.settings.retry_delays_ms]

    def _history_headers(self, record: Inbound, attempts: int, error: str) -> dict[str, str]:
        now = int(time.time() * 1000)
        failure = {"stage": self.stage, "attempt": attempts, "error": error[:ERROR_CHARS], "at_ms": now}
        history = [*history_of(record.headers), failure]
        headers = {k: v for k, v in record.headers.items() if k not in RETRY_HEADERS}
        return headers | {
            ATTEMPTS: str(attempts),
            HISTORY: orjson.dumps(history[-KEPT_HISTORY:]).decode(),
            ORIGIN: record.headers.get(ORIGIN) or record.topic,
            FIRST_FAILURE: record.headers.get(FIRST_FAILURE) or str(now),
        }

    async def failed(self, record: Inbound, error: str, on_dead: OnDead) -> None:
        """Schedule the record's next attempt, or dead-letter it and answer its request."""
        attempts = attempts_of(record.headers) + 1
        headers = self._history_headers(record, attempts, error)
        delays = self.settings.retry_delays_ms
        if attempts > len(delays):
            await self._dead_letter(record, headers, attempts, error, on_dead)
            return
        headers[DUE] = str(int(time.time() * 1000) + _jittered(delays[attempts - 1]))
        topic = self.settings.retry_topic(self.stage, delays[attempts - 1])
        await self.broker.publish(record.body, topic, key=_key(record), headers=headers)
        instruments().retries.add(1, {"refinery.stage": self.stage})
        log.warning("%s: attempt %d of %s failed (%s); retry via %s", self.stage, attempts, record.key, error, topic)

    async def crashed(self, record: Inbound, crashes: int, on_dead: OnDead) -> None:
        """Dead-letter, without another try, a record whose work killed its worker `crashes` times."""
        error = f"its work killed the worker {crashes} times"
        attempts = attempts_of(record.headers) + crashes
        await self._dead_letter(record, self._history_headers(record, attempts, error), attempts, error, on_dead)

    async def _dead_letter(
        self, record: Inbound, headers: dict[str, str], attempts: int, error: str, on_dead: OnDead
    ) -> None:
        headers[DEAD_STAGE] = self.stage
        await self.broker.publish(record.body, self.settings.topic_dlq, key=_key(record), headers=headers)
        instruments().dead_letters.add(1, {"refinery.stage": self.stage})
        log.error("%s: %s dead-lettered after %d attempts: %s", self.stage, record.key, attempts, error)
        await on_dead(f"dead-lettered after {attempts} attempts: {error}", attempts)

    async def forward(self, record: Inbound) -> None:
        """A retry topic's handler: wait until the record is due, then send it back where it failed."""
        try:
            due = int(record.headers.get(DUE, "0"))
        except ValueError:
            due = 0
        wait_s = (due - time.time() * 1000) / 1000
        if wait_s > 0:
            await asyncio.sleep(wait_s)
        origin = record.headers.get(ORIGIN)
        if not origin:
            log.error("%s: retry record without %s header dropped", self.stage, ORIGIN)
            return
        headers = {k: v for k, v in record.headers.items() if k != DUE}
        await self.broker.publish(record.body, origin, key=_key(record), headers=headers)
