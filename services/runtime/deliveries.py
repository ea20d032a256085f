"""How often each record was delivered to this worker and never finished: its worker died on it.

A record that crashes its worker (a segfault in a native library, memory exhaustion) is redelivered
after the restart, and would crash it again forever: the process's memory of it died with it. So each
record is noted in a small append-only file before its work starts and again when it ends (page cache
outlives a killed process; in Kubernetes the file sits on an emptyDir, which outlives container
restarts). A record whose work started more than `max_crashes` times without ending is dead-lettered
instead of processed. A record in flight in the same batch as the culprit is counted too, and is
dead-lettered with it (`refinery dlq replay` brings it back). A rebalance to another pod starts that
pod's count at zero, so the bound is per worker."""

from collections import Counter
from pathlib import Path

from services.runtime.inbound import Inbound

KEPT = 20_000  # lines remembered; the file is compacted to these when it doubles


class DeliveryLog:
    def __init__(self, path: Path | None, max_crashes: int) -> None:
        self.path = path
        self.max_crashes = max_crashes
        self._lines: list[str] = []
        self._open: Counter[str] = Counter()  # started and not ended, per record
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():
                for line in path.read_text(errors="replace").splitlines()[-KEPT:]:
                    self._note(line)
            self._file = path.open("a")

    def _note(self, line: str) -> None:
        mark, _, key = line.partition(" ")
        self._lines.append(line)
        self._open[key] += 1 if mark == "B" else -1
        if self._open[key] <= 0:
            del self._open[key]

    def _write(self, line: str) -> None:
        self._note(line)
        if self.path is None:
            return
        self._file.write(line + "\n")
        self._file.flush()
        if len(self._lines) > 2 * KEPT:
            self._lines = self._lines[-KEPT:]
            self._file.close()
            self.path.write_text("".join(line + "\n" for line in self._lines))
            self._file = self.path.open("a")

    @staticmethod
    def key(record: Inbound) -> str:
        return f"{record.topic}:{record.partition}:{record.offset}"

    def crashes(self, record: Inbound) -> int:
        """Deliveries of `record` whose work started and never ended (the worker died)."""
        return self._open.get(self.key(record), 0)

    def begin(self, record: Inbound) -> None:
        self._write(f"B {self.key(record)}")

    def end(self, record: Inbound) -> None:
        self._write(f"E {self.key(record)}")
