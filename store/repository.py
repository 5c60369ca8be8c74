"""Reading and writing the database in the terms the rest of nianbao speaks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from nianbao import parsers

from . import bulk, current, models
from .db import check_current, make_engine
from .db import upgrade as upgrade_schema

# Built once: SQLAlchemy then compiles it once and reuses it for every row.
_INSERT_FETCH = insert(models.Fetch.__table__)
_VALUE_COLUMNS = ("report_id", "key", "value", "raw", "status")


def values_digest(cells: Iterable[tuple[str, float | None]]) -> str:
    """A digest of a report's numbers: (key, value) pairs, blanks left out. Copies of one
    report whose digests differ disagree on some value. (0003_ingest holds a frozen copy of
    this rule for the rows it fills in.)"""
    numbers = sorted((k, float(v)) for k, v in cells if v is not None)
    return hashlib.sha1("".join(f"{k}={v!r}\n" for k, v in numbers).encode()).hexdigest()


class Store:
    """One database. Writes commit at once, or at the end of a ``batch()``.

    Opening a store never changes the schema: ``upgrade=True`` (what the commands that write
    pass) brings it to the newest migration first; ``check=True`` (the commands that only
    read) raises ``SchemaError`` unless it is there already.
    """

    def __init__(self, url: str, *, upgrade: bool = False, check: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url)
        if upgrade:
            upgrade_schema(self.engine)
        elif check:
            check_current(self.engine)
        self.session = Session(self.engine, expire_on_commit=False)
        self._autocommit: Connection | None = None
        self._depth = 0

    @contextmanager
    def batch(self) -> Iterator[None]:
        """The writes inside in one transaction: committed at the end, or rolled back and
        re-raised (a failed write must not leave the transaction, and SQLite's write lock,
        open for the next one). Batches nest; the outermost commits."""
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.session.rollback()
            raise
        self._depth -= 1
        if self._depth == 0:
            self.session.commit()

    _writing = batch

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

    def portal_named(self, name: str | None) -> int | None:
        """The id of a portal known by name only (a WARC record's metadata), made if new."""
        if not name:
            return None
        found = self.session.scalar(select(models.Portal.id).where(models.Portal.name == name))
        if found is not None:
            return found
        with self._writing():
            portal = models.Portal(name=name, start_urls=[], allowed_hosts=[])
            self.session.add(portal)
            self.session.flush()
        return portal.id

    def add_fetch(self, **fields) -> int:
        if self._depth:
            # inside a batch: in its transaction (a second connection would wait on the
            # batch's write lock)
            return self.session.execute(_INSERT_FETCH, fields).inserted_primary_key[0]
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

    def fetch_row(self, warc_record_id: str) -> models.Fetch | None:
        return self.session.scalar(
            select(models.Fetch).where(models.Fetch.warc_record_id == warc_record_id))

    def fetches_for_records(self, record_ids: Iterable[str]) -> dict[str, int]:
        """{WARC-Record-ID: fetch id} for the records that have a fetch row."""
        ids = [r for r in record_ids if r]
        out: dict[str, int] = {}
        for start in range(0, len(ids), 500):
            out.update(self.session.execute(
                select(models.Fetch.warc_record_id, models.Fetch.id)
                .where(models.Fetch.warc_record_id.in_(ids[start:start + 500]))).all())
        return out

    def add_error(self, run_id: int | None, url: str | None, stage: str, message: str, *,
                  once: bool = False) -> None:
        """An error row; ``once``: not if the same error is already recorded for the URL
        (a reparse that meets the same broken document again adds nothing)."""
        message = message[:4000]
        with self._writing():
            if once and self.session.scalar(select(models.Error.id).where(
                    models.Error.url == url, models.Error.stage == stage,
                    models.Error.message == message).limit(1)) is not None:
                return
            self.session.add(models.Error(crawl_run_id=run_id, url=url, stage=stage,
                                          message=message))

    # -- versions ----------------------------------------------------------------------

    def versions_of(self, documents: Iterable[tuple[str, str | None]],
                    parser_version: str) -> dict[tuple[str, str], int]:
        """{(url, payload digest): report id} of the payloads this parser version has
        already read (a payload with no digest is never the same as another)."""
        wanted = {(u, d) for u, d in documents if u and d}
        out: dict[tuple[str, str], int] = {}
        urls = sorted({u for u, _ in wanted})
        for start in range(0, len(urls), 500):
            rows = self.session.execute(
                select(models.Report.url, models.Report.payload_digest,
                       func.max(models.Report.id))
                .where(models.Report.url.in_(urls[start:start + 500]),
                       models.Report.parser_version == parser_version)
                .group_by(models.Report.url, models.Report.payload_digest))
            for url, digest, report_id in rows:
                if (url, digest) in wanted:
                    out[(url, digest)] = report_id
        return out

    def seen_again(self, url: str, payload_digest: str, when: datetime | None) -> None:
        """The payload was fetched again, unchanged: its versions' ``last_seen_at`` moves
        on (never back). No row is added."""
        if when is None:
            return
        with self._writing():
            moved = self.session.execute(
                update(models.Report)
                .where(models.Report.url == url,
                       models.Report.payload_digest == payload_digest,
                       (models.Report.last_seen_at.is_(None))
                       | (models.Report.last_seen_at < when))
                .values(last_seen_at=when)).rowcount
            if moved:
                # the payload seen last is the URL's current version
                current.refresh(self.session.connection(), urls=[url])

    def add_reports(self, versions: list[dict]) -> list[int]:
        """New versions, each a dict of ``add_report``'s arguments, written together: one
        multi-row INSERT per table (executemany), the ids back in order. A version may
        bring its cells as rows (``cells``: (key, value, raw, status) tuples) and its
        ``values_digest`` ready-made (ingest's workers do both)."""
        if not versions:
            return []
        now = models.utcnow()
        # every version of one payload carries the time it was last fetched: the newest
        # of what is stored and what is added
        payloads = {(v["url"], v["payload_digest"]) for v in versions
                    if v.get("url") and v.get("payload_digest")}
        newest: dict[tuple[str, str], datetime] = {}
        for v in versions:
            key = (v.get("url"), v.get("payload_digest"))
            if key in payloads:
                seen = v.get("seen_at") or now
                newest[key] = max(newest.get(key, seen), seen)
        if payloads:
            urls = sorted({u for u, _ in payloads})
            for start in range(0, len(urls), 500):
                for url, digest, seen in self.session.execute(
                        select(models.Report.url, models.Report.payload_digest,
                               func.max(models.Report.last_seen_at))
                        .where(models.Report.url.in_(urls[start:start + 500]))
                        .group_by(models.Report.url, models.Report.payload_digest)):
                    if (url, digest) in newest and seen is not None:
                        newest[(url, digest)] = max(newest[(url, digest)], seen)
        rows = []
        for v in versions:
            report: parsers.Report = v["report"]
            rows.append({
                "fetch_id": v.get("fetch_id"), "portal_id": v.get("portal_id"),
                "url": v.get("url"), "title": report.title, "agency": report.agency,
                "province": report.province, "city": report.city,
                "district": report.district, "division_code": report.division_code,
                "year": report.year, "published": report.published, "format": report.format,
                "status": report.status, "document_type": report.document_type,
                "encoding": report.encoding, "encoding_source": report.encoding_source,
                "parser_version": v["parser_version"], "notes": report.notes,
                "created_at": now, "payload_digest": v.get("payload_digest"),
                "last_seen_at": newest.get((v.get("url"), v.get("payload_digest")),
                                           v.get("seen_at") or now),
                "values_digest": v.get("values_digest") or values_digest(
                    (k, c.value) for k, c in report.cells.items()),
            })
        table = models.Report.__table__
        with self._writing():
            connection = self.session.connection()
            ids = _insert_ids(connection, table, rows)
            cells = [(i, *cell) for i, v in zip(ids, versions, strict=True)
                     for cell in (v.get("cells") or [
                         (k, c.value, c.raw, c.status)
                         for k, c in v["report"].cells.items()])]
            bulk.insert_rows(connection, "report_value", _VALUE_COLUMNS, cells)
            failures = [{"report_id": i, "identity": f.identity, "key": f.key,
                         "keys": list(f.keys), "lhs": f.lhs, "rhs": f.rhs}
                        for i, v in zip(ids, versions, strict=True)
                        for f in v["report"].checks_failed]
            if failures:
                connection.execute(insert(models.CheckFailure.__table__), failures)
            moved = [{"u": u, "d": d, "t": t} for (u, d), t in newest.items()]
            if moved:
                connection.execute(
                    update(table).where(table.c.url == bindparam("u"),
                                        table.c.payload_digest == bindparam("d"),
                                        table.c.last_seen_at < bindparam("t"))
                    .values(last_seen_at=bindparam("t")), moved)
            current.refresh(connection, urls=[v.get("url") for v in versions], ids=ids,
                            cells={i: v["cells"] for i, v in zip(ids, versions, strict=True)
                                   if v.get("cells") is not None})
        return ids

    def add_fetches(self, rows: list[dict]) -> list[int]:
        """Fetch rows (``add_fetch``'s fields) in one multi-row INSERT, in the batch's
        transaction; their ids back in order."""
        if not rows:
            return []
        table = models.Fetch.__table__
        with self._writing():
            return _insert_ids(self.session.connection(), table, rows)

    def add_report(self, report: parsers.Report, *, url: str | None, fetch_id: int | None,
                   portal_id: int | None, parser_version: str,
                   payload_digest: str | None = None,
                   seen_at: datetime | None = None) -> int:
        """A new version: the report as ``parser_version`` read it from a payload."""
        return self.add_reports([{
            "report": report, "url": url, "fetch_id": fetch_id, "portal_id": portal_id,
            "parser_version": parser_version, "payload_digest": payload_digest,
            "seen_at": seen_at}])[0]

    # -- reading -----------------------------------------------------------------------

    def reports(self, *, all_copies: bool = False, batch: int = 500) -> Iterator[dict]:
        """Every report once (``report_current``: the copy ``latest_report`` picks), or
        every copy of each (``report_copy``), in the export format of interfaces.md,
        streamed ``batch`` reports at a time."""
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # PostgreSQL estimates one row out of each view's rank filter and joins
                # them by nested loop: quadratic (over 8 minutes at 50,000 reports, 1.6 s
                # by merge join; bench/scale.py --store)
                connection.exec_driver_sql("SET LOCAL enable_nestloop = off")
            connection = connection.execution_options(stream_results=True,
                                                      yield_per=batch)
            rows = connection.execute(text(
                "SELECT l.report_id, l.identity, l.copies, l.copies_disagree, "
                "c.report_id AS copy_id, c.url AS copy_url FROM report_current l "
                "JOIN report_copy c ON c.identity = l.identity "
                "ORDER BY l.identity, c.url, c.report_id"))
            group: list = []
            pending: list[list] = []
            for row in rows:
                if group and group[0].identity != row.identity:
                    pending.append(group)
                    group = []
                    if len(pending) >= batch:
                        yield from self._export_batch(pending, all_copies)
                        pending = []
                group.append(row)
            if group:
                pending.append(group)
            if pending:
                yield from self._export_batch(pending, all_copies)

    def _export_batch(self, groups: list[list], all_copies: bool) -> list[dict]:
        ids = {r.copy_id for g in groups for r in g} if all_copies else {
            g[0].report_id for g in groups}
        # a session of its own, closed with the batch: the rows read here are not kept
        with Session(self.engine) as session:
            return self._export_rows(session, groups, ids, all_copies)

    def _export_rows(self, session: Session, groups: list[list], ids: set[int],
                     all_copies: bool) -> list[dict]:
        rows = {report.id: (report, fetch) for report, fetch in session.execute(
            select(models.Report, models.Fetch)
            .outerjoin(models.Fetch, models.Report.fetch_id == models.Fetch.id)
            .where(models.Report.id.in_(ids)))}
        values: dict[int, dict] = {i: {} for i in ids}
        for report_id, key, value in session.execute(
                select(models.ReportValue.report_id, models.ReportValue.key,
                       models.ReportValue.value).where(models.ReportValue.report_id.in_(ids))):
            values[report_id][key] = parsers.report.number(key, value)
        checks: dict[int, list] = {i: [] for i in ids}
        for c in session.scalars(select(models.CheckFailure)
                                      .where(models.CheckFailure.report_id.in_(ids))
                                      .order_by(models.CheckFailure.id)):
            checks[c.report_id].append({"identity": c.identity, "key": c.key, "keys": c.keys,
                                        "lhs": _num(c.lhs), "rhs": _num(c.rhs)})
        out: list[dict] = []
        for group in groups:
            chosen = group[0].report_id
            copies = {"count": group[0].copies,
                      "urls": sorted({r.copy_url for r in group if r.copy_url})}
            wanted = [r.copy_id for r in group] if all_copies else [chosen]
            for report_id in wanted:
                report, fetch = rows[report_id]
                row = report_json(report, fetch, values[report_id], checks[report_id])
                row["copies"] = copies
                row["copies_disagree"] = bool(group[0].copies_disagree)
                if all_copies:
                    row["chosen"] = report_id == chosen
                out.append(row)
        return out

    def counts(self) -> dict[str, int]:
        def count(model: type) -> int:
            return self.session.scalar(select(func.count()).select_from(model)) or 0
        return {"fetches": count(models.Fetch), "reports": count(models.Report),
                "values": count(models.ReportValue),
                "errors": count(models.Error), "checks_failed": count(models.CheckFailure)}


def _insert_ids(connection: Connection, table: Table, rows: list[dict]) -> list[int]:
    """Insert ``rows`` and return their new ids in the rows' order. SQLAlchemy can only
    promise that order on SQLite by sending one INSERT per row (two per report at ingest);
    SQLite numbers the rows of a multi-row INSERT in the order given (each a new rowid
    above the largest, under the write lock this transaction holds), so the returned ids,
    sorted, are in the rows' order."""
    if connection.dialect.name == "sqlite":
        ids = sorted(row[0] for row in connection.execute(
            insert(table).returning(table.c.id), rows))
    else:
        ids = [row[0] for row in connection.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)]
    if len(ids) != len(rows):
        raise RuntimeError(f"{len(rows)} rows inserted into {table.name}, {len(ids)} ids back")
    return ids


def report_json(row: models.Report, fetch: models.Fetch | None, values: dict,
                checks_failed: list[dict]) -> dict:
    """A stored report in the export format of interfaces.md."""
    out = {
        "agency": row.agency, "province": row.province, "city": row.city,
        "district": row.district, "division_code": row.division_code, "year": row.year,
        "format": row.format, "title": row.title, "url": row.url, "published": row.published,
        "values": values, "checks_failed": checks_failed,
        "status": row.status, "parser_version": row.parser_version,
    }
    if fetch is not None:
        out["source"] = {
            "warc_file": fetch.warc_file, "warc_offset": fetch.warc_offset,
            "warc_record_id": fetch.warc_record_id,
            "fetched_at": iso_utc(fetch.fetched_at),
        }
    return out


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
