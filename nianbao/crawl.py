"""Running one crawl: Scrapy wired to the archive, the parser and the database.

The crawl's frontier lives in ``DATA_DIR/frontier.sqlite``: a crawl that was killed
continues where it stopped when run again (see ``crawler.frontier``).
"""

from __future__ import annotations

import gc
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.crawler import CrawlerProcess

from nianbao import parsers
from nianbao.crawler import Portal, ReportSpider, crawl_settings
from nianbao.crawler.frontier import claim_frontier
from nianbao.scheduler.changes import record_portal_results
from nianbao.store import Store
from nianbao.store.apis import load_apis, save_apis
from nianbao.store.retry import DatabaseUnavailable, RetryingStore

from . import __version__, logs

CONTACT = "https://github.com/nianbao/nianbao"
DB_RETRY_SECONDS = 120.0  # how long writes are retried before the crawl stops


@dataclass
class CrawlSummary:
    run_id: int
    status: str
    stats: dict
    portals: list[str]
    blocked: dict[str, str] = field(default_factory=dict)  # portal -> URL it was blocked at
    start_failures: dict[str, str] = field(default_factory=dict)  # portal -> why
    reason: str | None = None  # why the run was interrupted, in one line
    recovered_rows: int = 0  # fetch rows added for records an earlier run left without one

    def total(self, name: str) -> int:
        return sum(self.stats.get(f"nianbao/{name}/{p}", 0) for p in self.portals)

    def failures(self) -> dict[str, str]:
        """Each portal that failed or was cut short, with why (the crawl then exits 1)."""
        failed: dict[str, str] = {}
        for name in self.portals:
            unfinished = sum(self.stats.get(f"nianbao/frontier_{state}/{name}", 0)
                             for state in ("queued", "fetched"))
            if name in self.blocked:
                failed[name] = f"blocked at {self.blocked[name]}"
            elif name in self.start_failures:
                failed[name] = self.start_failures[name]
            elif self.status != "completed" and (unfinished or not any(
                    k.startswith("nianbao/frontier_") and k.endswith(f"/{name}")
                    for k in self.stats)):
                failed[name] = f"cut short ({unfinished} URLs left for the next run): " \
                    f"{self.reason or self.status}"
            elif not (self.stats.get(f"nianbao/pages/{name}")
                      or self.stats.get(f"nianbao/frontier_done/{name}")):
                refused = self.stats.get(f"nianbao/out_of_scope_urls/{name}") or []
                failed[name] = ("no page was fetched" + (
                    f": it led out of scope, to {refused[0]}" if refused else ""))
        return failed


