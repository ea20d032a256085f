"""Run one stage's app on FastStream's in-memory broker and collect what it publishes."""

from collections import defaultdict
from contextlib import asynccontextmanager
from typing import Any

import orjson
from faststream import FastStream, TestApp
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.runtime.inbound import Inbound, one_record
from services.settings import Settings

SETTINGS = Settings(
    otel_exporter="none", health_port=0, metrics_port=0, read_broker_state=False, retry_delays_ms=[1, 2]
)
WATCHED = (SETTINGS.topic_drafts, SETTINGS.topic_revise, SETTINGS.topic_results, SETTINGS.topic_errors)


class Outbox(defaultdict[str, list[dict[str, Any]]]):
    """Decoded messages by topic, in publish order."""

    def __init__(self) -> None:
        super().__init__(list)
        self.headers: defaultdict[str, list[dict[str, str]]] = defaultdict(list)

    def only(self, topic: str) -> dict[str, Any]:
        assert len(self[topic]) == 1, f"{topic}: {self[topic]}"
        return self[topic][0]


def _sink(outbox: Outbox, topic: str):
    async def sink(record: Inbound) -> None:
        try:
            outbox[topic].append(orjson.loads(record.body))
        except orjson.JSONDecodeError:  # what a test itself sent to a watched topic
            outbox[topic].append({"raw": record.body})
        outbox.headers[topic].append(record.headers)

    return sink


def watch(broker: KafkaBroker, topics: tuple[str, ...], outbox: Outbox) -> None:
    for topic in topics:
        broker.subscriber(topic, decoder=one_record, group_id=f"test-sink-{topic}")(_sink(outbox, topic))


@asynccontextmanager
async def running(app: FastStream, topics: tuple[str, ...] = WATCHED):
    """(in-memory broker, outbox) with the app's start-up hooks run, as its pod would."""
    outbox = Outbox()
    watch(app.broker, tuple(t for t in topics), outbox)
    async with TestKafkaBroker(app.broker) as broker, TestApp(app):
        yield broker, outbox
