"""The derived views, `nianbao query` and read-only `nianbao sql` on a real PostgreSQL: a
throwaway cluster (Debian's postgresql binaries) on 127.0.0.1, loaded with the seed reports
through the real parser and store."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from nianbao.store import Store, questions
from sqlalchemy import text

from nianbao import parsers
from nianbao.cli import main

from .conftest import seed_cases
from .services import postgres_server
from .test_current import (
    assert_totals_answer_what_the_reports_answer,
    assert_totals_are_the_sums,
    churn,
    step_back_and_forth,
)


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        with Store(url, upgrade=True) as store:
            for case in seed_cases():
                report = parsers.parse_document(case.path.read_bytes(), name=case.path.name)
                store.add_report(report, url=f"file:{case.path.name}", fetch_id=None,
                                 portal_id=None, parser_version=parsers.PARSER_VERSION)
        yield url


def test_views_on_postgresql(pg_url):
    with Store(pg_url, upgrade=True) as store:
        rows = {r.agency: r for r in store.session.execute(text(
            'SELECT w.agency, w."applications.received.total" AS received, r.granted_share '
            "FROM report_wide w JOIN report_rates r ON r.report_id = w.report_id"))}
        completeness = dict(store.session.execute(text(
            "SELECT agency, complete FROM report_completeness")).all())
    for case in seed_cases():
        e = case.expected
        row = rows[e["agency"]]
        assert row.received == e["values"]["applications.received.total"]
        total = e["values"]["applications.total.total"]
        want = (e["values"]["applications.granted.total"] or 0) / total if total else None
        assert row.granted_share == (pytest.approx(want) if want is not None else None)
        assert completeness[e["agency"]] == (0 if e["expected_violations"] else 1)


def test_query_group_by_on_postgresql(pg_url):
    want: dict = defaultdict(int)
    for case in seed_cases():
        want[case.expected["province"]] += case.expected["values"]["applications.received.total"]
    with Store(pg_url) as store, store.engine.connect() as connection:
        _, rows = questions.run(connection, questions.Query(
            keys=["applications.received.total"], group_by=["province"]))
    assert {r["province"]: r["applications.received.total"] for r in rows} == dict(want)


def test_sql_on_postgresql_is_read_only(pg_url, capsys):
    assert main(["sql", "--db", pg_url, "DELETE FROM report_value"]) == 2
    assert "read-only" in capsys.readouterr().err
    assert main(["sql", "--db", pg_url, "--format", "json",
                 "SELECT COUNT(DISTINCT report_id) AS n FROM report_value"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": len(seed_cases())}]


def test_fetch_rows_and_the_reports_that_cite_them_on_postgresql(pg_url):
    """Fetch rows go through an autocommit connection of their own; a report the session
    stores right after cites one, and both are there for a new connection."""
    from datetime import datetime

    case = seed_cases()[0]
    report = parsers.parse_document(case.path.read_bytes(), name=case.path.name)
    with Store(pg_url, upgrade=True) as store:
        fetch_id = store.add_fetch(
            crawl_run_id=None, portal_id=None, url="http://127.0.0.1/pg.html", method="GET",
            status=200, content_type="text/html", payload_digest="sha1:PG",
            warc_file="pg.warc.gz", warc_offset=0, warc_length=1,
            warc_record_id="<urn:uuid:pg-fetch>", request_record_id=None,
            fetched_at=datetime(2026, 1, 1), record_type="response", refers_to_record_id=None)
        assert store.fetch_row("<urn:uuid:pg-fetch>").id == fetch_id
        report_id = store.add_report(report, url="http://127.0.0.1/pg.html", fetch_id=fetch_id,
                                     portal_id=None, parser_version="pg-test")
    with Store(pg_url, upgrade=True) as store:
        assert store.session.execute(text("SELECT fetch_id FROM report WHERE id = :id"),
                                     {"id": report_id}).scalar() == fetch_id


def test_export_and_current_values_on_postgresql(pg_url, capsys):
    """export streams through a server-side cursor (its join by merge, not nested loop),
    and ingest kept report_current on PostgreSQL too: one row per report, as the views."""
    capsys.readouterr()
    assert main(["export", "--db", pg_url]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    want = sorted((c.expected["agency"], c.expected["year"]) for c in seed_cases())
    assert sorted((r["agency"], r["year"]) for r in rows) == want
    assert main(["sql", "--db", pg_url, "--format", "json",
                 "SELECT c.agency, c.year FROM report_current c JOIN latest_report l "
                 "ON l.report_id = c.report_id AND l.identity = c.identity"]) == 0
    assert sorted((r["agency"], r["year"]) for r in json.loads(capsys.readouterr().out)) \
        == want


def test_totals_follow_every_write_on_postgresql():
    """report_totals' trigger in PL/pgSQL keeps the same sums as SQLite's, on its own
    cluster (the writes would change the other tests' answers)."""
    with postgres_server() as url, Store(url, upgrade=True) as store:
        churn(store, rounds=80, seed=11)
        assert_totals_are_the_sums(store)
        with store.engine.connect() as connection:
            assert assert_totals_answer_what_the_reports_answer(connection) > 15
        store.session.commit()
        step_back_and_forth(store)  # the function and its triggers dropped and made again
        churn(store, rounds=20, seed=12)
        assert_totals_are_the_sums(store)
