"""Reading ahead in a thread: the same items in order, errors passed on, no thread left."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from governance.core.read_ahead import read_ahead


def test_items_arrive_in_order_and_the_reader_ends() -> None:
    threads = threading.active_count()
    assert list(read_ahead(lambda: iter(range(50)), depth=3)) == list(range(50))
    assert threading.active_count() == threads


def test_an_error_while_reading_reaches_the_caller_after_the_items_before_it() -> None:
    def produce() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("page 3 could not be read")

    seen: list[int] = []
    with pytest.raises(ValueError, match="page 3"):
        for item in read_ahead(produce, depth=1):
            seen.append(item)
    assert seen == [1, 2]


def test_a_caller_that_stops_early_stops_the_reader() -> None:
    produced: list[int] = []

    def produce() -> Iterator[int]:
        for n in range(10_000):
            produced.append(n)
            yield n

    threads = threading.active_count()
    items = read_ahead(produce, depth=2)
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()
    assert threading.active_count() == threads
    assert len(produced) <= 3 + 2 + 1  # taken, queued, and the one waiting to be offered
