"""A live table of the crawl, per portal, drawn from Scrapy's stats (rich); off a terminal,
periodic stats lines in the log instead."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.live import Live
from rich.table import Table
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

COLUMNS = ("pages", "documents", "reports", "checks_failed", "errors", "challenges", "blocked",
           # discovery (docs/discovery.md): browser renders, list APIs learned, and the
           # deepest list page reached (API page, pager state or numbered list page)
           "renders", "apis_learned", "deepest_page")


def portal_table(stats: dict, portals: list[str], title: str = "nianbao crawl") -> Table:
    table = Table(title=title)
    table.add_column("portal", no_wrap=True)
    for column in COLUMNS:
        table.add_column(column.replace("_", " "), justify="right")
    for name in portals:
        table.add_row(name, *(str(stats.get(f"nianbao/{c}/{name}", 0)) for c in COLUMNS))
    return table


class ProgressDisplay:
    def __init__(self, crawler: Crawler, portals: list[str]) -> None:
        self.crawler = crawler
        self.portals = portals
        self.live: Live | None = None
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressDisplay:
        if not crawler.settings.getbool("NIANBAO_PROGRESS"):
            raise NotConfigured
        display = cls(crawler, list(crawler.settings.getdict("NIANBAO_PORTAL_IDS")))
        crawler.signals.connect(display.opened, signal=signals.spider_opened)
        crawler.signals.connect(display.closed, signal=signals.spider_closed)
        return display

    def _render(self) -> Table:
        return portal_table(self.crawler.stats.get_stats(), self.portals)

    def opened(self) -> None:
        self.live = Live(self._render(), console=Console(stderr=True), refresh_per_second=4,
                         transient=True)
        self.live.start()
        self.loop = task.LoopingCall(lambda: self.live.update(self._render()))
        self.loop.start(0.25)

    def closed(self) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.live:
            self.live.stop()


class StatsLog:
    """Off a terminal, a log line every NIANBAO_STATS_INTERVAL seconds (default 60): pages
    per minute, documents, reports and errors so far, as Scrapy's LogStats does for pages.
    On a terminal the live table shows the same, so nothing is logged."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.portals = list(crawler.settings.getdict("NIANBAO_PORTAL_IDS"))
        self.loop: task.LoopingCall | None = None
        self.pages_before = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsLog:
        interval = crawler.settings.getfloat("NIANBAO_STATS_INTERVAL", 60.0)
        if crawler.settings.getbool("NIANBAO_PROGRESS") or interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def totals(self) -> dict[str, int]:
        stats = self.crawler.stats.get_stats()
        return {c: sum(stats.get(f"nianbao/{c}/{p}", 0) for p in self.portals)
                for c in ("pages", "documents", "reports", "errors")}

    def opened(self) -> None:
        self.loop = task.LoopingCall(self.log)
        self.loop.start(self.interval, now=False)

    def log(self) -> None:
        totals = self.totals()
        rate = (totals["pages"] - self.pages_before) * 60.0 / self.interval
        self.pages_before = totals["pages"]
        logging.getLogger("nianbao.stats").info(
            "%d pages (at %.0f pages/min), %d documents, %d reports, %d errors",
            totals["pages"], rate, totals["documents"], totals["reports"], totals["errors"])

    def closed(self) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        self.log()
