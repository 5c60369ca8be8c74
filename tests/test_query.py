"""`nianbao query` and the derived views, on the demo crawl, against values computed here
from the seed expectations (nianbao/demo/seeds/expected/*.json), never from the database."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest
from nianbao.parsers.schema import load_schema
from nianbao.store import Store
from sqlalchemy import text

from nianbao import parsers
from nianbao.cli import main

from .conftest import seed_cases


def expected_reports() -> list[dict]:
    return [case.expected for case in seed_cases()]


def copy_db(source: Path, target_dir: Path) -> Path:
    """A private copy of a SQLite database (the backup API copies a WAL database whole)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / "nianbao.sqlite"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


@pytest.fixture(scope="module")
def data_dir(demo_crawl, tmp_path_factory) -> Path:
    # The expectations below are the seeds: the demo must publish each of them (some on
    # several portals; the views count a report once per agency and year).
    assert {r.seed_id for r in demo_crawl.reports} == {c.id for c in seed_cases()}
    directory = tmp_path_factory.mktemp("query-data")
    copy_db(demo_crawl.data_dir / "nianbao.sqlite", directory)
    return directory


def query_json(capsys, data_dir: Path, *args: str) -> list[dict]:
    capsys.readouterr()
    assert main(["query", "--data-dir", str(data_dir), "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def _v(expected: dict, key: str) -> float:
    return expected["values"].get(key) or 0


def test_group_by_province_sums_received(capsys, data_dir):
    want: dict = defaultdict(int)
    for e in expected_reports():
        want[e["province"]] += _v(e, "applications.received.total")
    rows = query_json(capsys, data_dir, "--key", "applications.received.total",
                      "--group-by", "province")
    assert {r["province"]: r["applications.received.total"] for r in rows} == dict(want)
    assert set(rows[0]) == {"province", "applications.received.total"}


def test_one_row_per_report_with_key_pattern_and_code_prefix(capsys, data_dir):
    pattern_keys = [k for k in load_schema().keys
                    if k.startswith("appeals.review.")]
    want = {(e["agency"], e["year"]): {k: e["values"].get(k) for k in pattern_keys}
            for e in expected_reports() if e["division_code"].startswith("12")}
    rows = query_json(capsys, data_dir, "--key", "appeals.review.*", "--region", "12")
    assert len(rows) == len(want) == 2
    for row in rows:
        assert {k: row[k] for k in pattern_keys} == want[(row["agency"], row["year"])]
        assert row["province"] == "天津市" and row["city"] is None


def test_year_range_agency_type_and_avg_count(capsys, data_dir):
    chosen = [e for e in expected_reports() if 2021 <= e["year"] <= 2023]
    by_year: dict = defaultdict(list)
    for e in chosen:
        by_year[e["year"]].append(_v(e, "applications.granted.total"))
    rows = query_json(capsys, data_dir, "--key", "applications.granted.total", "--year",
                      "2021-2023", "--agency", "人社局", "--group-by", "year", "--agg", "avg")
    assert {r["year"]: pytest.approx(r["applications.granted.total"]) for r in rows} == {
        y: sum(v) / len(v) for y, v in by_year.items()}
    rows = query_json(capsys, data_dir, "--key", "applications.granted.total", "--year",
                      "2023", "--group-by", "year", "--agg", "count")
    assert rows == [{"year": 2023, "applications.granted.total": len(by_year[2023])}]


def test_region_name_and_report_format_filters(capsys, data_dir):
    rows = query_json(capsys, data_dir, "--key", "applications.received.total", "--region",
                      "天津", "--report-format", "2021")
    want = [e for e in expected_reports()
            if e["province"] == "天津市" and e["format"] == "2021"]
    assert [(r["agency"], r["applications.received.total"]) for r in rows] == [
        (e["agency"], e["values"]["applications.received.total"]) for e in want]


def test_csv_and_table_output(capsys, data_dir):
    capsys.readouterr()
    assert main(["query", "--data-dir", str(data_dir), "--key", "applications.received.total",
                 "--group-by", "year", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    want: dict = defaultdict(int)
    for e in expected_reports():
        want[str(e["year"])] += _v(e, "applications.received.total")
    assert {r["year"]: int(r["applications.received.total"]) for r in rows} == dict(want)
    assert main(["query", "--data-dir", str(data_dir), "--key", "applications.received.total",
                 "--group-by", "province"]) == 0
    table = capsys.readouterr().out
    assert "天津市" in table and "浙江省" in table


def test_unknown_key_is_bad_usage(capsys, data_dir):
    assert main(["query", "--data-dir", str(data_dir), "--key", "applications.nope.*"]) == 2
    assert "no canonical key matches" in capsys.readouterr().err


def _view(data_dir: Path, sql: str) -> list[dict]:
    with Store(f"sqlite:///{data_dir / 'nianbao.sqlite'}") as store:
        return [dict(r._mapping) for r in store.session.execute(text(sql))]


def test_wide_view_has_a_column_per_schema_key_and_the_values(data_dir):
    rows = _view(data_dir, "SELECT * FROM report_wide")
    assert set(load_schema().keys) <= set(rows[0])
    by_agency = {r["agency"]: r for r in rows}
    for e in expected_reports():
        row = by_agency[e["agency"]]
        for key, value in e["values"].items():
            assert row[key] == value, (e["agency"], key)


def test_rates_view(data_dir):
    rows = {r["agency"]: r for r in _view(data_dir, "SELECT * FROM report_rates")}
    for e in expected_reports():
        row, total = rows[e["agency"]], e["values"]["applications.total.total"]
        granted = _v(e, "applications.granted.total")
        withheld = sum(_v(e, k) for k in e["values"]
                       if k.startswith("applications.withheld.") and k.endswith(".total"))
        if total:
            assert row["granted_share"] == pytest.approx(granted / total)
            assert row["withheld_share"] == pytest.approx(withheld / total)
        else:
            assert row["granted_share"] is None and row["withheld_share"] is None
        decided = e["values"]["appeals.review.total"] - _v(e, "appeals.review.pending")
        if decided:
            assert row["review_correction_rate"] == pytest.approx(
                _v(e, "appeals.review.corrected") / decided)
        else:
            assert row["review_correction_rate"] is None


def test_refusal_reasons_view(data_dir):
    rows = _view(data_dir, "SELECT agency, outcome, reason, applications FROM refusal_reasons")
    got = {(r["agency"], r["outcome"], r["reason"]): r["applications"] for r in rows}
    for e in expected_reports():
        for key, value in e["values"].items():
            parts = key.split(".")
            if parts[1] in ("withheld", "unavailable", "not_processed") and parts[-1] == "total":
                assert got[(e["agency"], parts[1], parts[2])] == (value or 0)


def test_completeness_view_names_the_failed_checks(data_dir):
    rows = {r["agency"]: r for r in _view(data_dir, "SELECT * FROM report_completeness")}
    failed = _view(data_dir, "SELECT l.agency, c.key FROM check_failure c "
                             "JOIN latest_report l ON l.report_id = c.report_id")
    failed_keys: dict = defaultdict(set)
    for f in failed:
        failed_keys[f["agency"]].add(f["key"])
    for e in expected_reports():
        row = rows[e["agency"]]
        assert failed_keys[e["agency"]] == set(e["expected_violations"])
        assert (row["checks_failed"] > 0) == bool(e["expected_violations"])
        assert row["complete"] == (0 if e["expected_violations"] else 1)
        assert row["missing_tables"] == ""


def test_views_count_only_the_newest_parse_and_year_over_year(data_dir, tmp_path):
    """A second parse of one URL replaces the first in every view; a report for the year
    before gives the agency a year-over-year row."""
    db = copy_db(data_dir / "nianbao.sqlite", tmp_path)
    case = next(c for c in seed_cases() if c.expected["agency"].startswith("杭州"))
    text_2023 = case.path.read_text(encoding="utf-8")
    report = parsers.parse_document(text_2023.encode(), name=case.path.name)
    # As published on the portal, so this parse is the copy the views keep.
    report = dataclasses.replace(report, published="2099-01-01")
    earlier = parsers.parse_document(text_2023.replace("2023年", "2022年").encode(),
                                     name=case.path.name)
    assert earlier.year == 2022
    with Store(f"sqlite:///{db}", upgrade=True) as store:
        url = store.session.execute(text(
            "SELECT url FROM latest_report WHERE agency = :a"), {"a": case.expected["agency"]}
        ).scalar_one()
        newest = store.add_report(report, url=url, fetch_id=None, portal_id=None,
                                  parser_version="9.9.9")
        store.add_report(earlier, url="http://example.invalid/2022.html", fetch_id=None,
                         portal_id=None, parser_version="9.9.9")
    rows = _view(tmp_path, "SELECT report_id, year FROM latest_report WHERE agency = "
                           f"'{case.expected['agency']}' ORDER BY year")
    assert [r["year"] for r in rows] == [2022, 2023] and rows[1]["report_id"] == newest
    (yoy,) = _view(tmp_path, "SELECT * FROM agency_yoy")
    received = case.expected["values"]["applications.received.total"]
    assert (yoy["year"], yoy["received"], yoy["received_prev"], yoy["received_change"]) == (
        2023, received, received, 0)
    total = _view(tmp_path, "SELECT COUNT(*) AS n FROM report_wide")[0]["n"]
    assert total == len(seed_cases()) + 1


def test_a_report_published_at_several_urls_counts_once(data_dir):
    """The demo publishes seeds on several portals: each copy is stored, the views keep one."""
    db = sqlite3.connect(data_dir / "nianbao.sqlite")
    urls: dict = defaultdict(set)
    for agency, year, url in db.execute("SELECT agency, year, url FROM report"):
        urls[(agency, year)].add(url)
    db.close()
    rows = _view(data_dir, "SELECT agency, year, copies FROM latest_report")
    assert sorted((r["agency"], r["year"]) for r in rows) == sorted(
        (e["agency"], e["year"]) for e in expected_reports())
    assert {(r["agency"], r["year"]): r["copies"] for r in rows} == {
        k: len(v) for k, v in urls.items()}
