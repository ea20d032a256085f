"""What a handler receives for each Kafka record, however broken the record is.

FastStream's own parser decodes every header value as UTF-8 and fails, before any handler runs, on a
value that is not (or is null), which used to drop the record's whole batch unanswered. The parser here
replaces such values first, so the handler sees the record and answers it; a tombstone (null value)
arrives as an empty body, which the stage rejects with a reason like any other undecodable payload."""

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.structs import ConsumerRecord


@dataclasses.dataclass(frozen=True)
class Inbound:
    topic: str
    body: bytes
    headers: dict[str, str]
    key: str | None
    partition: int = 0
    offset: int = 0
    timestamp_ms: int = 0


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else value.decode("utf-8", errors="replace")


def _readable(record: ConsumerRecord) -> ConsumerRecord:
    headers = tuple((_text(k), _text(v).encode()) for k, v in record.headers or ())
    return dataclasses.replace(record, headers=headers)


async def safe_parser(message: Any, original: Callable[[Any], Awaitable[Any]]) -> Any:
    """FastStream `parser=`: header values made valid UTF-8 before its own parser sees them."""
    if isinstance(message, tuple | list):  # a batch (a list from FastStream's in-memory test broker)
        return await original(type(message)(_readable(m) for m in message))
    return await original(_readable(message))


def inbound(record: ConsumerRecord) -> Inbound:
    return Inbound(
        topic=record.topic,
        body=record.value or b"",
        headers={_text(k): _text(v) for k, v in record.headers or ()},
        key=_text(record.key) if record.key is not None else None,
        partition=record.partition,
        offset=record.offset,
        timestamp_ms=record.timestamp,
    )


async def one_record(message: Any) -> Inbound:
    """FastStream `decoder=` for single-record subscribers."""
    return inbound(message.raw_message)


async def record_batch(message: Any) -> list[Inbound]:
    """FastStream `decoder=` for batch subscribers: every record with its own headers and position."""
    return [inbound(record) for record in message.raw_message]
