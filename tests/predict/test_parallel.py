"""Independent work on a few threads, in order, and one action beside the caller's work."""

from __future__ import annotations

import threading

import pytest

from leadscore.predict.parallel import each, in_background


def test_each_keeps_the_order_on_any_number_of_workers() -> None:
    items = list(range(40))
    for workers in (1, 2, 4):
        assert each(lambda x: x * x, items, workers) == [x * x for x in items]


def test_in_background_runs_beside_the_caller_and_hands_over_the_result() -> None:
    started = threading.Event()
    go_on = threading.Event()

    def action(n: int) -> int:
        started.set()
        assert go_on.wait(5), "the caller never went on"
        return n + 1

    with in_background(action, 41) as result:
        # the action runs on its own thread: it has started while the caller still works
        assert started.wait(5)
        go_on.set()
        assert result() == 42


def test_in_background_raises_the_action_error_and_waits_for_it() -> None:
    finished = threading.Event()

    def action(_: int) -> int:
        finished.set()
        raise ValueError("bad row 3")

    with pytest.raises(ValueError, match="bad row 3"), in_background(action, 0) as result:
        result()
    assert finished.is_set()

    # an error of the caller's own work still waits for the action before it leaves
    def slow(_: int) -> int:
        threading.Event().wait(0.2)
        finished.set()
        return 1

    finished.clear()
    with pytest.raises(KeyError), in_background(slow, 0):
        raise KeyError("caller")
    assert finished.is_set()
