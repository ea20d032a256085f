"""Bounded memory of processed message keys, so a redelivered message is not processed twice.

Messages are keyed by request id, so every redelivery of a request lands on the partition, and so the
worker, that saw it first (until a rebalance moves the partition; then the stage re-runs, which is
safe because every stage is deterministic: greedy decoding and pure validators).
"""

from collections import OrderedDict


class SeenKeys:
    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._seen: OrderedDict[str, str] = OrderedDict()

    def check(self, key: str, fingerprint: str = "") -> str | None:
        """Record `key`; return None if new, else the fingerprint it was first seen with."""
        if key in self._seen:
            self._seen.move_to_end(key)
            return self._seen[key]
        self._seen[key] = fingerprint
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return None

    def forget(self, key: str) -> None:
        self._seen.pop(key, None)
