"""Change detection: what each finished crawl run saw of each report, against what came before.

A report's identity is the views' (``store.views``: agency + year), followed portal by
portal; every query is the store's (``store.changes``), the comparing is done here. Each
crawl run of a portal is compared, in run order, with that portal's change log so far
(``report_change``, append-only): a report seen for the first time is **new**; one whose
values (or, with equal values, whose document bytes) differ from its last version is
**revised**; one that was removed and is seen again has **reappeared**; one is **removed**
when its URL answers 404/410, or when it is no longer listed on a crawl of its portal that
completed without errors and without hitting the page limit. A failed or partial crawl
never removes anything. Every version a change names is a report row, and its fetch row
locates the WARC record it was parsed from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from nianbao.store import changes as log
from nianbao.store.models import CrawlRunPortal, Fetch, Report, ReportChange
from sqlalchemy.orm import Session

KINDS = ("new", "revised", "removed", "reappeared")
GONE = (404, 410)
# the per-portal counters the crawl keeps in Scrapy's stats as "nianbao/<name>/<portal>"
COUNTERS = ("pages", "documents", "reports", "errors", "page_limit_hit")


def record_portal_results(session: Session, run_id: int, status: str,
                          portal_ids: dict[str, int], stats: dict) -> None:
    """Store how a finished crawl run went for each of its portals (from the crawl's stats)."""
    log.add_run_portals(session, (
        dict(crawl_run_id=run_id, portal_id=portal_id, status=status,
             **{c: int(stats.get(f"nianbao/{c}/{name}", 0)) for c in COUNTERS})
        for name, portal_id in portal_ids.items()))


def detect_changes(session: Session) -> list[ReportChange]:
    """Look at every finished crawl run not looked at yet, oldest first; log what changed.

    Safe to call from several processes: each (run, portal) is claimed by one UPDATE before
    anything is read, so it is looked at exactly once.
    """
    found: list[ReportChange] = []
    for row_id in log.pending_run_portals(session):
        run_portal = log.claim_run_portal(session, row_id)
        if run_portal is None:
            continue
        changes = list(_detect(session, run_portal))
        log.save_changes(session, changes)
        found.extend(changes)
    return found


@dataclass
class _Current:
    """The last logged change of an identity: whether it is present, and its last version."""

    change: ReportChange

    @property
    def present(self) -> bool:
        return self.change.kind != "removed"

    @property
    def order(self) -> tuple[str, int]:
        return (self.change.agency, self.change.year)


def _detect(session: Session, run_portal: CrawlRunPortal) -> Iterator[ReportChange]:
    run_id, portal_id = run_portal.crawl_run_id, run_portal.portal_id
    # Per portal: the same report is often published on several (a district's portal and
    # the agency's own site), each copy in its own page, and compared across portals every
    # crawl would log a text-only revision back and forth.
    current = {i: _Current(c) for i, c in log.last_changes(session, portal_id).items()}
    seen = log.observed_reports(session, [run_id], portal_id)

    for identity, reports in sorted(seen.items(),
                                    key=lambda item: (item[1][0].agency, item[1][0].year)):
        state = current.get(identity)
        previous = log.newest_parse(session, state.change.report_id) \
            if state is not None else None
        report = _representative(reports, previous.url if previous is not None else None)
        base = dict(agency=report.agency, year=report.year, url=report.url,
                    portal_id=portal_id, crawl_run_id=run_id, report_id=report.id)
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

    present = sorted(((i, s) for i, s in current.items() if s.present and i not in seen),
                     key=lambda item: item[1].order)
    # An explicit answer that the document is gone counts on any crawl.
    gone = log.gone_urls(session, run_id, portal_id, GONE)
    for _identity, state in present:
        if state.change.url in gone:
            yield _removed(state, run_id, portal_id, f"HTTP {gone[state.change.url]}")
    present = [(i, s) for i, s in present if s.change.url not in gone]

    # Gone from the listing: only a clean, complete crawl of the portal can tell. A crawl
    # interrupted and then resumed is one crawl: the runs of the chain are seen together.
    chain = log.run_chain(session, run_portal)
    if (run_portal.status != "completed" or run_portal.page_limit_hit
            or any(r.errors for r in chain)):
        return
    seen_in_chain = set(log.observed_reports(session, [r.crawl_run_id for r in chain],
                                             portal_id))
    for identity, state in present:
        if identity not in seen_in_chain:
            yield _removed(state, run_id, portal_id,
                           "no longer listed (crawl completed without errors)")


def _removed(state: _Current, run_id: int, portal_id: int, reason: str) -> ReportChange:
    return ReportChange(kind="removed", agency=state.change.agency, year=state.change.year,
                        url=state.change.url, portal_id=portal_id, crawl_run_id=run_id,
                        report_id=state.change.report_id, reason=reason)


def _representative(reports: list[Report], previous_url: str | None) -> Report:
    """One report for an identity seen in several documents (a page and its attachment):
    the one at the previous version's URL, else the fullest parse, else the first URL."""
    for report in reports:
        if previous_url is not None and report.url == previous_url:
            return report
    return min(reports, key=lambda r: (r.status != "parsed",
                                       -sum(v.value is not None for v in r.values),
                                       r.url or "", r.id))


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
    for change, portal, fetch in log.change_rows(session, crawl_run=crawl_run, kinds=kinds):
        yield change_json(change, portal, fetch)


def change_json(change: ReportChange, portal: str | None = None,
                fetch: Fetch | None = None) -> dict:
    out = {"kind": change.kind, "agency": change.agency, "year": change.year,
           "url": change.url, "detected_at": iso_utc(change.detected_at)}
    if change.kind in ("revised", "reappeared") and change.diff is not None:
        out["diff"] = change.diff
    if change.kind == "revised":
        out["text_only"] = change.text_only
    out.update({"portal": portal, "crawl_run": change.crawl_run_id, "reason": change.reason})
    if fetch is not None:
        out["source"] = {"warc_file": fetch.warc_file, "warc_offset": fetch.warc_offset,
                         "warc_record_id": fetch.warc_record_id,
                         "fetched_at": iso_utc(fetch.fetched_at)}
    return out


def crawl_history(session: Session, portal: str | None = None,
                  limit: int = 50) -> list[dict]:
    """Crawl runs, newest first, per portal: when, how they ended, what they found."""
    return [{"crawl_run": run.id, "portal": name, "command": run.command,
             "started_at": iso_utc(run.started_at), "finished_at": iso_utc(run.finished_at),
             "status": row.status, "pages": row.pages, "documents": row.documents,
             "reports": row.reports, "errors": row.errors, "changes": changes}
            for row, run, name, changes in log.run_portal_rows(session, portal, limit)]


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
