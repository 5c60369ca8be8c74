"""`nianbao schedule run|list|run-now|history`: yearly re-crawls with change detection."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from ..errors import ConfigError
from .common import add_data_options, db_url


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("schedule", help="re-crawl portals on a yearly schedule")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    run = actions.add_parser("run", help="run the scheduler in the foreground (SIGTERM or "
                                         "Ctrl-C stops it cleanly)")
    add_data_options(run)
    run.add_argument("--config", required=True, type=Path)
    run.add_argument("--max-workers", type=int, default=4,
                     help="portals crawled at the same time (default %(default)s)")
    run.set_defaults(func=run_service)

    listing = actions.add_parser("list", help="jobs, their last and next run, last result")
    add_data_options(listing)
    listing.add_argument("--config", type=Path,
                         help="bring the stored jobs in line with this config first")
    listing.add_argument("--format", choices=("table", "jsonl"), default="table")
    listing.set_defaults(func=list_jobs)

    now = actions.add_parser("run-now", help="crawl one portal now, then detect changes")
    add_data_options(now)
    now.add_argument("portal")
    now.add_argument("--config", required=True, type=Path)
    now.set_defaults(func=run_now)

    history = actions.add_parser("history", help="past crawl runs per portal")
    add_data_options(history)
    history.add_argument("--portal")
    history.add_argument("--limit", type=int, default=50)
    history.add_argument("--format", choices=("table", "jsonl"), default="table")
    history.set_defaults(func=show_history)


def _jobs(args: argparse.Namespace) -> list:
    return config_jobs(args.config, args.data_dir, args.db)


def config_jobs(config: Path, data_dir: Path, db: str | None = None) -> list:
    """The scheduler's jobs for a config file: each portal's schedule (its own crontab line,
    or the default yearly window) and the `nianbao crawl` command that crawls it alone."""
    from nianbao.scheduler.jobs import DEFAULT_SCHEDULE, PortalJob

    from ..config import load_config

    config = Path(config).resolve()
    return [PortalJob(p.name, p.options.get("schedule") or DEFAULT_SCHEDULE,
                      tuple(_crawl_argv(config, p.name, Path(data_dir), db)))
            for p in load_config(config)]


def _crawl_argv(config: Path, portal: str, data_dir: Path, db: str | None) -> list[str]:
    """`nianbao crawl` for one portal, in a process of its own."""
    argv = [sys.executable, "-m", "nianbao.cli", "crawl", "--config", str(config),
            "--portal", portal, "--data-dir", str(data_dir.resolve()), "--no-progress"]
    # an explicit --db is passed on; NIANBAO_DB_URL reaches the child through its environment
    return argv + ["--db", db] if db else argv


def _state_dir(args: argparse.Namespace) -> Path:
    return args.data_dir.resolve() / "schedule"


def run_service(args: argparse.Namespace) -> int:
    from rich.console import Console

    from nianbao.scheduler.jobs import make_scheduler, stop_crawls, sync_jobs

    url = db_url(args)
    jobs = _jobs(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # each Store checks migrations
    console = Console(stderr=True)
    scheduler = make_scheduler(url, max_workers=args.max_workers)
    scheduler.start(paused=True)
    outcome = sync_jobs(scheduler, jobs, db_url=url, state_dir=_state_dir(args))
    for job in scheduler.get_jobs():
        console.print(f"{job.name}: {outcome.get(job.name, 'kept')}, next run "
                      f"{_when(job.next_run_time)}")

    stop = threading.Event()

    def on_signal(signum, _frame) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    console.print("scheduler running; SIGTERM or Ctrl-C stops it")
    scheduler.resume()  # a run missed while the machine was down starts now, once
    while not stop.wait(1.0):
        pass
    asked = stop_crawls(signal.SIGTERM)
    console.print(f"stopping: asked {asked} crawl{'s' if asked != 1 else ''} to finish the "
                  f"pages in flight and stop")
    scheduler.shutdown(wait=True)
    console.print("stopped")
    return 0


def run_now(args: argparse.Namespace) -> int:
    from rich.console import Console

    from nianbao.scheduler.changes import list_changes
    from nianbao.scheduler.jobs import crawl_job, stop_crawls
    from nianbao.store import Store
    from nianbao.store.schedule import last_schedule_runs

    url = db_url(args)
    jobs = {job.portal: job for job in _jobs(args)}
    if args.portal not in jobs:
        raise ConfigError(f"no portal named {args.portal} in {args.config}")
    job = jobs[args.portal]
    signal.signal(signal.SIGTERM, lambda signum, _frame: stop_crawls(signum))
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop_crawls(signal.SIGTERM))
    result = crawl_job(job.portal, list(job.argv), url, str(_state_dir(args)),
                       schedule=job.schedule, trigger="run-now")
    console = Console()
    with Store(url, upgrade=True) as store:
        record = last_schedule_runs(store.session).get(job.portal)
        console.print(f"{job.portal}: {result}"
                      + (f" (crawl run {record.crawl_run_id}, {record.changes} changes)"
                         if record and record.crawl_run_id else "")
                      + (f": {record.message}" if record and record.message else ""))
        if record and record.crawl_run_id:
            for change in list_changes(store.session, crawl_run=record.crawl_run_id):
                console.print(f"  {change['kind']}: {change['agency']} {change['year']}",
                              markup=False)
    return 0 if result == "completed" else 1


def list_jobs(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from nianbao.scheduler.changes import crawl_history
    from nianbao.scheduler.jobs import job_schedule, make_scheduler, sync_jobs
    from nianbao.store import Store
    from nianbao.store.schedule import last_schedule_runs

    url = db_url(args)
    scheduler = make_scheduler(url)
    scheduler.start(paused=True)  # paused: nothing runs, the jobs are only read
    try:
        if args.config is not None:
            sync_jobs(scheduler, _jobs(args), db_url=url, state_dir=_state_dir(args))
        jobs = scheduler.get_jobs()
    finally:
        scheduler.shutdown(wait=False)
    rows = []
    with Store(url, upgrade=True) as store:
        last = last_schedule_runs(store.session)
        for job in jobs:
            record = last.get(job.name)
            crawl = next(iter(crawl_history(store.session, portal=job.name, limit=1)), None)
            rows.append({
                "portal": job.name, "schedule": job_schedule(job),
                "next_run": _when(job.next_run_time),
                "last_run": _iso(record.started_at) if record else None,
                "last_result": record.result if record else None,
                "last_changes": record.changes if record else None,
                "last_crawl": crawl,
            })
    if args.format == "jsonl":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    table = Table(title="scheduled re-crawls (times in Asia/Shanghai)")
    for column in ("portal", "schedule", "next run", "last run", "result", "changes",
                   "last crawl"):
        table.add_column(column)
    for row in rows:
        crawl = row["last_crawl"]
        table.add_row(row["portal"], row["schedule"], row["next_run"] or "paused",
                      _short(row["last_run"]) or "never", row["last_result"] or "",
                      str(row["last_changes"] if row["last_changes"] is not None else ""),
                      f"#{crawl['crawl_run']} {crawl['status']}: {crawl['pages']} pages, "
                      f"{crawl['reports']} reports, {crawl['errors']} errors" if crawl else "")
    Console().print(table)
    if not rows:
        print("no jobs stored; `nianbao schedule list --config FILE` or `schedule run` adds them")
    return 0


def show_history(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from nianbao.scheduler.changes import crawl_history
    from nianbao.store import Store

    with Store(db_url(args), upgrade=True) as store:
        rows = crawl_history(store.session, portal=args.portal, limit=args.limit)
    if args.format == "jsonl":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    table = Table(title="crawl runs")
    for column in ("run", "portal", "command", "started", "finished", "status", "pages",
                   "documents", "reports", "errors", "changes"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["crawl_run"]), row["portal"], row["command"],
                      _short(row["started_at"]), _short(row["finished_at"]), row["status"],
                      *(str(row[k]) for k in ("pages", "documents", "reports", "errors",
                                              "changes")))
    Console().print(table)
    return 0


def _short(iso: str | None) -> str:
    """An ISO UTC time as 'YYYY-MM-DD HH:MMZ', for tables."""
    return f"{iso[:10]} {iso[11:16]}Z" if iso else ""


def _when(value) -> str | None:
    return value.isoformat(sep=" ", timespec="minutes") if value is not None else None


def _iso(value) -> str | None:
    from nianbao.scheduler.changes import iso_utc

    return iso_utc(value)
