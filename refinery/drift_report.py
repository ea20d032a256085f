"""`refinery drift`: the Result topic replayed, from its start, through the services' own drift monitor:
per tier and per schema family, what moved, by how much beyond chance, and since when."""

from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from refinery.client import read_from_start
from schemas import Result
from services.drift.monitor import DriftMonitor, Embed, GroupReport
from services.settings import Settings


def replay_results(records: list[ConsumerRecord], monitor: DriftMonitor) -> int:
    """Feed every readable Result, in publication order; returns how many."""
    fed = 0
    for record in sorted(records, key=lambda r: (r.timestamp, r.partition, r.offset)):
        try:
            result = Result.model_validate_json(record.value or b"")
        except ValidationError:
            continue
        monitor.observe(result, at_ms=record.timestamp)
        fed += 1
    return fed


async def drift_report(settings: Settings, embed: Embed | None) -> tuple[int, list[GroupReport]]:
    monitor = DriftMonitor.from_settings(settings, embed)
    records = await read_from_start(settings, settings.topic_results)
    return replay_results(records, monitor), monitor.report()
