"""Refinery's topics on any Kafka: one per stage hop, one per tier for the generators."""

import asyncio

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.inference.tiers import load_tiers
from services.runtime.connection import client_options
from services.settings import Settings

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


def ensure_topics(settings: Settings) -> list[str]:
    return asyncio.run(create_topics(settings))
