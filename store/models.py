"""The database: what was crawled, where it is archived, and what was parsed from it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
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


class Report(Base):
    """A report as one parser version read it from one fetched document."""

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("fetch_id", "parser_version"),)

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
    document_type: Mapped[str] = mapped_column(String(10))
    encoding: Mapped[str | None] = mapped_column(String(30))
    encoding_source: Mapped[str | None] = mapped_column(String(10))
    parser_version: Mapped[str] = mapped_column(String(20))
    notes: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    fetch: Mapped[Fetch | None] = relationship()
    values: Mapped[list[ReportValue]] = relationship(back_populates="report",
                                                     cascade="all, delete-orphan")
    checks_failed: Mapped[list[CheckFailure]] = relationship(back_populates="report",
                                                             cascade="all, delete-orphan")


class ReportValue(Base):
    """One table cell: the number, the text as printed, and what kind of cell it was."""

    __tablename__ = "report_value"

    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"),
                                           primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    raw: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))  # number | blank | dash | none | absent

    report: Mapped[Report] = relationship(back_populates="values")


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
