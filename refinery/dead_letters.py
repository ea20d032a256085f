"""Dead letters on `refinery.dlq`: read them with their history, and replay them.

A dead-lettered request already has its `error` Result, and a request id gets exactly one Result, so a
replay is a new request: the same payload under `<id>~replay<N>`, sent to the topic it failed on (its
retry headers dropped, so it gets the full retries again)."""

from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from refinery.client import read_from_start
from services.runtime.connection import client_options
from services.runtime.inbound import inbound
from services.runtime.retry import DEAD_STAGE, FIRST_FAILURE, ORIGIN, RETRY_HEADERS, attempts_of, history_of
from services.settings import Settings


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: str | None
    stage: str
    origin: str
    attempts: int
    first_failure_ms: int
    history: list[dict[str, Any]]
    body: bytes
    headers: dict[str, str]

    @property
    def last_error(self) -> str:
        return str(self.history[-1].get("error", "")) if self.history else ""


async def read_dead_letters(settings: Settings) -> list[DeadLetter]:
    letters = []
    for record in map(inbound, await read_from_start(settings, settings.topic_dlq)):
        letters.append(
            DeadLetter(
                partition=record.partition,
                offset=record.offset,
                key=record.key,
                stage=record.headers.get(DEAD_STAGE, "?"),
                origin=record.headers.get(ORIGIN, ""),
                attempts=attempts_of(record.headers),
                first_failure_ms=int(record.headers.get(FIRST_FAILURE, "0") or 0),
                history=history_of(record.headers),
                body=record.body,
                headers=record.headers,
            )
        )
    return sorted(letters, key=lambda letter: (letter.first_failure_ms, letter.partition, letter.offset))


def renamed(body: bytes, new_id: str) -> bytes:
    """The payload with its request id replaced: a raw request holds it at `id`, a stage message at
    `request.id`."""
    data = orjson.loads(body)
    target = data["request"] if isinstance(data.get("request"), dict) else data
    target["id"] = new_id
    return orjson.dumps(data)


def replay_id(request_id: str, taken: set[str]) -> str:
    number = 1
    while f"{request_id}~replay{number}" in taken:
        number += 1
    return f"{request_id}~replay{number}"


async def replay(settings: Settings, letters: list[DeadLetter], taken: set[str]) -> list[tuple[str, str]]:
    """Re-send each letter to its origin under a new id; (old id, new id) for each."""
    producer = AIOKafkaProducer(**client_options(settings), acks="all")
    await producer.start()
    replayed = []
    try:
        for letter in letters:
            if not letter.origin or letter.key is None:
                continue
            new_id = replay_id(letter.key, taken)
            taken.add(new_id)
            headers = [(k, v.encode()) for k, v in letter.headers.items() if k not in RETRY_HEADERS]
            await producer.send_and_wait(
                letter.origin, renamed(letter.body, new_id), key=new_id.encode(), headers=headers
            )
            replayed.append((letter.key, new_id))
    finally:
        await producer.stop()
    return replayed
