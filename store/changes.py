"""What change detection (``scheduler.changes``) reads and writes: the crawl runs per portal,
the reports a run saw, and the append-only change log (``report_change``).

A report's identity is the one the views define (``store.views.identity_sql``: agency +
year), read from ``report_version.identity`` for reports and computed by the same rule for
the log's rows; a version is a ``report_version`` row. The comparing itself (new, revised,
removed, reappeared) is the scheduler's; every query it needs is here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import and_, column, func, literal_column, or_, select, table, update
from sqlalchemy.orm import Session, selectinload

from .models import CrawlRun, CrawlRunPortal, Fetch, Portal, Report, ReportChange, utcnow
from .views import identity_sql

# The views as SQLAlchemy sees them (they are made by migrations, not by the models).
report_version = table("report_version", column("report_id"), column("identity"),
                       column("url"), column("payload_digest"))

_CHANGE_IDENTITY = literal_column(identity_sql("report_change."))


def add_run_portals(session: Session, rows: Iterable[dict]) -> None:
    """Store how a finished crawl run went for each of its portals (``crawl_run_portal``)."""
    session.add_all(CrawlRunPortal(**row) for row in rows)
    session.commit()


def pending_run_portals(session: Session) -> list[int]:
    """The (run, portal) rows change detection has not looked at, oldest run first."""
    pending = session.scalars(select(CrawlRunPortal.id)
                              .where(CrawlRunPortal.changes_detected_at.is_(None))
                              .order_by(CrawlRunPortal.crawl_run_id, CrawlRunPortal.id)).all()
    session.rollback()  # end the read so that each claim starts its own transaction
    return list(pending)


def claim_run_portal(session: Session, row_id: int) -> CrawlRunPortal | None:
    """Mark a (run, portal) row looked at, in one UPDATE; None if another process did first.
    On success the transaction stays open until ``save_changes``."""
    claimed = session.execute(
        update(CrawlRunPortal)
        .where(CrawlRunPortal.id == row_id, CrawlRunPortal.changes_detected_at.is_(None))
        .values(changes_detected_at=utcnow()))
    if claimed.rowcount != 1:
        session.rollback()
        return None
    return session.get(CrawlRunPortal, row_id)


def save_changes(session: Session, changes: Sequence[ReportChange]) -> None:
    """Append changes to the log, in the claim's transaction."""
    session.add_all(changes)
    session.commit()


def last_changes(session: Session, portal_id: int) -> dict[str, ReportChange]:
    """Each report identity's last logged change on one portal, by identity."""
    last = (select(func.max(ReportChange.id))
            .where(ReportChange.portal_id == portal_id)
            .group_by(_CHANGE_IDENTITY))
    rows = session.execute(select(ReportChange, _CHANGE_IDENTITY)
                           .where(ReportChange.id.in_(last)))
    return {identity: change for change, identity in rows}


def observed_reports(session: Session, run_ids: Sequence[int],
                     portal_id: int) -> dict[str, list[Report]]:
    """The reports a run (or runs) of a portal fetched, by identity: of each document, the
    newest parse of the payload the run fetched. Documents whose agency or year is unknown
    (each a report of its own in the views) have no history to compare and are left out."""
    # A payload fetched again unchanged adds no version (ingest): the run saw every version
    # of a payload its fetch rows name (URL and digest), whichever run stored it.
    fetched = (select(Report.id).join(Fetch, and_(Fetch.url == Report.url,
                                                  Fetch.payload_digest == Report.payload_digest))
               .where(Fetch.crawl_run_id.in_(run_ids)))
    # A resumed crawl stores the document that was in flight when its predecessor stopped
    # from the archived response, i.e. against the earlier run's fetch: reports stored
    # while the run went on count as seen by it too.
    during = [and_(Report.created_at >= run.started_at, Report.created_at <= run.finished_at)
              for run in session.scalars(select(CrawlRun).where(CrawlRun.id.in_(run_ids)))
              if run.finished_at is not None]
    own = select(Fetch.id).where(Fetch.crawl_run_id.in_(run_ids))
    rows = session.execute(
        select(Report, report_version.c.identity)
        .join(report_version, report_version.c.report_id == Report.id)
        .where(or_(Report.id.in_(fetched), Report.fetch_id.in_(own), *during),
               Report.portal_id == portal_id)
        .options(selectinload(Report.values), selectinload(Report.fetch))
        .order_by(Report.id))
    newest: dict = {}
    for report, identity in rows:
        newest[report.url or report.id] = (report, identity)
    seen: dict[str, list[Report]] = defaultdict(list)
    for report, identity in newest.values():
        if not identity.startswith("id:"):
            seen[identity].append(report)
    return seen


