"""The database: what was crawled, where it is archived, and what was parsed from it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Portal(Base):
    __tablename__ = "portal"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    start_urls: Mapped[list] = mapped_column(JSON)
    allowed_hosts: Mapped[list] = mapped_column(JSON)
    agency: Mapped[str | None] = mapped_column(String(200))


class CrawlRun(Base):
    __tablename__ = "crawl_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    command: Mapped[str] = mapped_column(String(50))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)


class Fetch(Base):
    """One HTTP exchange, and the WARC record that holds its response."""

    __tablename__ = "fetch"

    id: Mapped[int] = mapped_column(primary_key=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id"), index=True)
    portal_id: Mapped[int | None] = mapped_column(ForeignKey("portal.id"), index=True)
    url: Mapped[str] = mapped_column(Text, index=True)
    method: Mapped[str] = mapped_column(String(10), default="GET")
    status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    payload_digest: Mapped[str | None] = mapped_column(String(100))
    warc_file: Mapped[str | None] = mapped_column(String(300))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_length: Mapped[int | None] = mapped_column(BigInteger)
    warc_record_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    request_record_id: Mapped[str | None] = mapped_column(String(100))
    fetched_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # archive (0002_archive): which kind of WARC record this row points at (response,
    # revisit, resource, metadata) and, for a revisit/resource/metadata, the record it names.
    record_type: Mapped[str | None] = mapped_column(String(20))
    refers_to_record_id: Mapped[str | None] = mapped_column(String(100), index=True)


class Report(Base):
    """One version of a report: a parser version's reading of one document's payload.

    A document (a copy of the report, at its URL) fetched again with the same payload (the
    same digest: a revisit or a 304) and read by the same parser version is not stored again:
    its ``last_seen_at`` moves on. What a report is (agency + year), which copy is current and
    which version counts are defined once, in the views (store/views.py, 0003_ingest).
    """

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("fetch_id", "parser_version"),
                      Index("ix_report_document", "url", "payload_digest", "parser_version"))

    id: Mapped[int] = mapped_column(primary_key=True)
    fetch_id: Mapped[int | None] = mapped_column(ForeignKey("fetch.id"), index=True)
    portal_id: Mapped[int | None] = mapped_column(ForeignKey("portal.id"), index=True)
    url: Mapped[str | None] = mapped_column(Text, index=True)
    title: Mapped[str | None] = mapped_column(Text)
    agency: Mapped[str | None] = mapped_column(String(200), index=True)
    province: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(50))
    district: Mapped[str | None] = mapped_column(String(50))
    division_code: Mapped[str | None] = mapped_column(String(6), index=True)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    published: Mapped[str | None] = mapped_column(String(10))
    format: Mapped[str | None] = mapped_column(String(10))
    # parsed | no-table | image-only | unmapped-text (parsers.classify): how far the
    # document could be read
    status: Mapped[str] = mapped_column(String(20), index=True, default="parsed",
                                        server_default="parsed")
    document_type: Mapped[str] = mapped_column(String(10))
    encoding: Mapped[str | None] = mapped_column(String(30))
    encoding_source: Mapped[str | None] = mapped_column(String(10))
    parser_version: Mapped[str] = mapped_column(String(20))
    notes: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # ingest (0003_ingest): the payload this version was read from, when that payload was
    # last fetched (every version of one payload carries the same time), and a digest of
    # the values (copies of one report whose digests differ disagree)
    payload_digest: Mapped[str | None] = mapped_column(String(100))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    values_digest: Mapped[str | None] = mapped_column(String(40))

    fetch: Mapped[Fetch | None] = relationship()
    values: Mapped[list[ReportValue]] = relationship(
        back_populates="report", cascade="all, delete-orphan",
        primaryjoin="Report.id == foreign(ReportValue.report_id)")
    checks_failed: Mapped[list[CheckFailure]] = relationship(back_populates="report",
                                                             cascade="all, delete-orphan")


class ReportValue(Base):
    """One table cell: the number, the text as printed, and what kind of cell it was."""

    __tablename__ = "report_value"

    # no foreign key (migration 0006 says why): ingest writes a report and its cells in one
    # transaction, and reports are never deleted
    report_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    raw: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))  # number | blank | dash | none | absent

    report: Mapped[Report] = relationship(
        back_populates="values", primaryjoin="Report.id == foreign(ReportValue.report_id)")


class CheckFailure(Base):
    __tablename__ = "check_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"),
                                           index=True)
    identity: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(100))
    keys: Mapped[list] = mapped_column(JSON)
    lhs: Mapped[float] = mapped_column(Float)
    rhs: Mapped[float] = mapped_column(Float)

    report: Mapped[Report] = relationship(back_populates="checks_failed")


class Error(Base):
    """Something that went wrong, with the URL it went wrong on: the crawl went on."""

    __tablename__ = "error"

    id: Mapped[int] = mapped_column(primary_key=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id"), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(20))  # fetch | archive | parse | store
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# -- scheduler (0002_changes): what each crawl saw per portal, and what changed -----------


class CrawlRunPortal(Base):
    """How one crawl run went for one portal: "removed" is only inferred from a clean one."""

    __tablename__ = "crawl_run_portal"
    __table_args__ = (UniqueConstraint("crawl_run_id", "portal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    crawl_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id"), index=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portal.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # completed | interrupted
    pages: Mapped[int] = mapped_column(Integer, default=0)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    page_limit_hit: Mapped[int] = mapped_column(Integer, default=0)
    # set once change detection has looked at this run (scheduler.changes)
    changes_detected_at: Mapped[datetime | None] = mapped_column(DateTime)


class ReportChange(Base):
    """One change of one report identity (agency + year); the log is append-only and each
    version it names is a report row, traceable to its WARC record."""

    __tablename__ = "report_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # new|revised|removed|reappeared
    agency: Mapped[str] = mapped_column(String(200), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    url: Mapped[str | None] = mapped_column(Text)
    portal_id: Mapped[int | None] = mapped_column(ForeignKey("portal.id"), index=True)
    crawl_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id"), index=True)
    # the version this change leads to (for "removed": the last version seen)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"))
    previous_report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"))
    diff: Mapped[dict | None] = mapped_column(JSON)  # {key: [old, new]}
    text_only: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ScheduleRun(Base):
    """One firing of a scheduled (or run-now) crawl job, and how it ended."""

    __tablename__ = "schedule_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    portal: Mapped[str] = mapped_column(String(200), index=True)
    trigger: Mapped[str] = mapped_column(String(20))  # schedule | run-now
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id"))
    # completed | interrupted | failed | skipped (another crawl of the portal was running)
    result: Mapped[str | None] = mapped_column(String(20))
    changes: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)


class ScheduledJob(Base):
    """APScheduler 3's SQLAlchemy job store table, created here so Alembic owns the schema."""

    __tablename__ = "apscheduler_jobs"

    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)


