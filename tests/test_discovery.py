"""Discovery on portals nobody tuned it to (docs/discovery.md).

Generated portal variants (tests/variants/) are served on loopback and crawled, many per
crawl, by the real `nianbao crawl` (Scrapy engine, headless Chromium where a variant needs
it). Every report must be exported and no decoy; a second crawl must ask learned list APIs
directly, without the browser. A hypothesis test draws new combinations each run.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nianbao.crawler.links import LinkKind, classify
from nianbao.crawler.listapi import ListApi, Page, remaining
from nianbao.parsers.titles import TitleKind, hub_score, title_kind

from .variants.generator import MECHANISMS, SCRIPTED, STARTS, draw
from .variants.harness import Variants

# ------------------------------------------------------------------- the title vocabulary

REPORTS = ["温州市人力资源和社会保障局2023年政府信息公开工作年度报告",
           "民治街道2025年度政府信息公开工作报告",
           "区财政局政务公开工作年度报告（2022年）",
           "区教育局2023年信息公开年报",
           "福田区工业和信息化局政府信息公开工作年度报告",
           "…2016年政务信息公开年度报告",
           "…2020年政府信息公开工作的年度报告",
           "区卫生和计划生育委员会2016年政府信息公开工作年度报告"]
AMBIGUOUS = ["关于区民政局2023年度政府信息公开工作年度报告的公告", "2023年度报告"]
DECOYS = ["图解：2023年区民政局政府信息公开工作年度报告",
          "关于做好2023年度政府信息公开工作年度报告编制和发布工作的通知",
          "政策解读：区教育局2023年政府信息公开工作年度报告", "2024年政务公开工作要点",
          "政府信息公开指南", "2024年政务公开工作计划", "文字解读:…年度报告",
          "…年度报告公布情况"]


@pytest.mark.parametrize("title", REPORTS)
def test_report_title_forms_are_fetched_as_reports(title):
    assert title_kind(title) is TitleKind.REPORT
    assert classify("http://x.gov.cn/a.html", title) is LinkKind.REPORT
    assert classify("http://x.gov.cn/a.pdf", title) is LinkKind.ATTACHMENT


@pytest.mark.parametrize("title", AMBIGUOUS)
def test_ambiguous_titles_are_fetched_for_the_parser_to_decide(title):
    assert title_kind(title) is TitleKind.AMBIGUOUS
    assert classify("http://x.gov.cn/a.html", title) is LinkKind.REPORT


@pytest.mark.parametrize("title", DECOYS)
def test_decoys_are_never_fetched(title):
    assert title_kind(title) in (TitleKind.DECOY, TitleKind.OTHER)
    assert classify("http://x.gov.cn/a.html", title) is None


def test_the_parser_rejects_decoy_titles_with_the_same_vocabulary():
    from nianbao.parsers import build_report
    from nianbao.parsers.classify import NOT_A_REPORT
    from nianbao.parsers.html import read_html

    from nianbao.demo.render import render_report_html
    from nianbao.demo.seeds import load_seeds

    body = render_report_html(load_seeds()[0])
    for title, is_report in ((DECOYS[0], False), (REPORTS[1], True)):
        page = (f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}"
                "</body></html>")
        report = build_report(read_html(page.encode("utf-8"), "utf-8"))
        assert report.is_report is is_report, title
        if not is_report:
            assert report.status == NOT_A_REPORT


def test_hub_vocabulary_scores_the_way_to_the_reports():
    assert hub_score("政府信息公开年报") > hub_score("法定主动公开内容") > hub_score("政务公开") > 0
    assert hub_score("信息公开目录") > 0
    for away in ("新闻动态", "办事服务", "政策解读", "政府信息公开指南", "互动交流"):
        assert hub_score(away) == 0, away
    assert hub_score("街道") == 0 and hub_score("街道", in_reports=True) > 0
    assert hub_score("2022年", in_reports=True) > 0


# ------------------------------------------------------------------------ list API paging

def test_list_api_pages_in_query_form_and_json_body():
    query = ListApi("http://h/p", "http://h/api?pageNo=1&pageSize=10&c=3", "GET", "query",
                    param="pageNo", first=1, size=10)
    assert query.request(2) == ("http://h/api?pageNo=3&pageSize=10&c=3", "GET", None)
    form = ListApi("http://h/p", "http://h/api", "POST", "form", param="curPage", first=0,
                   size=5, body="curPage=0&col=9")
    assert form.request(1)[2] == b"curPage=1&col=9"
    body = ListApi("http://h/p", "http://h/api", "POST", "json", param="offset",
                   style="offset", first=0, size=20, body='{"q":{"offset":0,"limit":20}}')
    assert json.loads(body.request(2)[2]) == {"q": {"offset": 40, "limit": 20}}
    ranged = ListApi("http://h/p", "http://h/dataproxy.jsp?startrecord=1&endrecord=15",
                     "POST", "query", param="startrecord", style="range", first=1, size=15,
                     end_param="endrecord", body="col=1")
    assert "startrecord=31&endrecord=45" in ranged.request(2)[0]


def test_remaining_pages_from_totals_has_next_or_an_empty_page():
    api = ListApi("p", "u", "GET", "query", param="page", size=10)
    assert remaining(api, Page([], 10, records=45), 0) == [1, 2, 3, 4]
    assert remaining(api, Page([], 10, pages=3), 0) == [1, 2]
    assert remaining(api, Page([], 10, pages=3), 1) == []  # asked for all at page 0
    assert remaining(api, Page([], 10, has_next=True), 4) == [5]
    assert remaining(api, Page([], 10, has_next=False), 4) == []
    assert remaining(api, Page([], 10), 2) == [3]  # keep going …
    assert remaining(api, Page([], 0), 3) == []  # … until an empty page


# ------------------------------------------------------------------ generated variants

VARIANTS = 32  # every mechanism at least three times, from the column and from a home page


def _specs(base: int, count: int):
    return [draw(base + i, mechanism=MECHANISMS[i % len(MECHANISMS)],
                 start=STARTS[(i // len(MECHANISMS)) % 2]) for i in range(count)]


@pytest.fixture(scope="module")
def variant_crawls(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("variants")
    with Variants(_specs(0, VARIANTS)) as variants:
        first = variants.crawl(data_dir)
        # the second crawl, of the portals whose list comes from an API, asks it directly
        second = variants.crawl(data_dir, only={s.name for s in _api_portals(variants)})
        yield variants, data_dir, first, second


def _api_portals(variants: Variants) -> list:
    return [s for s in variants.served
            if s.spec.mechanism in ("json_get", "json_post_form", "json_post_json",
                                    "proxy_script")]


def _rows(db: Path, sql: str, *args) -> list[tuple]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def test_every_report_found_and_no_decoy_exported(variant_crawls):
    variants, _, first, _ = variant_crawls
    assert first.result.returncode == 0, first.result.stderr[-2000:]
    assert {s.spec.mechanism for s in variants.served} == set(MECHANISMS)
    assert {s.spec.start for s in variants.served} == set(STARTS)
    problems = variants.problems(first)
    assert not problems, "\n".join(problems)
    assert sum(len(s.portal.reports) for s in variants.served) >= 100


def test_list_apis_learned_and_asked_directly_on_the_next_crawl(variant_crawls):
    variants, data_dir, first, second = variant_crawls
    db = data_dir / "nianbao.sqlite"
    assert second.result.returncode == 0, second.result.stderr[-2000:]
    api_portals = _api_portals(variants)
    assert not variants.problems(second, {s.name for s in api_portals})
    learned = _rows(db, "SELECT p.name, a.spec FROM learned_api a JOIN portal p "
                        "ON p.id = a.portal_id")
    by_portal: dict[str, list[dict]] = {}
    for name, spec in learned:
        by_portal.setdefault(name, []).append(json.loads(spec))
    assert api_portals
    for served in api_portals:
        apis = by_portal.get(served.name)
        assert apis, f"no API learned for {served.spec.label()}"
        assert {a["method"] for a in apis} == {
            "GET" if served.spec.mechanism == "json_get" else "POST"}
        # run 2: no page rendered in the browser (no rendered-DOM resource record) and
        # the API's pages asked by plain HTTP
        run2 = _rows(db, "SELECT method, url, record_type FROM fetch WHERE crawl_run_id = 2 "
                         "AND url LIKE ?", served.base + "%")
        assert not [u for _, u, t in run2 if t == "resource"], served.spec.label()
        api_path = served.portal.api if served.spec.mechanism != "proxy_script" else \
            served.portal.proxy
        assert any(api_path in u for _, u, _ in run2), served.spec.label()
        fetched = {u for _, u, _ in run2}
        assert served.urls(served.portal.reports) <= fetched, served.spec.label()


def test_every_browser_exchange_is_archived(variant_crawls):
    """The XHR answers the browser saw while rendering, and the pages a pager posted, are
    response records in the archive, like any fetch."""
    variants, data_dir, _, _ = variant_crawls
    db = data_dir / "nianbao.sqlite"
    for served in variants.served:
        rows = _rows(db, "SELECT method, url FROM fetch WHERE crawl_run_id = 1 AND "
                         "record_type = 'response' AND url LIKE ?", served.base + "%")
        if served.spec.mechanism == "postback":
            assert any(m == "POST" for m, _ in rows), served.spec.label()
        if served.spec.mechanism == "load_more":
            assert any(served.portal.more in u for _, u in rows), served.spec.label()


def test_home_page_starts_stay_within_the_hub_budget(variant_crawls):
    variants, data_dir, _, _ = variant_crawls
    db = data_dir / "nianbao.sqlite"
    for served in variants.served:
        if served.spec.start != "home":
            continue
        rows = _rows(db, "SELECT url FROM fetch WHERE crawl_run_id = 1 AND url LIKE ?",
                     served.base + "/news/%")
        assert len(rows) <= 1, served.spec.label()  # the news section is not walked


# ---------------------------------------- drawn combinations (fresh ones: profile explore)

@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(min_value=10_000, max_value=2**31 - 1))
def test_drawn_combinations(seed, tmp_path_factory):
    specs = [draw(seed + k) for k in range(3)]
    if not any(s.mechanism in SCRIPTED for s in specs):
        specs.append(draw(seed + 3, mechanism="json_post_json"))
    with Variants(specs) as variants:
        outcome = variants.crawl(tmp_path_factory.mktemp(f"draw-{seed}"))
        assert outcome.result.returncode == 0, outcome.result.stderr[-2000:]
        problems = variants.problems(outcome)
        assert not problems, f"variant seed {seed}:\n" + "\n".join(problems)


# ------------------------------------------------------------------ adapters' variants

def _page(url: str, html: str):
    from scrapy.http import HtmlResponse, Request

    return HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8",
                        request=Request(url))


def test_gkmlpt_sid_from_a_plain_script_variable_and_category_from_the_menu():
    from nianbao.crawler.adapters import GkmlptAdapter

    adapter = GkmlptAdapter()
    page = _page("http://h/gkmlpt/index", "<script>var sid = '757';</script>"
                 "<a href='#11'>规划计划</a><a href='#2857'>政府信息公开年报</a>")
    assert adapter.matches(page)
    assert [f.url for f in adapter.discover(page)] == [
        "http://h/gkmlpt/api/all/2857?page=1&sid=757"]
    config = _page("http://h/gkmlpt/index", "<script>window._CONFIG = {SID: '9', CAT: 5}</script>")
    assert [f.url for f in adapter.discover(config)] == ["http://h/gkmlpt/api/all/5?page=1&sid=9"]


@pytest.mark.parametrize(("current", "expected"), [(0, ["index_1.html", "index_2.html"]),
                                                   (1, ["index_2.html", "index_3.html"])])
def test_trs_create_page_html_zero_and_one_based(current, expected):
    from nianbao.crawler.adapters import TrsAdapter

    page = _page("http://h/col/index.html",
                 f'<script>createPageHTML(3, {current}, "index", "html");</script>')
    assert [f.url.rsplit("/", 1)[1] for f in TrsAdapter().discover(page)] == expected


def test_hanweb_page_style_data_proxy():
    from nianbao.crawler.adapters import HanwebAdapter

    records = "".join(f"<record><![CDATA[<li><a href='/art/{n}.html'>区{n}局2023年政府信息公开"
                      f"工作年度报告</a></li>]]></record>" for n in range(2))
    page = _page("http://h/col/col1/index.html",
                 f"<script type='text/xml'><datastore><recordset>{records}</recordset>"
                 "<totalrecord>7</totalrecord></datastore></script><script>var perpage = 2;"
                 "$.ajax({url: '/module/web/jpage/dataproxy.jsp', data: {columnid: '1'}})"
                 "</script>")
    posts = [f.url for f in HanwebAdapter().discover(page) if f.method == "POST"]
    assert posts == [f"http://h/module/web/jpage/dataproxy.jsp?page={n}" for n in (2, 3, 4)]


# ------------------------------------------------------------------ learning, unit level

def _exchange(url: str, body: bytes, *, method: str = "GET", request_body: bytes = b"",
              ctype: str = "application/json"):
    from nianbao.archive.writer import HttpExchange

    return HttpExchange(url=url, method=method, request_target="/", request_headers=[
        ("Content-Type", "application/json")] if request_body.startswith(b"{") else [],
        request_body=request_body, status=200, reason="OK", protocol="HTTP/1.1",
        response_headers=[("Content-Type", ctype)], response_body=body)


def test_an_api_of_titles_and_ids_learns_the_link_template_from_the_rendered_page():
    from nianbao.crawler.listapi import learn

    page = _exchange("http://h/col/index.html", b"<html></html>", ctype="text/html")
    answer = json.dumps({"rows": [{"docTitle": "区教育局2023年政府信息公开工作年度报告",
                                   "id": 4711},
                                  {"docTitle": "2024年政务公开工作要点", "id": 4712}],
                         "totalPage": 4}, ensure_ascii=False).encode()
    api_call = _exchange("http://h/api/list", answer, method="POST",
                         request_body=b'{"pageNo":1,"pageSize":2,"channelId":"9"}')
    dom = [("http://h/info/9/4711.htm", "区教育局2023年政府信息公开工作年度报告")]
    ((api, page_read),) = learn([page, api_call], "http://h/col/index.html", dom)
    assert (api.where, api.param, api.first, api.size) == ("json", "pageNo", 1, 2)
    assert api.link == "http://h/info/9/{id}.htm" and api.id_key == "id"
    assert page_read.links[1] == ("http://h/info/9/4712.htm", "2024年政务公开工作要点")
    assert remaining(api, page_read, 0) == [1, 2, 3]
    assert json.loads(api.request(3)[2]) == {"pageNo": 4, "pageSize": 2, "channelId": "9"}


def test_answers_that_are_not_lists_are_not_learned():
    from nianbao.crawler.listapi import learn

    page = _exchange("http://h/", b"<html></html>", ctype="text/html")
    weather = _exchange("http://h/weather?page=1", b'{"city": "x", "temp": 3}')
    script = _exchange("http://h/app.js?page=1", b"var a = 1;",
                       ctype="application/javascript")
    assert list(learn([page, weather, script], "http://h/", [])) == []


def test_why_a_portal_yielded_nothing():
    from nianbao.crawler.diagnose import why_nothing

    assert why_nothing({"nianbao/reports/p": 2}, "p") is None
    line = why_nothing({"nianbao/pages/p": 1}, "p")
    assert "only the start page" in line and "no document" in line
    line = why_nothing({"nianbao/pages/p": 50, "nianbao/hub_budget_hit/p": 3,
                        "nianbao/hubs/p": 40, "nianbao/renders/p": 2}, "p")
    assert "hub budget spent (40" in line


def test_a_learned_api_that_stops_answering_is_learned_again(tmp_path):
    """The stored API moved (404): the next crawl forgets it, renders the list page again,
    learns the new one and still finds every report."""
    spec = draw(77, mechanism="json_get", start="column", reports=4)
    with Variants([spec]) as variants:
        served = variants.served[0]
        first = variants.crawl(tmp_path)
        assert not variants.problems(first)
        old_api = served.portal.api.encode()
        served.portal.api = "/api/v2/list"  # the portal moved its list API
        from nianbao.demo.server import Resource

        pages = served.portal.resources
        for key, old in list(pages.items()):  # every list script now asks the new one
            if old_api in old.body:
                pages[key] = Resource(old.status, old.headers,
                                      old.body.replace(old_api, b"/api/v2/list"))
        second = variants.crawl(tmp_path)
        assert second.result.returncode == 0
        rows = _rows(tmp_path / "nianbao.sqlite", "SELECT spec FROM learned_api")
        assert rows and all(json.loads(s)["url"].split("?")[0].endswith("/api/v2/list")
                            for (s,) in rows)
        run2 = {u for (u,) in _rows(tmp_path / "nianbao.sqlite",
                                    "SELECT url FROM fetch WHERE crawl_run_id = 2")}
        assert served.urls(served.portal.reports) <= run2
