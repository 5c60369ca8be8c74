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

import parsers
from crawler import Portal, ReportSpider, crawl_settings
from scheduler.changes import record_portal_results
from store import Store
from store.apis import load_apis, save_apis

from . import __version__

CONTACT = "https://github.com/nianbao/nianbao"


@dataclass
class CrawlSummary:
    run_id: int
    status: str
    stats: dict
    portals: list[str]
    blocked: dict[str, str] = field(default_factory=dict)  # portal -> URL it was blocked at

    def total(self, name: str) -> int:
        return sum(self.stats.get(f"nianbao/{name}/{p}", 0) for p in self.portals)


def run_crawl(portals: list[Portal], *, data_dir: Path, db_url: str, command: str,
              progress: bool = True, extra_settings: dict | None = None) -> CrawlSummary:
    """Crawl, archive, parse and store; blocks until the crawl is over."""
    warc_dir = Path(data_dir) / "warc"
    warc_dir.mkdir(parents=True, exist_ok=True)
    with Store(db_url) as store:
        run_id = store.start_run(command)
        portal_ids = {p.name: store.portal_id(p.name, list(p.start_urls), list(p.allowed_hosts),
                                              p.agency) for p in portals}
        # discovery: list APIs learned by earlier crawls are asked directly (docs/discovery.md)
        apis = load_apis(store.session, portal_ids)
    contact = os.environ.get("NIANBAO_CONTACT", CONTACT)
    settings = crawl_settings(
        portals, warc_dir=str(warc_dir), version=__version__, contact=contact,
        warcinfo={"software": f"nianbao/{__version__} (parser {parsers.PARSER_VERSION})",
                  "format": "WARC File Format 1.0", "crawl-run": str(run_id),
                  "portals": ", ".join(p.name for p in portals),
                  # archive: who ran the crawl and how to reach them (README, The archive)
                  "operator": os.environ.get("NIANBAO_OPERATOR", "nianbao"),
                  "contact": contact},
        browser=os.environ.get("NIANBAO_BROWSER", "1") != "0",
    )
    settings["EXTENSIONS"] = {**settings.get("EXTENSIONS", {}),
                              "nianbao.progress.ProgressDisplay": 500}
    settings.update({
        "ITEM_PIPELINES": {"nianbao.pipeline.StorePipeline": 300},
        "NIANBAO_DB_URL": db_url,
        "NIANBAO_RUN_ID": run_id,
        "NIANBAO_PORTAL_IDS": portal_ids,
        "NIANBAO_PROGRESS": progress,
        # PDF and Word documents are parsed in worker processes (nianbao/parsing.py)
        "NIANBAO_PARSE_PROCESSES": int(os.environ.get("NIANBAO_PARSE_PROCESSES", "1")),
        "NIANBAO_PARSE_TIMEOUT": float(os.environ.get("NIANBAO_PARSE_TIMEOUT", "300")),
    })
    settings.update(extra_settings or {})
    for portal in portals:
        if not portal.options.get("obey_robots", True):
            logging.getLogger("nianbao.crawl").warning(
                "portal %s: robots.txt is NOT obeyed (obey_robots = false in its config)",
                portal.name)
    # Scrapy's cookie handling asks tldextract, which tries to refresh the public suffix
    # list over the network and warns when it cannot; its bundled copy is what we want.
    logging.getLogger("tldextract").setLevel(logging.ERROR)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ReportSpider)
    process.crawl(crawler, portals=portals, frontier=str(Path(data_dir) / "frontier.sqlite"),
                  warc_dir=str(warc_dir), apis=apis)
    # Everything loaded so far (Scrapy, the parsers' tables, the archive index) lives as
    # long as the crawl: out of the collector's way, full collections stay short.
    gc.freeze()
    process.start()
    stats = crawler.stats.get_stats()
    status = "completed" if stats.get("finish_reason") == "finished" else "interrupted"
    blocked = dict(getattr(crawler.spider, "blocked", {}) or {})
    summary = CrawlSummary(run_id, status, stats, list(portal_ids), blocked)
    with Store(db_url) as store:
        spider = crawler.spider
        save_apis(store.session, portal_ids, getattr(spider, "learned", {}) or {}, run_id,
                  getattr(spider, "forgotten", {}) or {})
        store.finish_run(run_id, status, pages=summary.total("pages"),
                         documents=summary.total("documents"), reports=summary.total("reports"),
                         errors=summary.total("errors"))
        # scheduler: how the run went per portal; change detection only infers "removed"
        # from a portal crawled to the end without errors
        record_portal_results(store.session, run_id, status, portal_ids, stats)
    return summary
