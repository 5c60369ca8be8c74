"""The database: migrations match the models, and cells keep what was printed."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

import parsers
from store import Store, report_json
from store.models import Base, ReportValue

from .conftest import seed_cases


def test_migrations_create_exactly_the_models(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    store.close()


def test_report_round_trip_keeps_blank_apart_from_zero(tmp_path):
    case = next(c for c in seed_cases() if c.id == "003")
    text = case.path.read_text(encoding="utf-8").replace("\t1309\n", "\t\n", 1)
    report = parsers.parse_document(text.encode(), name="003.txt")
    with Store(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        report_id = store.add_report(report, url="file:003.txt", fetch_id=None, portal_id=None,
                                     parser_version=parsers.PARSER_VERSION)
        rows = {v.key: v for v in store.session.scalars(
            select(ReportValue).where(ReportValue.report_id == report_id))}
        (exported,) = [report_json(r) for r in store.newest_reports()]
    assert rows["active.licensing.decisions"].status == "blank"
    assert rows["active.licensing.decisions"].value is None
    assert rows["active.rules.issued"].status == "number" and rows["active.rules.issued"].raw == "0"
    assert exported["values"]["active.licensing.decisions"] is None
    assert exported["values"]["active.penalty.decisions"] == 21
    assert isinstance(exported["values"]["active.penalty.decisions"], int)
