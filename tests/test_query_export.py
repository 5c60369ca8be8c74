"""`nianbao export --format parquet`: one typed wide row per report, as the CSV."""

from __future__ import annotations

import pytest
from nianbao.parsers.schema import load_schema

from nianbao.cli import main

from .test_query import copy_db, expected_reports


def test_parquet_export_has_one_wide_row_per_report(demo_crawl, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    copy_db(demo_crawl.data_dir / "nianbao.sqlite", tmp_path)
    out = tmp_path / "reports.parquet"
    assert main(["export", "--data-dir", str(tmp_path), "--format", "parquet",
                 "--out", str(out)]) == 0
    table = pq.read_table(out)
    assert str(table.schema.field("year").type) == "int64"
    # counts are nullable integers, amounts doubles (issue 18; nianbao/typed_export.py)
    assert str(table.schema.field("applications.received.total").type) == "int64"
    assert str(table.schema.field("active.fees.amount").type) == "double"
    rows = {r["agency"]: r for r in table.to_pylist()}
    assert len(rows) == len(expected_reports())
    keys = set(load_schema().keys)
    for e in expected_reports():
        row = rows[e["agency"]]
        assert (row["year"], row["province"], row["format"]) == (e["year"], e["province"],
                                                                 e["format"])
        for key, value in e["values"].items():
            assert row[key] == value, key
        for key in keys - set(e["values"]):
            assert row[key] is None  # keys of the other format
        assert set(filter(None, row["checks_failed"].split(";"))) == set(
            e["expected_violations"])


def test_parquet_needs_a_file(demo_crawl, tmp_path, capsys):
    copy_db(demo_crawl.data_dir / "nianbao.sqlite", tmp_path)
    assert main(["export", "--data-dir", str(tmp_path), "--format", "parquet"]) == 2
    assert "--out" in capsys.readouterr().err
