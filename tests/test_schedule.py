"""The scheduler on a controlled clock: the yearly window fires when it should, the jobs
survive a restart, a missed window is caught up once, and one portal is crawled once at a
time. The clock is time-machine's; the scheduler is APScheduler's own, stepped by hand."""

from __future__ import annotations

import fcntl
import json
import sys
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.base import BaseScheduler
from nianbao.scheduler.jobs import (
    DEFAULT_SCHEDULE,
    TIMEZONE,
    PortalJob,
    crawl_job,
    cron_trigger,
    make_scheduler,
    sync_jobs,
)
from nianbao.store.models import ScheduleRun
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from nianbao.config import ConfigError, parse_config

from .conftest import run_nianbao

# A job that starts a process which does nothing: the firing is what these tests look at.
NOOP = (sys.executable, "-c", "pass")


class SteppedScheduler(BaseScheduler):
    """APScheduler with no thread and no clock of its own: ``step()`` runs what is due at
    the (patched) current time, in the calling thread."""

    def _create_default_executor(self):
        return DebugExecutor()

    def wakeup(self):
        pass

    def shutdown(self, wait=True):
        super().shutdown(wait)

    def step(self) -> None:
        self._process_jobs()


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=TIMEZONE)


def start(db_url: str, tmp_path, jobs: list[PortalJob]) -> tuple[SteppedScheduler, dict]:
    scheduler = make_scheduler(db_url, scheduler_class=SteppedScheduler,
                               executor=DebugExecutor())
    scheduler.start(paused=True)
    outcome = sync_jobs(scheduler, jobs, db_url=db_url, state_dir=tmp_path / "schedule")
    scheduler.resume()
    return scheduler, outcome


def fired(db_url: str) -> list[datetime]:
    """When each job run started (UTC, as stored), oldest first."""
    with Session(create_engine(db_url)) as session:
        return list(session.scalars(select(ScheduleRun.started_at).order_by(ScheduleRun.id)))


def utc(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None)


def mondays_feb_to_may(year: int) -> list[datetime]:
    day, out = shanghai(year, 2, 1, 3, 0), []
    while day.month <= 5:
        if day.weekday() == 0:
            out.append(day)
        day += timedelta(days=1)
    return out


@pytest.fixture()
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'nianbao.sqlite'}"


def test_default_window_fires_every_monday_from_february_to_may(db_url, tmp_path):
    expected = mondays_feb_to_may(2025)
    assert len(expected) == 17 and expected[0] == shanghai(2025, 2, 3, 3, 0)
    with time_machine.travel(shanghai(2025, 1, 10, 12, 0), tick=False) as clock:
        scheduler, outcome = start(db_url, tmp_path, [PortalJob("p", DEFAULT_SCHEDULE, NOOP)])
        assert outcome == {"p": "added"}
        for when in expected:
            job = scheduler.get_job("crawl:p")
            assert job.next_run_time == when
            clock.move_to(when - timedelta(minutes=1))
            scheduler.step()  # a minute early: nothing
            assert len(fired(db_url)) == expected.index(when)
            clock.move_to(when)
            scheduler.step()
            scheduler.step()  # a second look at the same moment runs nothing more
        # after the last Monday of May, nothing until February next year
        assert scheduler.get_job("crawl:p").next_run_time == shanghai(2026, 2, 2, 3, 0)
        clock.move_to(shanghai(2025, 12, 31, 23, 59))
        scheduler.step()
        scheduler.shutdown()
    assert fired(db_url) == [utc(w) for w in expected]


