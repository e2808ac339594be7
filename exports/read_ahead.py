"""The export's batches with their answers, the next batch's read while this one is worked on.

Flattening a batch (exports/flatten.py) is mostly waiting: PostgreSQL extracts some hundreds
of keys from each response's document and streams them. The rest of a batch (the column
rules, free text, pseudonyms, the writer) is Python work. So on PostgreSQL a second thread
flattens batch N+1 while the caller works on batch N; waiting on the socket and pyarrow's
parsing both let the caller's thread run.

The second thread has its own database connection, which sees what is committed. So it is
used only when the caller's connection is in autocommit (an export job, the export
command), where the caller sees the same; inside a transaction (a test, a request with
ATOMIC_REQUESTS) every batch is read by the caller itself, as uncommitted rows are not
visible elsewhere. The thread closes its connection after each batch (config/one_ahead.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet

from django.db import connection

from config.one_ahead import one_ahead
from exports.flatten import FlatBatch, flatten
from exports.sampling import SampledResponse

Batch = list[SampledResponse]


def with_answers(
    batches: Iterable[Batch],
    keys: Sequence[str],
    typed: AbstractSet[str],
    scrubbed: Sequence[str],
) -> Iterator[tuple[Batch, FlatBatch]]:
    """Each batch with its flattened answers (flatten's arguments), in order."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        for batch in batches:
            yield batch, _flattened(batch, keys, typed, scrubbed)
        return
    yield from one_ahead(
        batches,
        lambda batch: _flattened_in_thread(batch, keys, typed, scrubbed),
        name="export-read-ahead",
    )


def _flattened(
    batch: Batch, keys: Sequence[str], typed: AbstractSet[str], scrubbed: Sequence[str]
) -> FlatBatch:
    return flatten([r.response_id for r in batch], keys, typed, scrubbed)


def _flattened_in_thread(
    batch: Batch, keys: Sequence[str], typed: AbstractSet[str], scrubbed: Sequence[str]
) -> tuple[Batch, FlatBatch]:
    """The batch and its answers, read in the second thread (config/one_ahead.py closes its
    connection)."""
    return batch, _flattened(batch, keys, typed, scrubbed)
