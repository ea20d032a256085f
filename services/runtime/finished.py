"""Exactly one Result per request id, across restarts and rebalances: the Result topic is the record.

Every service that can finish a request tails `refinery.results` from the start (no consumer group) and
remembers the ids it holds. A stage skips work for a request that already has a Result (a redelivery
after a crash between publishing and committing), and `Bus.finish` never publishes a second Result for
an id. The service reads the topic up to its end before it takes any work (the `ready` event), so a
restarted stage knows what its predecessor finished. Two workers finishing one id within the tail's
lag (milliseconds) could still both publish; the fault benchmark counts such duplicates."""

import asyncio
import contextlib
import logging
from collections import OrderedDict

import orjson
from aiokafka import AIOKafkaConsumer
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

    async def _tail(self) -> None:
        """Read the Result topic to its end (then `ready`), and keep reading; reconnect if the broker goes."""
        while True:
            consumer = AIOKafkaConsumer(
                self.settings.topic_results,
                **client_options(self.settings),
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                fetch_max_wait_ms=100,  # its lag is the window a duplicate could slip through: far below a restart
            )
            try:
                await consumer.start()
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
