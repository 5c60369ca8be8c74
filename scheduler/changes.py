"""Change detection: what each finished crawl run saw of each report, against what came before.

A report's identity is its agency and year, followed portal by portal. Each crawl run of a
portal is compared, in run order, with that portal's change log so far (``report_change``,
append-only): a report seen for the first time is **new**; one whose values (or, with
equal values, whose document bytes) differ from its last version is **revised**; one that
was removed and is seen again has **reappeared**; one is **removed** when its URL answers
404/410, or when it is no longer listed on a crawl of its portal that completed without
errors and without hitting the page limit. A failed or partial crawl never removes
anything. Every version a change names is a report row, and its fetch row locates the
WARC record it was parsed from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from store.models import (
    CrawlRun,
    CrawlRunPortal,
    Fetch,
    Portal,
    Report,
    ReportChange,
    utcnow,
)

KINDS = ("new", "revised", "removed", "reappeared")
GONE = (404, 410)
# the per-portal counters the crawl keeps in Scrapy's stats as "nianbao/<name>/<portal>"
COUNTERS = ("pages", "documents", "reports", "errors", "page_limit_hit")

Identity = tuple[str, int]


def record_portal_results(session: Session, run_id: int, status: str,
                          portal_ids: dict[str, int], stats: dict) -> None:
    """Store how a finished crawl run went for each of its portals (from the crawl's stats)."""
    for name, portal_id in portal_ids.items():
        counts = {c: int(stats.get(f"nianbao/{c}/{name}", 0)) for c in COUNTERS}
        session.add(CrawlRunPortal(crawl_run_id=run_id, portal_id=portal_id, status=status,
                                   **counts))
    session.commit()


def detect_changes(session: Session) -> list[ReportChange]:
    """Look at every finished crawl run not looked at yet, oldest first; log what changed.

    Safe to call from several processes: each (run, portal) is claimed by one UPDATE before
    anything is read, so it is looked at exactly once.
    """
    pending = session.scalars(select(CrawlRunPortal.id)
                              .where(CrawlRunPortal.changes_detected_at.is_(None))
                              .order_by(CrawlRunPortal.crawl_run_id, CrawlRunPortal.id)).all()
    session.rollback()  # end the read so that each claim below starts its own transaction
    found: list[ReportChange] = []
    for row_id in pending:
        claimed = session.execute(
            update(CrawlRunPortal)
            .where(CrawlRunPortal.id == row_id, CrawlRunPortal.changes_detected_at.is_(None))
            .values(changes_detected_at=utcnow()))
        if claimed.rowcount != 1:
            session.rollback()
            continue
        run_portal = session.get(CrawlRunPortal, row_id)
        changes = list(_detect(session, run_portal))
        session.add_all(changes)
        session.commit()
        found.extend(changes)
    return found


@dataclass
class _Current:
    """The last logged change of an identity: whether it is present, and its last version."""

    change: ReportChange

    @property
    def present(self) -> bool:
        return self.change.kind != "removed"


def _detect(session: Session, run_portal: CrawlRunPortal) -> Iterator[ReportChange]:
    run_id, portal_id = run_portal.crawl_run_id, run_portal.portal_id
    current = _current_state(session, portal_id)
    seen = _observed(session, [run_id], portal_id)

    for identity, reports in sorted(seen.items()):
        state = current.get(identity)
        previous = _newest_parse(session, session.get(Report, state.change.report_id)) \
            if state is not None and state.change.report_id else None
        report = _representative(reports, previous.url if previous is not None else None)
        base = dict(agency=identity[0], year=identity[1], url=report.url, portal_id=portal_id,
                    crawl_run_id=run_id, report_id=report.id)
        if state is None:
            yield ReportChange(kind="new", **base)
            continue
        diff = value_diff(previous, report) if previous is not None else {}
        reason = _parser_note(previous, report)
        if not state.present:
            yield ReportChange(kind="reappeared", previous_report_id=state.change.report_id,
                               diff=diff or None, reason=reason, **base)
        elif diff:
            yield ReportChange(kind="revised", previous_report_id=previous.id, diff=diff,
                               reason=reason, **base)
        elif _bytes_differ(previous, report):
            yield ReportChange(kind="revised", previous_report_id=previous.id, diff={},
                               text_only=True, reason="document changed, values equal", **base)

    present = {i: s for i, s in current.items() if s.present and i not in seen}
    # An explicit answer that the document is gone counts on any crawl.
    gone = dict(session.execute(
        select(Fetch.url, Fetch.status)
        .where(Fetch.crawl_run_id == run_id, Fetch.status.in_(GONE),
               Fetch.portal_id == portal_id)).all())
    for identity, state in sorted(present.items()):
        if state.change.url in gone:
            yield _removed(identity, state, run_id, portal_id,
                           f"HTTP {gone[state.change.url]}")
    present = {i: s for i, s in present.items() if s.change.url not in gone}

    # Gone from the listing: only a clean, complete crawl of the portal can tell. A crawl
    # interrupted and then resumed is one crawl: the runs of the chain are seen together.
    chain = _chain(session, run_portal)
    if (run_portal.status != "completed" or run_portal.page_limit_hit
            or any(r.errors for r in chain)):
        return
    seen_in_chain = set(_observed(session, [r.crawl_run_id for r in chain], portal_id))
    for identity, state in sorted(present.items()):
        if identity not in seen_in_chain:
            yield _removed(identity, state, run_id, portal_id,
                           "no longer listed (crawl completed without errors)")


def _removed(identity: Identity, state: _Current, run_id: int, portal_id: int,
             reason: str) -> ReportChange:
    return ReportChange(kind="removed", agency=identity[0], year=identity[1],
                        url=state.change.url, portal_id=portal_id, crawl_run_id=run_id,
                        report_id=state.change.report_id, reason=reason)


def _current_state(session: Session, portal_id: int) -> dict[Identity, _Current]:
    """Each identity's last logged change on this portal. Per portal: the same report is
    often published on several (a district's portal and the agency's own site), each copy
    in its own page, and compared across portals every crawl would log a text-only
    revision back and forth."""
    last = (select(func.max(ReportChange.id))
            .where(ReportChange.portal_id == portal_id)
            .group_by(ReportChange.agency, ReportChange.year))
    rows = session.scalars(select(ReportChange).where(ReportChange.id.in_(last)))
    return {(c.agency, c.year): _Current(c) for c in rows}


def _observed(session: Session, run_ids: list[int],
              portal_id: int) -> dict[Identity, list[Report]]:
    """The reports a run (or runs) of a portal fetched: of each document, the newest parse
    of the payload the run fetched."""
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
    rows = session.scalars(
        select(Report)
        .where(or_(Report.id.in_(fetched), Report.fetch_id.in_(own), *during),
               Report.portal_id == portal_id)
        .options(selectinload(Report.values), selectinload(Report.fetch))
        .order_by(Report.id))
    newest: dict = {}
    for report in rows:
        newest[report.url or report.id] = report
    seen: dict[Identity, list[Report]] = defaultdict(list)
    for report in newest.values():
        if report.agency and report.year is not None:
            seen[(report.agency, report.year)].append(report)
    return seen


def _chain(session: Session, run_portal: CrawlRunPortal) -> list[CrawlRunPortal]:
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


def _representative(reports: list[Report], previous_url: str | None) -> Report:
    """One report for an identity seen in several documents (a page and its attachment):
    the one at the previous version's URL, else the fullest parse, else the first URL."""
    for report in reports:
        if previous_url is not None and report.url == previous_url:
            return report
    return min(reports, key=lambda r: (r.status != "parsed",
                                       -sum(v.value is not None for v in r.values),
                                       r.url or "", r.id))


def _newest_parse(session: Session, report: Report | None) -> Report | None:
    """A version compared at the newest parser version its payload was read with."""
    if report is None:
        return report
    if report.url and report.payload_digest:
        same = and_(Report.url == report.url, Report.payload_digest == report.payload_digest)
    elif report.fetch_id is not None:
        same = Report.fetch_id == report.fetch_id
    else:
        return report
    return session.scalars(select(Report).where(same)
                           .options(selectinload(Report.values), selectinload(Report.fetch))
                           .order_by(Report.id.desc()).limit(1)).first()


def value_diff(old: Report, new: Report) -> dict[str, list]:
    """``{key: [old, new]}`` for every canonical key whose number differs (None = blank)."""
    before = {v.key: v.value for v in old.values}
    after = {v.key: v.value for v in new.values}
    return {key: [_num(before.get(key)), _num(after.get(key))]
            for key in sorted(before.keys() | after.keys())
            if before.get(key) != after.get(key)}


def _bytes_differ(old: Report, new: Report) -> bool:
    a = old.payload_digest or (old.fetch.payload_digest if old.fetch else None)
    b = new.payload_digest or (new.fetch.payload_digest if new.fetch else None)
    return a is not None and b is not None and a != b


def _parser_note(old: Report | None, new: Report) -> str | None:
    if old is not None and old.parser_version != new.parser_version:
        return f"compared across parser versions {old.parser_version} and {new.parser_version}"
    return None


def _num(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


# -- reading the log -------------------------------------------------------------------


def list_changes(session: Session, *, crawl_run: int | None = None,
                 kinds: Iterable[str] = ()) -> Iterator[dict]:
    """The change log, oldest first, in the `nianbao changes` JSON form."""
    query = (select(ReportChange, Portal.name).outerjoin(Portal,
                                                         ReportChange.portal_id == Portal.id)
             .order_by(ReportChange.id))
    if crawl_run is not None:
        query = query.where(ReportChange.crawl_run_id == crawl_run)
    kinds = list(kinds)
    if kinds:
        query = query.where(ReportChange.kind.in_(kinds))
    for change, portal in session.execute(query):
        yield change_json(session, change, portal)


def change_json(session: Session, change: ReportChange, portal: str | None = None) -> dict:
    out = {"kind": change.kind, "agency": change.agency, "year": change.year,
           "url": change.url, "detected_at": iso_utc(change.detected_at)}
    if change.kind in ("revised", "reappeared") and change.diff is not None:
        out["diff"] = change.diff
    if change.kind == "revised":
        out["text_only"] = change.text_only
    out.update({"portal": portal, "crawl_run": change.crawl_run_id, "reason": change.reason})
    version = session.get(Report, change.report_id) if change.report_id else None
    if version is not None and version.fetch is not None:
        fetch = version.fetch
        out["source"] = {"warc_file": fetch.warc_file, "warc_offset": fetch.warc_offset,
                         "warc_record_id": fetch.warc_record_id,
                         "fetched_at": iso_utc(fetch.fetched_at)}
    return out


def crawl_history(session: Session, portal: str | None = None,
                  limit: int = 50) -> list[dict]:
    """Crawl runs, newest first, per portal: when, how they ended, what they found."""
    changes = {(run, portal): n for run, portal, n in session.execute(
        select(ReportChange.crawl_run_id, ReportChange.portal_id, func.count())
        .group_by(ReportChange.crawl_run_id, ReportChange.portal_id))}
    query = (select(CrawlRunPortal, CrawlRun, Portal.name)
             .join(CrawlRun, CrawlRunPortal.crawl_run_id == CrawlRun.id)
             .join(Portal, CrawlRunPortal.portal_id == Portal.id)
             .order_by(CrawlRun.id.desc()).limit(limit))
    if portal is not None:
        query = query.where(Portal.name == portal)
    return [{"crawl_run": run.id, "portal": name, "command": run.command,
             "started_at": iso_utc(run.started_at), "finished_at": iso_utc(run.finished_at),
             "status": row.status, "pages": row.pages, "documents": row.documents,
             "reports": row.reports, "errors": row.errors,
             "changes": changes.get((run.id, row.portal_id), 0)}
            for row, run, name in session.execute(query)]


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
