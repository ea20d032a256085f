"""The coalescer waits for announced calls, not for its window (the window still gathers the unannounced)."""

import threading

import pytest

from services.inference.engines.base import Completion
from services.inference.engines.coalesce import CoalescingEngine


class CountingEngine:
    model_name = "counting"

    def complete_batch(self, calls):
        return [Completion("{}", 1, 1, None, 1.0, "stop") for _ in calls]


def call(engine: CoalescingEngine) -> None:
    engine.complete([{"role": "user", "content": "x"}], None, 4)


@pytest.mark.timeout(20)
def test_an_announced_lone_call_does_not_wait_out_the_window() -> None:
    engine = CoalescingEngine(CountingEngine(), max_batch=8, window_s=600)  # waiting it out would time the test out
    engine.expect(1)
    call(engine)
    assert engine.batch_sizes == [1]


@pytest.mark.timeout(20)
def test_announced_calls_are_decoded_together() -> None:
    engine = CoalescingEngine(CountingEngine(), max_batch=8, window_s=600)
    engine.expect(3)
    threads = [threading.Thread(target=call, args=(engine,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert engine.batch_sizes == [3]


def test_an_announced_call_that_never_comes_costs_one_window_then_is_forgotten() -> None:
    engine = CoalescingEngine(CountingEngine(), max_batch=8, window_s=0.05)
    engine.expect(2)
    call(engine)  # the second announced call never arrives
    call(engine)
    assert engine.batch_sizes == [1, 1] and engine._expected == 0
