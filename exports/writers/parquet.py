"""Parquet through pyarrow, one row group per chunk (memory holds one chunk).

Typed columns: integer codes and counts as the smallest integer type their declared codes
fit (int32 for counts), 0/1 flags as booleans, decimals as doubles, dates as dates, choices
whose XLSForm names are not their codes as the names (strings, dictionary-encoded by
Parquet). The missing-value policy: a missing answer is null; with `keep_missing_codes`
it keeps its code (flags then become int8, to hold it). Each field carries its label,
type, value labels, missing codes and choice names as JSON in the field metadata (key
b"panelwave"), and the schema carries the missing-code scheme, so the file describes
itself (docs/methods.md 7.3). Parquet has no length limits on these: nothing is shortened.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from exports.dataset import Dataset, Variable
from exports.writers.base import (
    Progress,
    WriterError,
    WrittenFiles,
    is_missing,
    iso_dates,
    smallest_int,
    stream,
)

EXTENSION = "parquet"
ERROR_NOT_INTEGER = "variable {name!r} is an integer item but holds a value with decimals"
METADATA_KEY = b"panelwave"
ARROW_INTS = {np.dtype(t): a for t, a in ((np.int8, pa.int8()), (np.int16, pa.int16()),
                                          (np.int32, pa.int32()), (np.int64, pa.int64()))}  # fmt: skip


def write_parquet(
    dataset: Dataset, directory: Path, *, basename: str, progress: Progress | None = None
) -> WrittenFiles:
    schema = arrow_schema(dataset)
    path = directory / f"{basename}.{EXTENSION}"
    rows = 0
    keep = dataset.keep_missing_codes
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        for chunk in stream(dataset, progress):
            arrays = [
                arrow_column(v, chunk[v.name], schema.field(v.name).type, keep_codes=keep)
                for v in dataset.variables
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            rows += len(chunk)
    return WrittenFiles(paths=[path], rows=rows)


def arrow_type(variable: Variable, *, keep_codes: bool) -> pa.DataType:
    if variable.kind == "string":
        return pa.date32() if variable.type == "date" else pa.string()
    if variable.choice_names:
        return pa.string()
    if variable.type == "boolean" and not keep_codes:
        return pa.bool_()
    if variable.type in ("integer", "boolean"):
        codes = [*variable.value_labels, *(variable.missing_codes if keep_codes else ())]
        if variable.value_labels:
            return ARROW_INTS[smallest_int(codes)]
        return pa.int32()
    return pa.float64()


def arrow_column(
    variable: Variable, column: pd.Series, kind: pa.DataType, *, keep_codes: bool
) -> pa.Array:
    if variable.kind == "string":
        if variable.type == "date":
            return pa.array(iso_dates(column.tolist()), type=kind)
        return pa.array(column.fillna("").astype(str).tolist(), type=kind)
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(values) if keep_codes else is_missing(variable, values)
    if variable.choice_names:
        names = {float(c): n for c, n in variable.choice_names.items()}
        texts = [
            None if m else names.get(v, f"{v:g}") for v, m in zip(values, missing, strict=True)
        ]
        return pa.array(texts, type=kind)
    if pa.types.is_boolean(kind):
        return pa.array(values == 1, mask=missing, type=kind)
    if pa.types.is_integer(kind):
        whole = np.where(missing, 0, values)
        if not (whole == np.round(whole)).all():
            raise WriterError(ERROR_NOT_INTEGER.format(name=variable.name))
        return pa.array(whole.astype(np.int64), mask=missing, type=kind)
    return pa.array(values, mask=missing, type=kind)


def arrow_schema(dataset: Dataset) -> pa.Schema:
    fields = [
        pa.field(
            v.name,
            arrow_type(v, keep_codes=dataset.keep_missing_codes),
            nullable=True,
            metadata={METADATA_KEY: json.dumps(field_metadata(v), ensure_ascii=False)},
        )
        for v in dataset.variables
    ]
    scheme = {str(code): label for code, label in dataset.missing_scheme.items()}
    about = {
        "title": dataset.title,
        "rows": dataset.rows,
        "language": dataset.language,
        "missing_scheme": scheme,
        "missing_values": "codes" if dataset.keep_missing_codes else "null",
    }
    return pa.schema(fields, metadata={METADATA_KEY: json.dumps(about, ensure_ascii=False)})


def field_metadata(variable: Variable) -> dict[str, object]:
    return {
        "label": variable.label,
        "type": variable.type,
        "measure": variable.measure,
        "value_labels": {str(c): label for c, label in variable.value_labels.items()},
        "missing_codes": {str(c): label for c, label in variable.missing_codes.items()},
        "choice_names": {str(c): name for c, name in variable.choice_names.items()},
    }
