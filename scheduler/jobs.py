"""The re-crawl schedule: one APScheduler 3 job per portal, stored in the project database.

Each job crawls its portal in a child process (Scrapy's reactor runs once per process, and a
crash stays in the child), then runs change detection. Jobs coalesce and have no misfire
limit, so a machine that was down catches up once when it comes back, not once per missed
date; a file lock per portal keeps it to one crawl at a time, whoever starts it (the
service or `schedule run-now`).
"""

from __future__ import annotations

import fcntl
import logging
import signal
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from nianbao.store import Store, make_engine, upgrade
from nianbao.store.models import ScheduleRun
from nianbao.store.schedule import (
    change_count,
    finish_schedule_run,
    last_crawl_run_id,
    run_portal_after,
    start_schedule_run,
)

from .changes import detect_changes

log = logging.getLogger(__name__)

# Departments publish by 31 January, district governments by 31 March, and late or revised
# reports follow: weekly, Mondays at 03:00, from 1 February to 31 May.
DEFAULT_SCHEDULE = "0 3 * 2-5 1"
# The deadlines are Chinese dates, so the schedule is read in China's time zone.
TIMEZONE = ZoneInfo("Asia/Shanghai")
JOB_PREFIX = "crawl:"
JOB_DEFAULTS = {
    "coalesce": True,  # many missed dates → one run
    "misfire_grace_time": None,  # however late, a missed run still runs (once)
    "max_instances": 1,
}

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


# -- crontab -----------------------------------------------------------------------------


def cron_trigger(expr: str, timezone: ZoneInfo = TIMEZONE) -> CronTrigger:
    """A trigger from a standard 5-field crontab line, with crontab's weekday numbers.

    APScheduler 3 reads weekday numbers with 0 = Monday (its documented historical
    mistake); crontab has 0 and 7 = Sunday. The weekday field is rewritten as names so
    ``0 3 * * 1`` means Monday, as it does in crontab.
    """
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"a crontab line has 5 fields (minute hour day month weekday), "
                         f"not {len(fields)}")
    minute, hour, day, month, weekday = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                       day_of_week=_weekday_names(weekday), timezone=timezone)


def check_schedule(expr: str) -> str | None:
    """None if ``expr`` is a usable crontab line, else why not (one line)."""
    try:
        cron_trigger(expr)
    except ValueError as exc:
        return str(exc)
    return None


def _weekday_names(field: str) -> str:
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad weekday step in '{field}'")
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            first_text, last_text = base.split("-", 1)
            first, last = _weekday(first_text), _weekday(last_text)
            if last == 0 and first > 0:  # "5-7", "fri-sun": up to Sunday
                last = 7
            if last < first:
                raise ValueError(f"bad weekday range '{base}'")
        else:
            first = last = _weekday(base)
            if step_text:
                last = 6
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(_DAYS[d] for d in sorted(days))


def _weekday(text: str) -> int:
    text = text.strip().lower()
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text) % 7 if text != "7" else 7
    if text[:3] in _DAYS:
        return _DAYS.index(text[:3])
    raise ValueError(f"bad weekday '{text}' (0-7 or sun-sat)")


# -- jobs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortalJob:
    """One portal's re-crawl: when (crontab) and the command that crawls it."""

    portal: str
    schedule: str
    argv: tuple[str, ...]


def make_scheduler(db_url: str, *, scheduler_class: type[BaseScheduler] = BackgroundScheduler,
                   executor=None, max_workers: int = 4) -> BaseScheduler:
    """A scheduler whose jobs live in the project database (the ``apscheduler_jobs`` table
    of migration 0002_changes), so they and their next run times survive restarts."""
    engine = make_engine(db_url)
    upgrade(engine)
    return scheduler_class(
        jobstores={"default": SQLAlchemyJobStore(engine=engine)},
        executors={"default": executor or ThreadPoolExecutor(max_workers)},
        job_defaults=dict(JOB_DEFAULTS), timezone=TIMEZONE)


