"""The store pipeline on its own, with a real Scrapy crawler object and a real SQLite file:
a report the database refuses is an error row with its URL, and the next one is stored."""

from __future__ import annotations

import asyncio
import sqlite3

from nianbao.crawler.items import DocumentItem
from scrapy.utils.test import get_crawler

from nianbao.pipeline import StorePipeline


def report_page() -> bytes:
    from nianbao.demo import load_seeds, render_report_html, report_title

    seed = load_seeds()[0]
    return (f"<html><head><meta charset='utf-8'><title>{report_title(seed)}</title></head>"
            f"<body>{render_report_html(seed)}</body></html>").encode()


def test_a_report_the_database_refuses_is_an_error_row_and_the_crawl_goes_on(tmp_path):
    db = tmp_path / "nianbao.sqlite"
    crawler = get_crawler(settings_dict={"NIANBAO_DB_URL": f"sqlite:///{db}",
                                         "NIANBAO_PARSE_PROCESSES": 0})
    pipeline = StorePipeline.from_crawler(crawler)  # creates the schema
    with sqlite3.connect(db) as connection:  # a database that refuses one report
        connection.execute("CREATE TRIGGER refuse BEFORE INSERT ON report "
                           "WHEN NEW.url LIKE '%/1.html' "
                           "BEGIN SELECT RAISE(ABORT, 'refused by the database'); END")

    def item(n: int, body: bytes) -> DocumentItem:
        return DocumentItem(portal="p", url=f"http://127.0.0.1/{n}.html", status=200,
                            content_type="text/html; charset=utf-8", body=body,
                            warc_record_id=None)

    async def run():
        await pipeline.process_item(item(1, report_page()))
        await pipeline.process_item(item(2, report_page()))

    try:
        asyncio.run(run())
    finally:
        pipeline.close_spider()
    with sqlite3.connect(db) as connection:
        errors = connection.execute("SELECT url, stage, message FROM error").fetchall()
        reports = connection.execute("SELECT url FROM report").fetchall()
    assert [(url, stage) for url, stage, _ in errors] == [("http://127.0.0.1/1.html", "store")]
    assert "refused by the database" in errors[0][2]
    assert reports == [("http://127.0.0.1/2.html",)]
