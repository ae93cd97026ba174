"""collector.paused: the collector is off inside, and as the caller had it after."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from newscorpus import collector


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


@pytest.mark.usefixtures("collector_on")
def test_paused_turns_the_collector_off_and_back_on_after_an_error() -> None:
    with pytest.raises(RuntimeError), collector.paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_nested_pauses_end_with_the_outermost() -> None:
    with collector.paused():
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_paused_leaves_a_collector_the_caller_turned_off_off() -> None:
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_paused_as_a_decorator_holds_for_each_call() -> None:
    seen = []

    @collector.paused()
    def work() -> None:
        seen.append(gc.isenabled())

    work()
    work()
    assert seen == [False, False]
    assert gc.isenabled()
