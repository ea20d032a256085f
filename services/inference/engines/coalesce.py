"""Dynamic batching: `complete` calls from concurrent threads are gathered into one `complete_batch`.

Callers (the generator's handlers for the records of one Kafka batch, the refiner) keep calling
`complete` as if they were alone; a worker thread takes the first waiting call, gathers more for up to
`window_s` or until `max_batch`, runs them through the engine's batched decoder together and hands each
caller its own completion. A streaming call (`on_text`) runs alone.

A caller that knows how many calls are coming (the generator, from the size of its Kafka batch) says so
with `expect(n)`: the gather then waits for those calls only, so a lone request starts at once instead of
paying the window on every hop (bench/results/faults.json), and a burst is still decoded together.
"""

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.inference.engines.base import Completion, Message


@dataclass
class _Pending:
    call: tuple[list[Message], dict[str, Any] | None, int]
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Completion | BaseException | None = None


class CoalescingEngine:
    def __init__(self, engine: Any, max_batch: int, window_s: float) -> None:
        self._engine = engine
        self.model_name = engine.model_name
        self.max_batch = max_batch
        self.window_s = window_s
        self.batch_sizes: list[int] = []  # observed, for tests and benchmarks
        self._queue: queue.Queue[_Pending] = queue.Queue()
        self._expected = 0  # calls announced by `expect` and not yet gathered
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, name=f"batcher-{self.model_name}", daemon=True).start()

    def __getattr__(self, name: str) -> Any:  # render, grammar, count_tokens… come from the engine
        return getattr(self._engine, name)

    def count_tokens(self, messages: list[Message]) -> int:
        return self._engine.count_tokens(messages)

    def complete(
        self,
        messages: list[Message],
        json_schema: dict[str, Any] | None,
        max_new_tokens: int,
        on_text: Callable[[str], None] | None = None,
    ) -> Completion:
        if on_text is not None:
            return self._engine.complete(messages, json_schema, max_new_tokens, on_text)
        pending = _Pending((messages, json_schema, max_new_tokens))
        self._queue.put(pending)
        pending.done.wait()
        if isinstance(pending.outcome, BaseException):
            raise pending.outcome
        assert pending.outcome is not None
        return pending.outcome

    def expect(self, calls: int) -> None:
        """`calls` calls are about to arrive (one Kafka batch's records): gather them, not the window."""
        with self._lock:
            self._expected += calls

    def _gather(self) -> list[_Pending]:
        batch = [self._queue.get()]
        deadline = time.monotonic() + self.window_s
        with self._lock:
            announced = self._expected
        complete = True
        while len(batch) < self.max_batch:
            if announced and len(batch) >= announced:
                break  # every announced call is here: no reason to wait
            left = deadline - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait())
            except queue.Empty:
                complete = not announced  # an announced call never came (its record ended before the model)
                break
        with self._lock:
            self._expected = max(0, self._expected - len(batch)) if complete else 0
        return batch

    def _serve(self) -> None:
        while True:
            batch = self._gather()
            self.batch_sizes.append(len(batch))
            try:
                outcomes = self._engine.complete_batch([p.call for p in batch])
            except BaseException as exc:  # a failed batch fails its callers, never the worker thread
                outcomes = [exc] * len(batch)
            for pending, outcome in zip(batch, outcomes, strict=True):
                pending.outcome = outcome
                pending.done.set()
