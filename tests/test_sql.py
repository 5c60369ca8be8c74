"""`nianbao sql`: queries run, writes fail with exit 2 and change nothing."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

import pytest

from nianbao.cli import main

from .conftest import run_nianbao
from .test_query import copy_db, expected_reports


@pytest.fixture(scope="module")
def data_dir(demo_crawl, tmp_path_factory):
    directory = tmp_path_factory.mktemp("sql-data")
    copy_db(demo_crawl.data_dir / "nianbao.sqlite", directory)
    return directory


def _digest(data_dir) -> str:
    return hashlib.sha256((data_dir / "nianbao.sqlite").read_bytes()).hexdigest()


def test_select_on_a_view(data_dir):
    out = run_nianbao("sql", "--data-dir", str(data_dir), "--format", "json",
                      'SELECT province, SUM("applications.received.total") AS received '
                      "FROM report_wide GROUP BY province")
    assert out.returncode == 0, out.stderr
    want: dict = defaultdict(int)
    for e in expected_reports():
        want[e["province"]] += e["values"]["applications.received.total"]
    assert {r["province"]: r["received"] for r in json.loads(out.stdout)} == dict(want)


@pytest.mark.parametrize("statement", [
    "UPDATE report_value SET value = 0",
    "DROP VIEW report_wide",
    "CREATE TABLE x (a INTEGER)",
    "PRAGMA journal_mode = DELETE",
])
def test_writes_fail_clearly_and_change_nothing(data_dir, statement, capsys):
    before = _digest(data_dir)
    assert main(["sql", "--data-dir", str(data_dir), statement]) == 2
    err = capsys.readouterr().err
    assert "read-only" in err and "nothing was changed" in err
    assert _digest(data_dir) == before


def _count(data_dir) -> int:
    out = run_nianbao("sql", "--data-dir", str(data_dir), "--format", "json",
                      "SELECT COUNT(*) AS n FROM report")
    return json.loads(out.stdout)[0]["n"]


def test_delete_from_the_command_line_exits_2_and_deletes_nothing(data_dir):
    before, reports = _digest(data_dir), _count(data_dir)
    assert reports >= len(expected_reports())
    out = run_nianbao("sql", "--data-dir", str(data_dir), "DELETE FROM report")
    assert out.returncode == 2
    assert out.stderr.strip() == ("nianbao: error: nianbao sql is read-only: only queries "
                                  "(SELECT) run, and nothing was changed")
    assert _digest(data_dir) == before
    assert _count(data_dir) == reports


def test_bad_sql_is_bad_usage(data_dir, capsys):
    assert main(["sql", "--data-dir", str(data_dir), "SELEC 1"]) == 2
    assert "syntax error" in capsys.readouterr().err
