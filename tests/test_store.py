"""The database: migrations match the models, and cells keep what was printed."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from nianbao.store import Store
from nianbao.store.models import Base, ReportValue
from sqlalchemy import select, text

from nianbao import parsers

from .conftest import seed_cases


# report_totals' unique index is on expressions (NULLs spelt out), which Alembic cannot reflect
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrations_create_exactly_the_models(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}", upgrade=True)
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    store.close()


def test_report_round_trip_keeps_blank_apart_from_zero(tmp_path):
    case = next(c for c in seed_cases() if c.id == "003")
    text = case.path.read_text(encoding="utf-8").replace("\t1309\n", "\t\n", 1)
    report = parsers.parse_document(text.encode(), name="003.txt")
    with Store(f"sqlite:///{tmp_path / 'db.sqlite'}", upgrade=True) as store:
        report_id = store.add_report(report, url="file:003.txt", fetch_id=None, portal_id=None,
                                     parser_version=parsers.PARSER_VERSION)
        rows = {v.key: v for v in store.session.scalars(
            select(ReportValue).where(ReportValue.report_id == report_id))}
        (exported,) = list(store.reports())
    assert rows["active.licensing.decisions"].status == "blank"
    assert rows["active.licensing.decisions"].value is None
    assert rows["active.rules.issued"].status == "number" and rows["active.rules.issued"].raw == "0"
    assert exported["values"]["active.licensing.decisions"] is None
    assert exported["values"]["active.penalty.decisions"] == 21
    assert isinstance(exported["values"]["active.penalty.decisions"], int)


def test_a_failed_write_leaves_the_database_writable(tmp_path):
    """A report that cannot be stored (here: it cites a fetch row that does not exist) is
    rolled back, so the next fetch row and error row go in at once."""
    import time
    from datetime import datetime

    import pytest
    from sqlalchemy.exc import IntegrityError

    case = seed_cases()[0]
    report = parsers.parse_document(case.path.read_bytes(), name=case.path.name)
    with Store(f"sqlite:///{tmp_path / 'db.sqlite'}", upgrade=True) as store:
        with pytest.raises(IntegrityError):
            store.add_report(report, url="http://127.0.0.1/r.html", fetch_id=999,
                             portal_id=None, parser_version="test")
        started = time.monotonic()
        fetch_id = store.add_fetch(
            crawl_run_id=None, portal_id=None, url="http://127.0.0.1/r.html", method="GET",
            status=200, content_type="text/html", payload_digest="sha1:X", warc_file="f",
            warc_offset=0, warc_length=1, warc_record_id="<urn:uuid:after>",
            request_record_id=None, fetched_at=datetime(2026, 1, 1), record_type="response",
            refers_to_record_id=None)
        store.add_error(None, "http://127.0.0.1/r.html", "parse", "after a failed write")
        assert time.monotonic() - started < 2  # no wait on a lock left behind
        assert store.add_report(report, url="http://127.0.0.1/r.html", fetch_id=fetch_id,
                                portal_id=None, parser_version="test") > 0


def test_a_batch_of_versions_gets_its_ids_in_order(tmp_path):
    """add_reports returns each version's id at its place: its cells and row are its own."""
    cases = seed_cases()
    reports = [parsers.parse_document(c.path.read_bytes(), name=c.path.name) for c in cases]
    versions = [{"report": r, "url": f"file:{i}", "fetch_id": None, "portal_id": None,
                 "parser_version": "1"} for i, r in enumerate(reports * 3)]
    with Store(f"sqlite:///{tmp_path / 'db.sqlite'}", upgrade=True) as store:
        store.add_report(reports[0], url="file:first", fetch_id=None, portal_id=None,
                         parser_version="1")
        ids = store.add_reports(versions)
        assert len(set(ids)) == len(versions)
        for report_id, version in zip(ids, versions, strict=True):
            row = store.session.execute(text(
                "SELECT url, agency FROM report WHERE id = :i"), {"i": report_id}).one()
            assert (row.url, row.agency) == (version["url"], version["report"].agency)
            received = store.session.scalar(text(
                "SELECT value FROM report_value WHERE report_id = :i AND key = :k"),
                {"i": report_id, "k": "applications.received.total"})
            assert received == version["report"].cells["applications.received.total"].value
