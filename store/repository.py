"""Reading and writing the database in the terms the rest of nianbao speaks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.orm import Session, selectinload

import parsers

from . import models
from .db import make_engine, upgrade

# Built once: SQLAlchemy then compiles it once and reuses it for every row.
_INSERT_FETCH = insert(models.Fetch.__table__)


class Store:
    """One database. Every write commits at once, so a killed crawl keeps what it had."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        upgrade(self.engine)
        self.session = Session(self.engine, expire_on_commit=False)
        self._autocommit: Connection | None = None

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """The session's writes inside, committed at the end, or rolled back and re-raised:
        a failed write must not leave the session's transaction (and SQLite's write lock,
        which the fetch rows' connection would wait on) open for the next one."""
        try:
            yield
            self.session.commit()
        except Exception:
            self.session.rollback()
            raise

    def close(self) -> None:
        if self._autocommit is not None:
            self._autocommit.close()
        self.session.close()
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- crawl bookkeeping -------------------------------------------------------------

    def start_run(self, command: str) -> int:
        run = models.CrawlRun(command=command)
        with self._writing():
            self.session.add(run)
        return run.id

    def finish_run(self, run_id: int, status: str, **counts: int) -> None:
        with self._writing():
            run = self.session.get(models.CrawlRun, run_id)
            run.status, run.finished_at = status, models.utcnow()
            for name, value in counts.items():
                setattr(run, name, value)

    def portal_id(self, name: str, start_urls: list[str], allowed_hosts: list[str],
                  agency: str | None = None) -> int:
        # One statement, so two workers naming a new portal at once both get its id.
        table = models.Portal.__table__
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        values = {"start_urls": start_urls, "allowed_hosts": allowed_hosts, "agency": agency}
        statement = upsert(table).values(name=name, **values)
        statement = statement.on_conflict_do_update(index_elements=[table.c.name],
                                                    set_=values).returning(table.c.id)
        with self._writing():
            portal_id = self.session.execute(statement).scalar_one()
        return portal_id

    def add_fetch(self, **fields) -> int:
        # One row per archived record, on the crawl's hot path: a plain INSERT on a
        # connection of its own in autocommit mode, so each row is committed as it is
        # written (a killed crawl keeps it) without the ORM's unit of work or a BEGIN and
        # COMMIT around it (measured: 90 µs a row against 200 µs through the session). The
        # session's own writes commit at once too, so the two never wait on each other.
        if self._autocommit is None:
            self._autocommit = self.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT")
        result = self._autocommit.execute(_INSERT_FETCH, fields)
        return result.inserted_primary_key[0]

    def fetch_for_record(self, warc_record_id: str) -> models.Fetch | None:
        return self.session.scalar(
            select(models.Fetch).where(models.Fetch.warc_record_id == warc_record_id))

    def add_error(self, run_id: int | None, url: str | None, stage: str, message: str) -> None:
        with self._writing():
            self.session.add(models.Error(crawl_run_id=run_id, url=url, stage=stage,
                                          message=message[:4000]))

    def add_report(self, report: parsers.Report, *, url: str | None, fetch_id: int | None,
                   portal_id: int | None, parser_version: str) -> int:
        row = models.Report(
            fetch_id=fetch_id, portal_id=portal_id, url=url, title=report.title,
            agency=report.agency, province=report.province, city=report.city,
            district=report.district, division_code=report.division_code, year=report.year,
            published=report.published, format=report.format, status=report.status,
            document_type=report.document_type, encoding=report.encoding,
            encoding_source=report.encoding_source, parser_version=parser_version,
            notes=report.notes,
        )
        # The cells and failed checks go in as two bulk INSERTs rather than through the
        # unit of work (~200 objects a report): 12 ms a report through the ORM, measured.
        with self._writing():
            self.session.add(row)
            self.session.flush()  # the report's id, which its cells refer to
            if report.cells:
                self.session.execute(insert(models.ReportValue), [
                    {"report_id": row.id, "key": k, "value": c.value, "raw": c.raw,
                     "status": c.status} for k, c in report.cells.items()])
            if report.checks_failed:
                self.session.execute(insert(models.CheckFailure), [
                    {"report_id": row.id, "identity": f.identity, "key": f.key,
                     "keys": list(f.keys), "lhs": f.lhs, "rhs": f.rhs}
                    for f in report.checks_failed])
        return row.id

    # -- reading -----------------------------------------------------------------------

    def newest_reports(self) -> Iterator[models.Report]:
        """The newest parse of each document (by URL), oldest document first."""
        newest = (select(func.max(models.Report.id)).group_by(
            func.coalesce(models.Report.url, models.Report.id.cast(models.String))))
        query = (select(models.Report).where(models.Report.id.in_(newest))
                 .options(selectinload(models.Report.values),
                          selectinload(models.Report.checks_failed),
                          selectinload(models.Report.fetch))
                 .order_by(models.Report.id))
        yield from self.session.scalars(query)

    def counts(self) -> dict[str, int]:
        def count(model: type) -> int:
            return self.session.scalar(select(func.count()).select_from(model)) or 0
        return {"fetches": count(models.Fetch), "reports": count(models.Report),
                "errors": count(models.Error), "checks_failed": count(models.CheckFailure)}


def report_json(row: models.Report) -> dict:
    """A stored report in the export format of interfaces.md."""
    values = {v.key: parsers.report.number(v.key, v.value) for v in row.values}
    out = {
        "agency": row.agency, "province": row.province, "city": row.city,
        "district": row.district, "division_code": row.division_code, "year": row.year,
        "format": row.format, "title": row.title, "url": row.url, "published": row.published,
        "values": values,
        "checks_failed": [{"identity": c.identity, "key": c.key, "keys": c.keys,
                           "lhs": _num(c.lhs), "rhs": _num(c.rhs)} for c in row.checks_failed],
        "status": row.status, "parser_version": row.parser_version,
    }
    if row.fetch is not None:
        out["source"] = {
            "warc_file": row.fetch.warc_file, "warc_offset": row.fetch.warc_offset,
            "warc_record_id": row.fetch.warc_record_id,
            "fetched_at": row.fetch.fetched_at.replace(tzinfo=UTC).isoformat().replace(
                "+00:00", "Z"),
        }
    return out


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
