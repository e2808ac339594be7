"""Parquet through pyarrow, one row group per chunk (memory holds one chunk).

Codes, not labels, as in CSV; each field carries its label, measure, value labels and
missing codes as JSON in the field metadata (key b"panelwave"), and the schema carries the
missing-code scheme, so the file describes itself (docs/methods.md 7.3). Parquet has no length
limits on these, so nothing is shortened.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from exports.dataset import Dataset, Variable
from exports.writers.base import Progress, WrittenFiles, stream

EXTENSION = "parquet"
METADATA_KEY = b"panelwave"


def write_parquet(
    dataset: Dataset, directory: Path, *, basename: str, progress: Progress | None = None
) -> WrittenFiles:
    schema = arrow_schema(dataset)
    path = directory / f"{basename}.{EXTENSION}"
    rows = 0
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        for chunk in stream(dataset, progress):
            frame = chunk.copy()
            for variable in dataset.variables:
                if variable.kind == "string":
                    frame[variable.name] = frame[variable.name].fillna("").astype(str)
            table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
            writer.write_table(table)
            rows += len(chunk)
    return WrittenFiles(paths=[path], rows=rows)


def arrow_schema(dataset: Dataset) -> pa.Schema:
    fields = [
        pa.field(
            v.name,
            pa.string() if v.kind == "string" else pa.float64(),
            nullable=True,
            metadata={METADATA_KEY: json.dumps(field_metadata(v), ensure_ascii=False)},
        )
        for v in dataset.variables
    ]
    scheme = {str(code): label for code, label in dataset.missing_scheme.items()}
    about = {"title": dataset.title, "rows": dataset.rows, "missing_scheme": scheme}
    return pa.schema(fields, metadata={METADATA_KEY: json.dumps(about, ensure_ascii=False)})


def field_metadata(variable: Variable) -> dict[str, object]:
    return {
        "label": variable.label,
        "measure": variable.measure,
        "value_labels": {str(c): label for c, label in variable.value_labels.items()},
        "missing_codes": {str(c): label for c, label in variable.missing_codes.items()},
    }
