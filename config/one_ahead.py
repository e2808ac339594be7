"""Work on the next item in a second thread while the caller handles this one.

An import checks chunk N+1 while chunk N loads (respondents/services/import_copy.py); an
export reads batch N+1's answers while batch N is written (exports/read_ahead.py). Both
pair a step that mostly waits (on PostgreSQL, a socket) with one that mostly computes, so
the two overlap even under the GIL.

The items are drawn in the caller's thread (whatever drawing one does, a query say, is the
caller's), the work runs in the second thread, and its results come back in order. The second
thread's own database connection, if the work opened one, is closed after each item. When
the caller stops early, the work already started finishes and the rest is not begun.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from django.db import connection

Item = TypeVar("Item")
Result = TypeVar("Result")


def one_ahead(
    items: Iterable[Item], work: Callable[[Item], Result], *, name: str
) -> Iterator[Result]:
    """work(item) for each item, in order; work on the next item runs in a thread named
    `name` while the caller handles this result (no item is held once its work is done)."""
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    try:
        pending: Future[Result] | None = None
        for item in items:
            queued = worker.submit(_closing_connection, work, item)
            if pending is not None:
                yield pending.result()
            pending = queued
        if pending is not None:
            yield pending.result()
    finally:
        worker.shutdown(cancel_futures=True)


def _closing_connection(work: Callable[[Item], Result], item: Item) -> Result:
    try:
        return work(item)
    finally:
        connection.close()
