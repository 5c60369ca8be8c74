"""Each CMS pattern of the demo portals, crawled by the real Scrapy engine (and real headless
Chromium where the pattern needs it): what was fetched, how, and what was archived.

Uses the session's one demo crawl (tests/conftest.py); the exported reports themselves are
checked in tests/test_end_to_end.py.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from urllib.parse import urlsplit

import pytest
from nianbao.archive import read_record

from .conftest import run_nianbao, write_portal_config


@pytest.fixture(scope="module")
def fetches(demo_crawl):
    db = sqlite3.connect(demo_crawl.data_dir / "nianbao.sqlite")
    rows = db.execute("SELECT f.method, f.url, f.status, f.record_type, p.name, f.warc_file, "
                      "f.warc_offset FROM fetch f LEFT JOIN portal p ON p.id = f.portal_id"
                      ).fetchall()
    return rows


def portal_base(demo_crawl, name: str) -> str:
    return next(p.base_url for p in demo_crawl.portals if p.name == name)


def urls(fetches, base: str, record_type: str = "response") -> list[tuple[str, str, int]]:
    return [(m, u, s) for m, u, s, t, _, _, _ in fetches if u.startswith(base)
            and t == record_type]


def test_every_pattern_yields_its_reports(demo_crawl):
    # one row per report, listing every URL that carries it (its copies)
    exported = {url for r in demo_crawl.export() for url in r["copies"]["urls"]}
    by_portal = Counter(r.portal for r in demo_crawl.reports)
    assert set(by_portal) == {"demo-tianjin", "demo-multi", "demo-hanweb", "demo-gkmlpt",
                              "demo-column", "demo-jsonly", "demo-challenge", "demo-home"}
    for report in demo_crawl.reports:
        assert report.document_url in exported, (report.portal, report.document_url)


def test_no_decoy_is_fetched_at_all(demo_crawl, fetches):
    fetched = {u for _, u, *_ in fetches}
    assert not fetched & set(demo_crawl.decoys)


def test_hanweb_datastore_dataproxy_and_annual_module(demo_crawl, fetches):
    base = portal_base(demo_crawl, "demo-hanweb")
    got = urls(fetches, base)
    posts = sorted(urlsplit(u).query for m, u, s in got if m == "POST")
    # the records after the two embedded ones, three pages (of two) per request
    assert posts == ["startrecord=3&endrecord=8&perpage=2",
                     "startrecord=9&endrecord=11&perpage=2"]
    assert all(s == 200 for m, u, s in got if m == "POST")  # the form fields were right
    years = {dict(p.split("=") for p in urlsplit(u).query.split("&"))["fbtime"]
             for _, u, _ in got if "xxgkAnnualReport.jsp" in u}
    assert {"2008", "2019", "2023"} <= years
    assert any("/art/2024/1/18/art_4120_" in u for _, u, _ in got)


def test_gkmlpt_api_pages_and_attachment(demo_crawl, fetches):
    base = portal_base(demo_crawl, "demo-gkmlpt")
    got = [u for _, u, _ in urls(fetches, base)]
    assert f"{base}/gkmlpt/api/all/2857?page=1&sid=757" in got
    assert f"{base}/gkmlpt/api/all/2857?page=2&sid=757" in got
    assert any(u.endswith(".docx") for u in got)


def test_column_folders_trs_pages_and_no_duplicate_copies(demo_crawl, fetches):
    base = portal_base(demo_crawl, "demo-column")
    got = [u for _, u, _ in urls(fetches, base)]
    # 0-based .html and 1-based .shtml pages, known only from createPageHTML
    assert f"{base}/ztzl/zfxxgknb/2023/mzj/index_1.html" in got
    assert f"{base}/ztzl/zfxxgknb/2023/jyj/index_2.shtml" in got
    assert f"{base}/ztzl/zfxxgknb/2023/jyj/index_3.shtml" in got
    assert f"{base}/ztzl/zfxxgknb/2023/jyj/index_1.shtml" not in got
    # mobile and big5 copies are recognised and never fetched; each page once
    assert not [u for u in got if "_wap." in u or "/ydmh/" in u or "/gate/big5/" in u]
    assert max(Counter(got).values()) == 1


def test_js_only_list_is_rendered_and_archived(demo_crawl, fetches):
    base = portal_base(demo_crawl, "demo-jsonly")
    got = [u for _, u, _ in urls(fetches, base)]
    # the browser's own requests: the page and its XHR, archived as responses
    assert f"{base}/xxgk/ndbg/data/items.json" in got
    dom = [row for row in fetches if row[1] == f"{base}/xxgk/ndbg/index.html"
           and row[3] == "resource"]
    assert len(dom) == 1
    headers, payload = read_record(demo_crawl.data_dir / "warc", dom[0][5], dom[0][6])
    assert headers["WARC-Type"] == "resource"
    assert "2023年政府信息公开工作年度报告" in payload.decode("utf-8")  # the links the script built


def test_challenge_is_passed_by_the_browser_then_plain_requests(demo_crawl, fetches):
    base = portal_base(demo_crawl, "demo-challenge")
    got = urls(fetches, base)
    home = [s for _, u, s in got if u == f"{base}/"]
    # the plain fetch and the browser's first load got the challenge; the browser's
    # reload, with the cookie its script set, got the page
    assert home.count(412) >= 2 and 200 in home
    report = next(r for r in demo_crawl.reports if r.portal == "demo-challenge")
    # the report itself came by a plain request carrying the cookie the browser earned
    assert (report.document_url, 200) in [(u, s) for _, u, s in got]
    db = sqlite3.connect(demo_crawl.data_dir / "nianbao.sqlite")
    errors = db.execute("SELECT stage FROM error WHERE url LIKE ?", (base + "%",)).fetchall()
    assert errors == []


def test_home_page_start_reaches_the_reports_through_hubs_and_a_learned_api(demo_crawl,
                                                                           fetches):
    base = portal_base(demo_crawl, "demo-home")
    got = [(m, u) for m, u, _ in urls(fetches, base)]
    # hubs best-first: the news section and the guide are never walked
    assert (("GET", f"{base}/zwgk/fdzdgk/nb/index.html")) in got
    assert not [u for _, u in got if "/xwzx/" in u or u.endswith("xxgkzn.html")]
    # the 2023 list holds 3 entries at 2 a page: page 2 asked by plain HTTP (POST, JSON
    # body), learned from the browser's fetch on page 1
    assert [m for m, u in got if u.endswith("/interface/content/list.do")].count("POST") >= 3
    db = sqlite3.connect(demo_crawl.data_dir / "nianbao.sqlite")
    specs = [json.loads(s) for (s,) in db.execute(
        "SELECT spec FROM learned_api a JOIN portal p ON p.id = a.portal_id "
        "WHERE p.name = 'demo-home'")]
    assert {(s["where"], s["param"]) for s in specs} == {("json", "pageNo")}
    # one row per report: a seed the demo also publishes elsewhere is a copy of that report
    exported = {u for r in demo_crawl.export() for u in r["copies"]["urls"]}
    home = [r.document_url for r in demo_crawl.reports if r.portal == "demo-home"]
    assert len(home) == 3 and set(home) <= exported
    assert not {d for d in demo_crawl.decoys if d.startswith(base)} & exported


def test_frontier_is_settled(demo_crawl):
    db = sqlite3.connect(demo_crawl.data_dir / "frontier.sqlite")
    states = dict(db.execute("SELECT state, count(*) FROM frontier GROUP BY state"))
    assert set(states) == {"done"}
    assert set(db.execute("SELECT status FROM portal_state")) == {("completed",)}


def test_challenge_without_browser_is_recorded_as_blocked(tmp_path):
    from nianbao.demo import DemoPortals

    with DemoPortals() as demo:
        portal = demo.portal("demo-challenge")
        config = tmp_path / "portals.toml"
        write_portal_config(config, "walled", portal.start_url, portal.host,
                            requests_per_second=50.0)
        result = run_nianbao("crawl", "--config", str(config), "--data-dir", str(tmp_path),
                             "--no-progress")
        log = demo.request_log("demo-challenge")
    # a blocked portal failed (issue 16): exit 1, naming it and why
    assert result.returncode == 1, result.stderr
    assert f"portal walled failed: blocked at {portal.start_url}" in result.stderr
    assert f"blocked: walled at {portal.start_url}" in result.stdout
    db = sqlite3.connect(tmp_path / "nianbao.sqlite")
    assert db.execute("SELECT url, stage FROM error").fetchall() == [
        (portal.start_url, "blocked")]
    assert db.execute("SELECT count(*) FROM report").fetchone()[0] == 0
    # the challenge page was archived but never parsed as a document
    assert [t for m, t in log if t != "/robots.txt"] == ["/"]