def run_crawl(portals: list[Portal], *, data_dir: Path, db_url: str, command: str,
              progress: bool = True, extra_settings: dict | None = None,
              debug: bool = False) -> CrawlSummary:
    """Crawl, archive, parse and store; blocks until the crawl is over."""
    warc_dir = Path(data_dir) / "warc"
    warc_dir.mkdir(parents=True, exist_ok=True)
    distributed = bool((extra_settings or {}).get("REDIS_URL"))  # a crawler.cluster worker
    if not distributed:  # another live crawl of these portals here is not a killed one
        claim_frontier(Path(data_dir) / "frontier.sqlite", [p.name for p in portals])
    retry_seconds = float(os.environ.get("NIANBAO_DB_RETRY_SECONDS", DB_RETRY_SECONDS))
    # a command that writes brings the schema up to date
    with RetryingStore(Store(db_url, upgrade=True), seconds=retry_seconds) as store:
        run_id = store.start_run(command)
        portal_ids = {p.name: store.portal_id(p.name, list(p.start_urls), list(p.allowed_hosts),
                                              p.agency) for p in portals}
        recovered = add_missing_fetch_rows(store, warc_dir, run_id, portals, portal_ids)
        # discovery: list APIs learned by earlier crawls are asked directly (docs/discovery.md)
        apis = store.run(lambda: load_apis(store.session, portal_ids), "reading learned APIs")
    contact = os.environ.get("NIANBAO_CONTACT", CONTACT)
    settings = crawl_settings(
        portals, warc_dir=str(warc_dir), version=__version__, contact=contact,
        warcinfo={"software": f"nianbao/{__version__} (parser {parsers.PARSER_VERSION})",
                  "format": "WARC File Format 1.0", "crawl-run": str(run_id),
                  "portals": ", ".join(p.name for p in portals),
                  # archive: who ran the crawl and how to reach them (docs/archive.md)
                  "operator": os.environ.get("NIANBAO_OPERATOR", "nianbao"),
                  "contact": contact},
        browser=os.environ.get("NIANBAO_BROWSER", "1") != "0",
    )
    settings["EXTENSIONS"] = {**settings.get("EXTENSIONS", {}),
                              "nianbao.progress.ProgressDisplay": 500,
                              "nianbao.progress.StatsLog": 501}
    settings.update({
        "ITEM_PIPELINES": {"nianbao.pipeline.StorePipeline": 300},
        "NIANBAO_DB_URL": db_url,
        "NIANBAO_RUN_ID": run_id,
        "NIANBAO_PORTAL_IDS": portal_ids,
        "NIANBAO_PROGRESS": progress,
        # PDF and Word documents are parsed in worker processes (nianbao/parsing.py)
        "NIANBAO_PARSE_PROCESSES": int(os.environ.get("NIANBAO_PARSE_PROCESSES", "1")),
        "NIANBAO_PARSE_TIMEOUT": float(os.environ.get("NIANBAO_PARSE_TIMEOUT", "300")),
        "NIANBAO_DB_RETRY_SECONDS": retry_seconds,
    })
    settings.update(extra_settings or {})
    settings.update(logs.scrapy_settings())  # --loglevel, --logfile, -s NAME=VALUE
    for portal in portals:
        if not portal.options.get("obey_robots", True):
            logging.getLogger("nianbao.crawl").warning(
                "portal %s: robots.txt is NOT obeyed (obey_robots = false in its config)",
                portal.name)
    # Scrapy's cookie handling asks tldextract, which fetches the public suffix list from
    # publicsuffix.org when its cache is empty: a request to a host no portal allows. Its
    # bundled copy is what we want (crawler.scope: nothing outside allowed_hosts).
    logging.getLogger("tldextract").setLevel(logging.ERROR)
    _offline_public_suffixes()
    process = CrawlerProcess(settings)
    if not debug:
        # (a factory, not a handler filter: Scrapy installs its log handler again per crawler)
        logging.setLogRecordFactory(_one_line_records(logging.getLogRecordFactory()))
    crawler = process.create_crawler(ReportSpider)
    start_failures = _watch_start_urls(crawler, portals)
    process.crawl(crawler, portals=portals, frontier=str(Path(data_dir) / "frontier.sqlite"),
                  warc_dir=str(warc_dir), apis=apis)
    # Everything loaded so far (Scrapy, the parsers' tables, the archive index) lives as
    # long as the crawl: out of the collector's way, full collections stay short.
    gc.freeze()
    process.start()
    stats = crawler.stats.get_stats()
    status = "completed" if stats.get("finish_reason") == "finished" else "interrupted"
    reason = stats.get("nianbao/interrupted_reason")
    if status != "completed" and not reason:
        reason = f"the crawl ended early ({stats.get('finish_reason', 'unknown')})"
    blocked = dict(getattr(crawler.spider, "blocked", {}) or {})
    summary = CrawlSummary(run_id, status, stats, list(portal_ids), blocked,
                           dict(start_failures), reason, recovered)
    # A worker saw part of each portal: never a run to infer removals from.
    recorded = "worker" if distributed else status
    spider = crawler.spider
    learned = getattr(spider, "learned", {}) or {}
    forgotten = getattr(spider, "forgotten", {}) or {}
    try:
        with RetryingStore.open(lambda: Store(db_url), seconds=retry_seconds) as store:
            store.run(lambda: save_apis(store.session, portal_ids, learned, run_id, forgotten),
                      "saving learned APIs")
            store.finish_run(run_id, status, pages=summary.total("pages"),
                             documents=summary.total("documents"),
                             reports=summary.total("reports"), errors=summary.total("errors"))
            # scheduler: how the run went per portal; change detection only infers
            # "removed" from a portal crawled to the end without errors
            store.run(lambda: record_portal_results(store.session, run_id, recorded,
                                                    portal_ids, stats), "run results")
    except DatabaseUnavailable as exc:
        summary.status = "interrupted"
        summary.reason = summary.reason or f"the run's end was not recorded: {exc}"
    return summary


