"""CSV, UTF-8, codes not labels (docs/methods.md 7.3): the labels are in the codebook.

Streamed chunk by chunk, so memory holds one chunk whatever the study's size. Missing
answers keep their negative internal codes (docs/methods.md 7.6), declared in datapackage.json.
"""

from __future__ import annotations

from pathlib import Path

from exports.dataset import Dataset
from exports.writers.base import Progress, WrittenFiles, stream

EXTENSION = "csv"
# Integral codes print as 1, not 1.0; measures keep up to 15 significant digits.
FLOAT_FORMAT = "%.15g"


def write_csv(
    dataset: Dataset, directory: Path, *, basename: str, progress: Progress | None = None
) -> WrittenFiles:
    path = directory / f"{basename}.{EXTENSION}"
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(v.name for v in dataset.variables) + "\n")
        for chunk in stream(dataset, progress):
            chunk.to_csv(out, header=False, index=False, float_format=FLOAT_FORMAT)
            rows += len(chunk)
    return WrittenFiles(paths=[path], rows=rows)
