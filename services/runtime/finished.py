"""Exactly one Result per request id, across restarts and rebalances: the Result topic is the record.

Every service that can finish a request tails `refinery.results` (no consumer group), from
`RESULTS_LOOKBACK_H` ago (7 days, the topics' retention in the examples), and remembers the ids it holds
(the newest `DEDUPE_CAPACITY`). A stage skips work for a request that already has a Result (a redelivery
after a crash between publishing and committing), and `Bus.finish` never publishes a second Result for
an id. The service reads the topic up to its end before it takes any work (the `ready` event), so a
restarted stage knows what its predecessor finished. Two workers finishing one id within the tail's
lag (≤ 100 ms) could still both publish; the fault benchmark counts such duplicates."""

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from services.runtime.connection import client_options
from services.settings import Settings

log = logging.getLogger("refinery.finished")


async def _caught_up(consumer: AIOKafkaConsumer) -> bool:
    """Every partition read up to the high watermark its last fetch reported (not `end_offsets`: Tansu's
    answer to ListOffsets cannot be trusted)."""
    partitions = consumer.assignment()
    if not partitions:
        return False
    for tp in partitions:
        highwater = consumer.highwater(tp)
        if highwater is None or await consumer.position(tp) < highwater:
            return False
    return True


class FinishedIds:
    def __init__(self, settings: Settings, capacity: int) -> None:
        self.settings = settings
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()
        self.ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def __contains__(self, request_id: object) -> bool:
        return request_id in self._ids

    def add(self, request_id: str) -> None:
        self._ids[request_id] = None
        self._ids.move_to_end(request_id)
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)

    def _take(self, value: bytes | None) -> None:
        try:
            request_id = orjson.loads(value or b"null")
        except orjson.JSONDecodeError:
            return
        if isinstance(request_id, dict) and isinstance(request_id.get("id"), str):
            self.add(request_id["id"])

    async def start(self) -> None:
        self._task = asyncio.create_task(self._tail(), name="refinery-finished-ids")
        await self.ready.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _assign_from_lookback(self, consumer: AIOKafkaConsumer) -> None:
        """Every partition, from the first Result of the lookback window (from the start when the broker
        cannot say: Tansu answers "none after" with offset 0 and timestamp -1)."""
        topic = self.settings.topic_results
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            raise KafkaError(f"topic {topic} not found")
        consumer.assign(partitions)
        since = int(time.time() * 1000 - self.settings.results_lookback_h * 3_600_000)
        found = await consumer.offsets_for_times(dict.fromkeys(partitions, since))
        for tp in partitions:
            offset = found.get(tp)
            if offset is not None and offset.timestamp >= 0:
                consumer.seek(tp, offset.offset)
            else:
                await consumer.seek_to_beginning(tp)

    async def _tail(self) -> None:
        """Read the Result topic to its end (then `ready`), and keep reading; reconnect if the broker goes."""
        while True:
            consumer = AIOKafkaConsumer(
                **client_options(self.settings),
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                fetch_max_wait_ms=100,  # its lag is the window a duplicate could slip through: far below a restart
            )
            try:
                await consumer.start()
                await self._assign_from_lookback(consumer)
                while True:
                    batch = await consumer.getmany(timeout_ms=250)
                    for records in batch.values():
                        for record in records:
                            self._take(record.value)
                    if not self.ready.is_set() and await _caught_up(consumer):
                        log.info("%d finished request ids known", len(self._ids))
                        self.ready.set()
            except KafkaError as exc:
                log.warning("Result topic tail lost (%s); reconnecting", exc)
                await asyncio.sleep(1)
            finally:
                await consumer.stop()
