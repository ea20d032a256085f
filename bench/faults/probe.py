"""The bare cost of one Kafka hop on this broker: produce → a group consumer receives it, with the
services' own fetch settings. What a stage adds on top is the services' share of the hop overhead."""

import asyncio
import statistics
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.settings import Settings


async def _probe(settings: Settings, samples: int) -> float:
    topic = f"refinery.probe.{time.time_ns()}"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 1, 1)])
    await admin.close()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=topic,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
    )
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    await consumer.start()
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"warm-up")
        while not await consumer.getmany(timeout_ms=1000):
            pass
        hops = []
        for _ in range(samples):
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            await producer.send_and_wait(topic, b"x")
            while not await consumer.getmany(timeout_ms=2000):
                pass
            hops.append((time.perf_counter() - started) * 1000)
        return round(statistics.median(hops), 2)
    finally:
        await producer.stop()
        await consumer.stop()


def kafka_hop_ms(settings: Settings, samples: int = 40) -> float:
    return asyncio.run(_probe(settings, samples))
