"""Read the next items from the database in a thread while the caller works on these.

Waiting for PostgreSQL (or a COPY) releases the GIL, so reading and the caller's work overlap
instead of taking turns. The reader has a database connection of its own, so it sees only
committed rows: callers read ahead only outside a transaction (`connection.in_atomic_block`)
and read inline inside one.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from django.db import connections

T = TypeVar("T")

_DONE = object()


def read_ahead(produce: Callable[[], Iterable[T]], *, depth: int = 4) -> Iterator[T]:
    """The items `produce()` yields, at most `depth` of them read before they are wanted."""
    items: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: Any) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for item in produce():
                if not offer(item):
                    return
            offer(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            offer(exc)
        finally:
            # The reader's own database connection ends with the thread.
            connections.close_all()

    reader = threading.Thread(target=read, name="read-ahead", daemon=True)
    reader.start()
    try:
        while (item := items.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()
