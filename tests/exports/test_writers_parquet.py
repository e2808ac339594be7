from __future__ import annotations

import json

import pyarrow.parquet as pq

from exports.writers.parquet import METADATA_KEY, write_parquet
from tests.exports.handmade import LONG_LABEL, LONG_NAME, TRUST_LABEL, as_frame, make_dataset


def test_write_parquet_writes_one_row_group_per_chunk_with_the_data(tmp_path):
    written = write_parquet(make_dataset(chunk_size=2), tmp_path, basename="data")

    parquet = pq.ParquetFile(written.paths[0])
    table = parquet.read()

    assert parquet.metadata.num_row_groups == 3
    assert table.num_rows == 5
    # codes are integers; a missing answer is null (its reason: the .sav/.dta/.rds)
    assert str(table.schema.field("trust").type) == "int8"
    assert table.column("trust").to_pylist() == [1, 2, None, None, 1]
    assert table.column("comment").to_pylist() == as_frame()["comment"].tolist()


def test_write_parquet_keeps_labels_and_missing_codes_whole_in_field_metadata(tmp_path):
    write_parquet(make_dataset(), tmp_path, basename="data")

    schema = pq.read_schema(tmp_path / "data.parquet")

    trust = json.loads(schema.field("trust").metadata[METADATA_KEY])
    long = json.loads(schema.field(LONG_NAME).metadata[METADATA_KEY])
    about = json.loads(schema.metadata[METADATA_KEY])
    assert trust["label"] == TRUST_LABEL
    assert trust["value_labels"] == {"1": "Можно доверять", "2": "Нужно быть осторожным"}
    assert trust["missing_codes"]["-4"] == "Not asked in this wave or version"
    assert long["label"] == LONG_LABEL
    assert about["missing_scheme"]["-6"] == "Removed by disclosure control"
    assert about["rows"] == 5