def sync_jobs(scheduler: BaseScheduler, jobs: Sequence[PortalJob], *, db_url: str,
              state_dir: Path) -> dict[str, str]:
    """Make the stored jobs those of the config (the scheduler must be started, paused).

    A job whose schedule and command are unchanged is left alone, keeping its stored next
    run time: if that is in the past, the machine was down and the job runs once, now.
    Returns what happened to each portal's job: kept | added | replaced | removed.
    """
    stored = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(JOB_PREFIX)}
    outcome: dict[str, str] = {}
    for spec in jobs:
        job_id = JOB_PREFIX + spec.portal
        trigger = cron_trigger(spec.schedule)
        kwargs = {"portal": spec.portal, "argv": list(spec.argv), "db_url": db_url,
                  "state_dir": str(state_dir), "schedule": spec.schedule}
        old = stored.pop(job_id, None)
        if old is not None and old.kwargs == kwargs and repr(old.trigger) == repr(trigger):
            outcome[spec.portal] = "kept"
            continue
        scheduler.add_job(crawl_job, trigger=trigger, id=job_id, name=spec.portal,
                          kwargs=kwargs, replace_existing=True)
        outcome[spec.portal] = "replaced" if old is not None else "added"
    for job_id, job in stored.items():
        scheduler.remove_job(job_id)
        outcome[job.name] = "removed"
    return outcome


def job_schedule(job: Job) -> str:
    return job.kwargs.get("schedule", str(job.trigger))


# -- running one crawl -------------------------------------------------------------------

_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()
_stopping = threading.Event()


def stop_crawls(signum: int = signal.SIGTERM) -> int:
    """Ask every running crawl to stop (once): Scrapy finishes what is in flight, the WARC
    files are closed and the run is marked interrupted. No new crawl starts after this.
    Returns how many crawls were asked."""
    _stopping.set()
    asked = 0
    with _children_lock:
        for child in _children:
            if child.poll() is None:
                child.send_signal(signum)
                asked += 1
    return asked


def crawl_job(portal: str, argv: list[str], db_url: str, state_dir: str,
              schedule: str | None = None, trigger: str = "schedule") -> str:
    """Crawl one portal in a child process, then detect what changed; record it all.

    Returns the result: completed | interrupted | failed | skipped.
    """
    state = Path(state_dir)
    (state / "locks").mkdir(parents=True, exist_ok=True)
    (state / "logs").mkdir(parents=True, exist_ok=True)
    with Store(db_url, upgrade=True) as store, \
            open(state / "locks" / f"{_safe(portal)}.lock", "w") as lock:
        session = store.session
        record = start_schedule_run(session, portal, trigger)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _finish(session, record, "skipped", message="a crawl of this portal is "
                                                                "already running")
        if _stopping.is_set():
            return _finish(session, record, "skipped", message="the scheduler is stopping")
        before = last_crawl_run_id(session)
        log_path = state / "logs" / f"{_safe(portal)}-{record.id}.log"
        log.info("crawling %s (schedule run %s, log %s)", portal, record.id, log_path)
        with open(log_path, "wb") as out:
            # its own session: a Ctrl-C on the terminal reaches the service, which passes
            # one SIGTERM on, rather than every process getting a SIGINT of its own
            try:
                child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
            except OSError as exc:
                return _finish(session, record, "failed", message=f"cannot start: {exc}")
            with _children_lock:
                _children.add(child)
            if _stopping.is_set():
                child.send_signal(signal.SIGTERM)
            try:
                code = child.wait()
            finally:
                with _children_lock:
                    _children.discard(child)
        run = run_portal_after(session, portal, before)
        detect_changes(session)
        if run is None:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            return _finish(session, record, "failed", exit_code=code,
                           message=tail.strip().splitlines()[-1] if tail.strip() else None)
        return _finish(session, record, run.status, exit_code=code,
                       crawl_run_id=run.crawl_run_id, changes=change_count(session, run))


def _finish(session, record: ScheduleRun, result: str, **fields) -> str:
    finish_schedule_run(session, record, result, **fields)
    # one line per run for the service's log: how it ended and where to look
    log.info("%s: %s (schedule run %s%s)", record.portal, result, record.id,
             "".join(f", {name.replace('_', ' ')} {value}" for name, value in fields.items()
                     if value is not None))
    return result


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)