def add_missing_fetch_rows(store: RetryingStore, warc_dir: Path, run_id: int, portals: list[Portal],
                           portal_ids: dict[str, int]) -> int:
    """A fetch row for every archived record that has none (an earlier run lost its
    database, or was killed, between writing a record and its row); returns how many.

    Files are compared by their number of records first, so only a file with a record
    missing is read. The replayed frontier then parses the documents among them.
    """
    from nianbao.archive.index import read_index
    from nianbao.archive.reader import read_headers
    from nianbao.archive.recovery import recover_open_files
    from nianbao.store.reconcile import fetch_rows_per_file, fetched_offsets

    recover_open_files(warc_dir)  # a killed run's records join the index first
    per_file: dict[str, int] = {}
    for entry in read_index(warc_dir):
        per_file[entry.filename] = per_file.get(entry.filename, 0) + 1
    rows = store.run(lambda: fetch_rows_per_file(store.session), "reading fetch rows")
    short = {name for name, count in per_file.items() if rows.get(name, 0) < count}
    added = 0
    known: dict[str, set[int]] = {}
    for entry in read_index(warc_dir) if short else ():
        name = entry.filename
        if name not in short:
            continue
        if name not in known:
            known[name] = store.run(lambda name=name: fetched_offsets(store.session, name),
                                    "reading fetch rows")
        if entry.offset in known[name]:
            continue
        head = read_headers(warc_dir, name, entry.offset)
        portal = next((p.name for p in portals if p.allows(entry.url)), None)
        method, request_id = _request_of(warc_dir, name, entry.offset + entry.length,
                                         head.get("WARC-Record-ID"))
        store.add_fetch(
            crawl_run_id=run_id, portal_id=portal_ids.get(portal), url=entry.url,
            method=method, status=int(entry.status) if entry.status else None,
            content_type=entry.mime if entry.record_type == "response" else None,
            payload_digest=head.get("WARC-Payload-Digest"), warc_file=name,
            warc_offset=entry.offset, warc_length=entry.length,
            warc_record_id=head.get("WARC-Record-ID"), request_record_id=request_id,
            fetched_at=_warc_time(head.get("WARC-Date")), record_type=entry.record_type,
            refers_to_record_id=head.get("WARC-Refers-To"))
        added += 1
    if added:
        logging.getLogger("nianbao.crawl").warning(
            "%d archived records had no fetch row (an earlier run was cut short): added",
            added)
    return added


def _request_of(warc_dir: Path, name: str, offset: int,
                record_id: str | None) -> tuple[str, str | None]:
    """(method, record id) of the request record written right after a response."""
    from nianbao.archive.reader import resolve_path

    try:
        from warcio.archiveiterator import ArchiveIterator

        with open(resolve_path(warc_dir, name), "rb") as fh:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh)))
            if (record.rec_type == "request"
                    and record.rec_headers.get_header("WARC-Concurrent-To") == record_id):
                method = (record.http_headers.protocol or "GET").split(" ")[0]
                return method, record.rec_headers.get_header("WARC-Record-ID")
    except (OSError, StopIteration, ValueError):
        pass
    return "GET", None


def _warc_time(value: str | None):
    from datetime import datetime

    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)


def _one_line_records(factory):
    """Log records made without their traceback (a download error, a failed signal
    handler): the exception's own line is kept; --debug keeps everything."""
    def make(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            message = record.getMessage()
            if str(error) not in message:
                message = f"{message} ({type(error).__name__}: {error})"
            record.msg, record.args = message, None
            record.exc_info = record.exc_text = None
        return record
    return make


def _offline_public_suffixes() -> None:
    from scrapy.downloadermiddlewares import cookies
    from tldextract import TLDExtract

    if hasattr(cookies, "_split_domain"):
        cookies._split_domain = TLDExtract(include_psl_private_domains=True,
                                           suffix_list_urls=())


def _watch_start_urls(crawler, portals: list[Portal]) -> dict[str, str]:
    """Portals whose start URL could not be fetched (an error, 4xx/5xx), with why: such a
    portal failed, whatever else the crawl did."""
    from scrapy import signals

    from nianbao.crawler.items import FailureItem

    starts = {url: p.name for p in portals for url in p.start_urls}
    failed: dict[str, str] = {}

    def seen(item, response=None, spider=None) -> None:
        if isinstance(item, FailureItem) and item.url in starts and item.stage != "parse":
            failed.setdefault(starts[item.url], f"start URL {item.url}: {item.message}")

    crawler.signals.connect(seen, signal=signals.item_scraped, weak=False)
    crawler.signals.connect(seen, signal=signals.item_error, weak=False)
    return failed
