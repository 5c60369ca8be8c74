"""What the scheduler (``scheduler.jobs``) records: each firing of a crawl job
(``schedule_run``), and which crawl run it led to."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import CrawlRun, CrawlRunPortal, Portal, ReportChange, ScheduleRun, utcnow


def start_schedule_run(session: Session, portal: str, trigger: str) -> ScheduleRun:
    record = ScheduleRun(portal=portal, trigger=trigger)
    session.add(record)
    session.commit()
    return record


def finish_schedule_run(session: Session, record: ScheduleRun, result: str,
                        **fields) -> None:
    record.result, record.finished_at = result, utcnow()
    for name, value in fields.items():
        setattr(record, name, value)
    session.commit()


def last_crawl_run_id(session: Session) -> int:
    """The newest crawl run's id (0 when there is none)."""
    return session.scalar(select(func.max(CrawlRun.id))) or 0


def run_portal_after(session: Session, portal: str, after: int) -> CrawlRunPortal | None:
    """The newest run of `portal` after crawl run `after` (how a child crawl went)."""
    run = session.execute(
        select(CrawlRunPortal).join(Portal, CrawlRunPortal.portal_id == Portal.id)
        .where(Portal.name == portal, CrawlRunPortal.crawl_run_id > after)
        .order_by(CrawlRunPortal.crawl_run_id.desc()).limit(1)).scalar()
    session.rollback()
    return run


def change_count(session: Session, run_portal: CrawlRunPortal) -> int:
    """How many changes were logged for one portal's crawl run."""
    return session.scalar(select(func.count()).select_from(ReportChange).where(
        ReportChange.crawl_run_id == run_portal.crawl_run_id,
        ReportChange.portal_id == run_portal.portal_id)) or 0


def last_schedule_runs(session: Session) -> dict[str, ScheduleRun]:
    """The newest schedule run of each portal."""
    newest = select(func.max(ScheduleRun.id)).group_by(ScheduleRun.portal)
    return {r.portal: r for r in session.scalars(select(ScheduleRun)
                                                 .where(ScheduleRun.id.in_(newest)))}
