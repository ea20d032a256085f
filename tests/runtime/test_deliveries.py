"""The delivery log counts only work that never ended, and remembers it across a restart of the worker."""

from pathlib import Path

from services.runtime.deliveries import DeliveryLog
from services.runtime.inbound import Inbound

RECORD = Inbound(topic="refinery.drafts", body=b"{}", headers={}, key="r-1", partition=2, offset=41)


def test_work_that_ends_is_not_a_crash_and_work_that_never_ends_is(tmp_path: Path) -> None:
    path = tmp_path / "critic.log"
    log = DeliveryLog(path, max_crashes=2)
    log.begin(RECORD)
    log.end(RECORD)  # finished (even with an exception): not a crash
    assert log.crashes(RECORD) == 0
    log.begin(RECORD)  # the worker dies here
    restarted = DeliveryLog(path, max_crashes=2)
    assert restarted.crashes(RECORD) == 1
    restarted.begin(RECORD)  # and dies again
    assert DeliveryLog(path, max_crashes=2).crashes(RECORD) == 2


def test_without_a_file_it_counts_in_memory_only() -> None:
    log = DeliveryLog(None, max_crashes=1)
    log.begin(RECORD)
    assert log.crashes(RECORD) == 1