class LearnedApi(Base):
    """A list API the crawler learned from a rendered page's XHR/fetch (crawler.listapi):
    the next crawl of the portal asks it directly, without a browser."""

    __tablename__ = "learned_api"
    __table_args__ = (UniqueConstraint("portal_id", "api_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portal.id"), index=True)
    api_key: Mapped[str] = mapped_column(String(500))  # method, endpoint, paging parameter
    page_url: Mapped[str] = mapped_column(Text)  # the list page it was learned on
    spec: Mapped[dict] = mapped_column(JSON)  # crawler.listapi.ListApi, as JSON
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id"))
    learned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def _current_table() -> Table:
    """``report_current``: each report once, at its current copy and version (the rule of
    ``latest_report``, store/views.py), with a typed column per canonical key: what query,
    charts and analysis read at national scale, one row instead of ~200 cell rows and no
    window function over the whole ``report`` table. Ingest keeps it up to date in the
    same transaction as the versions it adds (store.current). A schema that gains keys
    needs a migration that adds their columns (0005_current froze today's keys)."""
    from nianbao.parsers.schema import load_schema

    return Table(
        "report_current", Base.metadata,
        Column("report_id", Integer, ForeignKey("report.id"), primary_key=True),
        Column("identity", Text, nullable=False),
        Column("agency", String(200)), Column("agency_type", String(20), index=True),
        Column("province", String(50)), Column("city", String(50)),
        Column("district", String(50)), Column("division_code", String(6), index=True),
        Column("year", Integer, index=True), Column("format", String(10), index=True),
        Column("title", Text), Column("url", Text), Column("published", String(10)),
        Column("parser_version", String(20)), Column("portal_id", Integer),
        Column("fetch_id", Integer), Column("copies", Integer),
        Column("copies_disagree", Integer), Column("status", String(20)),
        Column("checks_failed", Integer),
        *(Column(key, Float) for key in load_schema().keys),
        Index("ix_report_current_identity", "identity", unique=True),
    )


report_current = _current_table()


def _totals_table() -> Table:
    """``report_totals``: ``report_current`` summed per year × province × agency type ×
    format (a few thousand rows at national scale): per key, the sum of its values
    (``sum.<key>``) and how many reports have one (``n.<key>``), and the number of reports.
    Triggers on ``report_current`` keep it (migration 0007_totals), in the writer's
    transaction, so a question that groups and filters only by those four is answered
    from it without reading every report (store/questions.py). Its unique index on the
    group, NULLs spelt out, is an expression index made by the migration."""
    from nianbao.parsers.schema import load_schema

    columns = []
    for key in load_schema().keys:
        columns += [Column("sum." + key, Float, nullable=False, server_default="0"),
                    Column("n." + key, Integer, nullable=False, server_default="0")]
    return Table(
        "report_totals", Base.metadata,
        Column("year", Integer), Column("province", String(50)),
        Column("agency_type", String(20)), Column("format", String(10)),
        Column("reports", Integer, nullable=False, server_default="0"),
        *columns,
    )


report_totals = _totals_table()
