"""Refinery's topics on any Kafka: one per stage hop, one per tier for the generators."""

import asyncio
import contextlib
import logging
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from services.inference.tiers import load_tiers
from services.runtime.connection import client_options
from services.settings import Settings

log = logging.getLogger("refinery.topics")
TOPIC_EXISTS = 36
STAGES = ("classifier", "generator", "critic", "refiner")


def topic_names(settings: Settings) -> list[str]:
    tiers = load_tiers(settings.tiers_file)
    return [
        settings.topic_requests,
        *(settings.generate_topic(t) for t in tiers),
        settings.topic_drafts,
        settings.topic_revise,
        settings.topic_results,
        settings.topic_errors,
        settings.topic_dlq,
        *(settings.retry_topic(stage, delay) for stage in STAGES for delay in settings.retry_delays_ms),
    ]


async def create_topics(settings: Settings) -> list[str]:
    """Create Refinery's topics; existing ones are left alone. Returns the names created."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        topics = [NewTopic(name, settings.partitions, 1) for name in topic_names(settings)]
        response = await admin.create_topics(topics)
        created = []
        for name, code, message in response.topic_errors:
            if code not in (0, TOPIC_EXISTS):
                raise RuntimeError(f"could not create topic {name}: {message} (error {code})")
            if code == 0:
                created.append(name)
        return created
    finally:
        await admin.close()


async def create_topics_when_up(settings: Settings) -> list[str]:
    """`create_topics`, waiting with backoff for a broker that is away at start-up (restarting, or not up
    yet), up to `startup_broker_wait_s`; past that the start fails, as a wrong address should."""
    deadline = time.monotonic() + settings.startup_broker_wait_s
    delay = 1.0
    while True:
        try:
            return await create_topics(settings)
        except KafkaError as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("broker not answering at start-up (%s); next try in %.0f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(2 * delay, 15.0)


def ensure_topics(settings: Settings) -> list[str]:
    return asyncio.run(create_topics(settings))


class TopicKeeper:
    """Recreates Refinery's topics whenever they are gone: a broker on memory storage comes back from a
    restart empty, and without its topics every publish fails and every consumer waits forever."""

    def __init__(self, settings: Settings, every_s: float = 5.0) -> None:
        self.settings = settings
        self.every_s = every_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._keep(), name="refinery-topic-keeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            try:
                if created := await create_topics(self.settings):
                    log.warning("topics were missing (a broker restarted empty?); recreated %s", created)
            except (KafkaError, OSError, RuntimeError) as exc:
                log.info("topic check failed (%s); next try in %.0f s", exc, self.every_s)