def gone_urls(session: Session, run_id: int, portal_id: int,
              statuses: Iterable[int]) -> dict[str, int]:
    """The URLs of a portal a run was answered with one of `statuses` for (404, 410)."""
    return dict(session.execute(
        select(Fetch.url, Fetch.status)
        .where(Fetch.crawl_run_id == run_id, Fetch.status.in_(list(statuses)),
               Fetch.portal_id == portal_id)).all())


def run_chain(session: Session, run_portal: CrawlRunPortal) -> list[CrawlRunPortal]:
    """This run and the interrupted runs of the same portal right before it."""
    earlier = session.scalars(
        select(CrawlRunPortal)
        .where(CrawlRunPortal.portal_id == run_portal.portal_id,
               CrawlRunPortal.crawl_run_id < run_portal.crawl_run_id)
        .order_by(CrawlRunPortal.crawl_run_id.desc()))
    chain = [run_portal]
    for row in earlier:
        if row.status == "completed":
            break
        chain.append(row)
    return chain


def newest_parse(session: Session, report_id: int | None) -> Report | None:
    """The version of the same payload (URL and digest) read by the newest parse, with its
    values: a version is compared at the newest parser version its payload was read with."""
    if report_id is None:
        return None
    report = session.get(Report, report_id)
    if report is None:
        return None
    if report.url and report.payload_digest:
        newest = (select(func.max(report_version.c.report_id))
                  .where(report_version.c.url == report.url,
                         report_version.c.payload_digest == report.payload_digest)
                  .scalar_subquery())
    elif report.fetch_id is not None:
        newest = (select(func.max(Report.id)).where(Report.fetch_id == report.fetch_id)
                  .scalar_subquery())
    else:
        return report
    return session.scalars(select(Report).where(Report.id == newest)
                           .options(selectinload(Report.values),
                                    selectinload(Report.fetch))).first()


# -- reading the log -------------------------------------------------------------------


def change_rows(session: Session, *, crawl_run: int | None = None,
                kinds: Iterable[str] = ()) -> Iterator[tuple[ReportChange, str | None,
                                                             Fetch | None]]:
    """The change log, oldest first: each change, its portal's name, and the fetch of the
    version it names (None if there is none)."""
    query = (select(ReportChange, Portal.name, Fetch)
             .outerjoin(Portal, ReportChange.portal_id == Portal.id)
             .outerjoin(Report, ReportChange.report_id == Report.id)
             .outerjoin(Fetch, Report.fetch_id == Fetch.id)
             .order_by(ReportChange.id))
    if crawl_run is not None:
        query = query.where(ReportChange.crawl_run_id == crawl_run)
    kinds = list(kinds)
    if kinds:
        query = query.where(ReportChange.kind.in_(kinds))
    yield from session.execute(query).tuples()


def run_portal_rows(session: Session, portal: str | None = None,
                    limit: int = 50) -> list[tuple[CrawlRunPortal, CrawlRun, str, int]]:
    """Crawl runs per portal, newest first: (row, run, portal name, changes logged)."""
    changes = {(run, portal_id): n for run, portal_id, n in session.execute(
        select(ReportChange.crawl_run_id, ReportChange.portal_id, func.count())
        .group_by(ReportChange.crawl_run_id, ReportChange.portal_id))}
    query = (select(CrawlRunPortal, CrawlRun, Portal.name)
             .join(CrawlRun, CrawlRunPortal.crawl_run_id == CrawlRun.id)
             .join(Portal, CrawlRunPortal.portal_id == Portal.id)
             .order_by(CrawlRun.id.desc()).limit(limit))
    if portal is not None:
        query = query.where(Portal.name == portal)
    return [(row, run, name, changes.get((run.id, row.portal_id), 0))
            for row, run, name in session.execute(query)]
