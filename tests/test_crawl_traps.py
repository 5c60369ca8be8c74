"""Traps are bounded and reported: endless pagination with session ids in its URLs stops
at the portal's page bound, each page is fetched once, and the summary says what was cut."""

from __future__ import annotations

import re
import sqlite3

from nianbao.demo.server import Resource, Site, SiteServer

from .conftest import run_nianbao, write_portal_config


def endless_site() -> Site:
    def handler(method, target, headers, body):
        match = re.match(r"^/list/index_(\d+)\.html", target)
        if target.startswith("/list/index.html"):
            n = 0
        elif match:
            n = int(match.group(1))
        else:
            return None
        # a calendar-like list: always a next page, and a session id in every link
        page = (f'<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head>'
                f'<body><a href="/list/index_{n + 1}.html;jsessionid=S{n}">下一页</a>'
                f'<a href="/list/index_{n + 1}.html?JSESSIONID=T{n}">下一页</a></body></html>')
        return Resource(200, (("Content-Type", "text/html; charset=utf-8"),), page.encode())

    robots = Resource(200, (("Content-Type", "text/plain"),), b"User-agent: *\nAllow: /\n")
    return Site({"/robots.txt": robots}, Resource(404, (), b""), server_header="trap",
                handler=handler)


def test_endless_pagination_is_bounded_and_reported(tmp_path):
    server = SiteServer(endless_site())
    server.start()
    try:
        config = tmp_path / "portals.toml"
        write_portal_config(config, "trap", f"http://{server.host}/list/index.html", server.host,
                            requests_per_second=100.0, max_pages=12)
        result = run_nianbao("crawl", "--config", str(config), "--data-dir", str(tmp_path),
                             "--no-progress")
        log = [t for _, t in server.site.request_log if t != "/robots.txt"]
    finally:
        server.close()
    assert result.returncode == 0, result.stderr
    assert len(log) == 12
    # the session ids are stripped: each page once, by its plain URL
    assert len({t.split(";")[0].split("?")[0] for t in log}) == 12
    assert not any("jsessionid" in t.lower() for t in log)
    assert "bounded: page_limit trap:" in result.stdout
    db = sqlite3.connect(tmp_path / "nianbao.sqlite")
    assert db.execute("SELECT status FROM crawl_run").fetchall() == [("completed",)]