def test_jobs_survive_a_restart_and_a_missed_window_runs_once(db_url, tmp_path):
    jobs = [PortalJob("p", DEFAULT_SCHEDULE, NOOP), PortalJob("q", "30 4 1 3 *", NOOP)]
    with time_machine.travel(shanghai(2025, 1, 10, 12, 0), tick=False) as clock:
        scheduler, _ = start(db_url, tmp_path, jobs)
        scheduler.shutdown()  # the process ends...

        # ...and the machine is off from 10 January to 20 March: seven Mondays of the
        # window and q's 1 March are missed.
        clock.move_to(shanghai(2025, 3, 20, 12, 0))
        scheduler, outcome = start(db_url, tmp_path, jobs)
        assert outcome == {"p": "kept", "q": "kept"}
        # still the stored, missed times: the restart did not reschedule them
        assert scheduler.get_job("crawl:p").next_run_time == shanghai(2025, 2, 3, 3, 0)
        assert scheduler.get_job("crawl:q").next_run_time == shanghai(2025, 3, 1, 4, 30)
        scheduler.step()
        scheduler.step()
        assert fired(db_url) == [utc(shanghai(2025, 3, 20, 12, 0))] * 2  # once each
        assert scheduler.get_job("crawl:p").next_run_time == shanghai(2025, 3, 24, 3, 0)
        assert scheduler.get_job("crawl:q").next_run_time == shanghai(2026, 3, 1, 4, 30)

        # a whole missed window, caught up once in October, then back to the yearly rhythm
        scheduler.shutdown()
        clock.move_to(shanghai(2025, 10, 1, 9, 0))
        scheduler, _ = start(db_url, tmp_path, jobs)
        scheduler.step()
        scheduler.step()
        assert len(fired(db_url)) == 3
        assert scheduler.get_job("crawl:p").next_run_time == shanghai(2026, 2, 2, 3, 0)

        # a changed schedule replaces the job; a portal gone from the config loses its job
        outcome = sync_jobs(scheduler, [PortalJob("p", "0 6 * 2-5 3", NOOP)], db_url=db_url,
                            state_dir=tmp_path / "schedule")
        assert outcome == {"p": "replaced", "q": "removed"}
        assert [j.id for j in scheduler.get_jobs()] == ["crawl:p"]
        assert scheduler.get_job("crawl:p").next_run_time == shanghai(2026, 2, 4, 6, 0)
        scheduler.shutdown()

    # another process reads the same stored job and its next run
    out = run_nianbao("schedule", "list", "--db", db_url, "--data-dir", str(tmp_path),
                      "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    (row,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert row["portal"] == "p" and row["schedule"] == "0 6 * 2-5 3"
    assert row["next_run"] == "2026-02-04 06:00+08:00"
    assert row["last_result"] == "failed"  # the no-op started no crawl run, and says so


def test_one_crawl_per_portal_at_a_time(db_url, tmp_path):
    state = tmp_path / "schedule"
    (state / "locks").mkdir(parents=True)
    with open(state / "locks" / "p.lock", "w") as held:  # a crawl of p is running
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert crawl_job("p", list(NOOP), db_url, str(state)) == "skipped"
        assert crawl_job("q", list(NOOP), db_url, str(state)) == "failed"  # q is free
    assert crawl_job("p", list(NOOP), db_url, str(state)) == "failed"
    with Session(create_engine(db_url)) as session:
        rows = session.scalars(select(ScheduleRun).order_by(ScheduleRun.id)).all()
    assert [(r.portal, r.result) for r in rows] == [("p", "skipped"), ("q", "failed"),
                                                    ("p", "failed")]
    assert "already running" in rows[0].message


@pytest.mark.parametrize(("line", "first_runs"), [
    ("0 3 * * 1", ["2025-01-13 03:00", "2025-01-20 03:00"]),  # crontab 1 = Monday
    ("0 3 * * 0", ["2025-01-12 03:00", "2025-01-19 03:00"]),  # 0 = Sunday
    ("0 3 * * 7", ["2025-01-12 03:00", "2025-01-19 03:00"]),  # 7 = Sunday too
    ("15 8 * * 5-7", ["2025-01-10 08:15", "2025-01-11 08:15", "2025-01-12 08:15"]),
    ("0 0 * * */3", ["2025-01-11 00:00", "2025-01-12 00:00", "2025-01-15 00:00"]),  # 0,3,6
    ("0 3 1 2,3 *", ["2025-02-01 03:00", "2025-03-01 03:00"]),
])
def test_crontab_lines_mean_what_crontab_means(line, first_runs):
    trigger = cron_trigger(line)
    now, runs = shanghai(2025, 1, 10, 0, 0), []
    previous = None
    for _ in first_runs:
        previous = trigger.get_next_fire_time(previous, now)
        runs.append(previous.strftime("%Y-%m-%d %H:%M"))
        now = previous + timedelta(seconds=1)
    assert runs == first_runs


def test_config_schedule_key():
    base = ('[[portal]]\nname = "p"\nstart_urls = ["http://127.0.0.1:9/"]\n'
            'allowed_hosts = ["127.0.0.1:9"]\n')
    (portal,) = parse_config(base + 'schedule = "0 4 * 3-6 2"\n')
    assert portal.options["schedule"] == "0 4 * 3-6 2"
    (portal,) = parse_config(base)
    assert "schedule" not in portal.options
    with pytest.raises(ConfigError, match=r":5: bad schedule 'weekly'"):
        parse_config(base + 'schedule = "weekly"\n')
    with pytest.raises(ConfigError, match=r":5: bad schedule '0 3 \* \* 9'"):
        parse_config(base + 'schedule = "0 3 * * 9"\n')
    with pytest.raises(ConfigError, match="unknown key 'schedules'"):
        parse_config(base + 'schedules = "0 3 * * 1"\n')
