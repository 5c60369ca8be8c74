"""Shared parts of the fault tests (issue 16): a portal of report pages on loopback and the
check that nothing fetched was lost (the PostgreSQL cluster a test stops and starts
mid-crawl is tests/services.py's PostgresCluster)."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import create_engine, text
from warcio.archiveiterator import ArchiveIterator

from nianbao.demo import load_seeds, render_report_html

from .pages import PageServer

AGENCIES = ["人力资源和社会保障局", "民政局", "司法局", "文化和旅游局", "教育局",
            "财政局", "生态环境局", "住房和城乡建设局", "交通运输局", "农业农村局", "商务局",
            "卫生健康委员会", "应急管理局", "审计局", "市场监督管理局", "统计局",
            "医疗保障局", "城市管理委员会", "科学技术局", "水务局"]


def report_pages(count: int) -> tuple[dict, list[str]]:
    """A listing of ``count`` report pages (paths), and the pages themselves."""
    seed = next(s for s in load_seeds() if s.id == "000")
    body = render_report_html(seed)
    pages: dict = {"/robots.txt": (200, "text/plain", b"User-agent: *\nAllow: /\n")}
    paths, items = [], []
    for number in range(count):
        agency = AGENCIES[number % len(AGENCIES)]
        year = 2023 - number // len(AGENCIES)
        title = f"天津市东丽区{agency}{year}年政府信息公开工作年度报告"
        path = f"/art/{number:03d}.html"
        paths.append(path)
        items.append(f'<li><a href="{path}">{title}</a></li>')
        pages[path] = (200, "text/html; charset=utf-8",
                       f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
                       f"<h1>{title}</h1>{body}</body></html>".encode())
    pages["/"] = (200, "text/html; charset=utf-8",
                  f"<html><head><meta charset='utf-8'></head><body><ul>{''.join(items)}"
                  f"</ul></body></html>".encode())
    return pages, paths


class Portal:
    """The report portal, logging when each path was asked for."""

    def __init__(self, count: int, hook=None) -> None:
        pages, self.paths = report_pages(count)
        self.asked: list[tuple[float, str]] = []

        def before(path: str) -> None:
            self.asked.append((time.monotonic(), path))
            if hook is not None:
                hook(path, len(self.asked))

        self.server = PageServer(pages, before=before)
        self.host = self.server.host

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def close(self) -> None:
        self.server.close()


def warc_records(warc_dir: Path) -> dict[str, tuple[str, str]]:
    """record id -> (type, URL) of every response/revisit/resource record archived."""
    found = {}
    for path in sorted(Path(warc_dir).glob("*.warc*")):
        if path.name.endswith(".cdxj"):
            continue
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type in ("response", "revisit", "resource"):
                    head = record.rec_headers
                    found[head.get_header("WARC-Record-ID")] = (
                        record.rec_type, head.get_header("WARC-Target-URI"))
    return found


def assert_nothing_lost(data_dir: Path, db_url: str, report_urls: list[str]) -> None:
    """Every archived record has its fetch row (and no row lacks its record), every report
    page was fetched, archived and stored as a report exactly once."""
    records = warc_records(Path(data_dir) / "warc")
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT warc_record_id, url FROM \"fetch\" WHERE warc_record_id IS NOT NULL")).all()
            reports = connection.execute(text(
                "SELECT url, count(*) FROM report GROUP BY url")).all()
    finally:
        engine.dispose()
    row_ids = [r[0] for r in rows]
    assert len(row_ids) == len(set(row_ids))
    missing = {k: v for k, v in records.items() if k not in set(row_ids)}
    assert not missing, f"{len(missing)} archived records without a fetch row: " \
                        f"{list(missing.values())[:5]}"
    assert set(row_ids) <= set(records), "a fetch row names a record that is not archived"
    archived_urls = {url for _, url in records.values()}
    assert set(report_urls) <= archived_urls, set(report_urls) - archived_urls
    twice = {url: n for url, n in reports if n > 1}
    assert not twice, f"reports stored twice: {twice}"
    stored = {url for url, _ in reports}
    assert stored == set(report_urls), (set(report_urls) - stored, stored - set(report_urls))
