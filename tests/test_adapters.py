"""The CMS adapters and URL rules on pages as the platforms write them (no network)."""

from __future__ import annotations

from nianbao.crawler.adapters import GkmlptAdapter, HanwebAdapter, TrsAdapter, matching, platforms
from nianbao.crawler.adapters.annual_column import AnnualColumnAdapter
from nianbao.crawler.challenge import is_challenge
from nianbao.crawler.links import LinkKind, desktop_url
from scrapy.http import HtmlResponse, Request, TextResponse


def html(url: str, body: str, status: int = 200, meta: dict | None = None) -> HtmlResponse:
    return HtmlResponse(url, status=status, body=body.encode("utf-8"), encoding="utf-8",
                        request=Request(url, meta=meta or {}))


def test_trs_page_count_zero_and_one_based():
    zero = html("http://x.gov.cn/col/index.html",
                '<script>createPageHTML(4, 0, "index", "html");</script>')
    assert [f.url for f in TrsAdapter().discover(zero)] == [
        f"http://x.gov.cn/col/index_{k}.html" for k in (1, 2, 3)]
    one = html("http://x.gov.cn/col/index.shtml",
               '<script>createPageHTML("page_div", 3, 1, "index", "shtml", 41);</script>')
    assert [f.url for f in TrsAdapter().discover(one)] == [
        "http://x.gov.cn/col/index_2.shtml", "http://x.gov.cn/col/index_3.shtml"]
    # a later page does not generate the list again, and a definition is not a call
    later = html("http://x.gov.cn/col/index_2.html",
                 "function createPageHTML(_n, _c, _s, _e) {}\n"
                 'createPageHTML(4, 2, "index", "html");')
    assert list(TrsAdapter().discover(later)) == []


def test_hanweb_embedded_records_and_proxy_form():
    page = """<div id="77"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/jpage/dataproxy.jsp?page=1&webid=3&columnid=99&unitid=77">
</a>]]></nextgroup>
<totalrecord>5</totalrecord><recordset>
<record><![CDATA[<li><a href="/art/2024/1/2/art_99_1.html"
 title="某局2023年政府信息公开工作年度报告">某局…</a></li>]]></record>
<record><![CDATA[<li><a href="/art/2023/12/1/art_99_2.html">关于报送年度报告的通知</a>
</li>]]></record>
</recordset></datastore></script></div>
<script>$('#77').jpage({perPage: 2, ajaxParam: {data: {col: 1, webid: 3, columnid: '99',
 unitid: "77", path: '/'}}});</script>"""
    found = list(HanwebAdapter().discover(html("http://h.gov.cn/col/col99/index.html", page)))
    reports = [f for f in found if f.kind is LinkKind.REPORT]
    assert [f.url for f in reports] == ["http://h.gov.cn/art/2024/1/2/art_99_1.html"]
    posts = [f for f in found if f.method == "POST"]
    assert [f.url for f in posts] == [
        "http://h.gov.cn/module/jpage/dataproxy.jsp?startrecord=3&endrecord=5&perpage=2"]
    assert posts[0].body == b"col=1&columnid=99&path=%2F&unitid=77&webid=3"
    assert platforms(matching(html("http://h.gov.cn/col/col99/index.html", page))) == [
        "hanweb"]


def test_hanweb_annual_module_every_year():
    page = '<a href="/module/xxgk/xxgkAnnualReport.jsp?area=113704&amp;fbtime=2024">年报</a>'
    found = list(HanwebAdapter().discover(html("http://h.gov.cn/", page)))
    years = [int(f.url.rsplit("fbtime=", 1)[1]) for f in found]
    assert min(years) == 2008 and 2024 in years and len(years) == len(set(years))
    assert all("area=113704" in f.url for f in found)


def test_gkmlpt_config_and_api_paging():
    page = "<script>window._CONFIG = {SID: '757', X: 1};</script><div id=app></div>"
    first = list(GkmlptAdapter().discover(html("http://g.gov.cn/gkmlpt/index#2857", page)))
    assert [f.url for f in first] == ["http://g.gov.cn/gkmlpt/api/all/2857?page=1&sid=757"]
    api = ('{"articles": [{"title": "某局2023年政府信息公开工作年度报告", "url": "/post_1.html",'
           ' "attachment": [{"name": "报告.docx", "url": "/a/1.docx"}]},'
           ' {"title": "政府信息公开指南", "url": "/post_2.html"}], "total": 7, "size": 2}')
    url = "http://g.gov.cn/gkmlpt/api/all/2857?page=1&sid=757"
    response = TextResponse(url, body=api.encode(), encoding="utf-8",
                            request=Request(url, meta={"gkmlpt_api": True}))
    found = list(GkmlptAdapter().discover(response))
    assert [(f.url, f.kind) for f in found[:2]] == [
        ("http://g.gov.cn/post_1.html", LinkKind.REPORT),
        ("http://g.gov.cn/a/1.docx", LinkKind.ATTACHMENT)]
    assert [f.url.rsplit("page=", 1)[1] for f in found[2:]] == ["2&sid=757", "3&sid=757",
                                                                 "4&sid=757"]


def test_annual_column_folders():
    column = html("http://c.gov.cn/nb/index.html", "<title>政府信息公开年度报告专栏</title>"
                  '<a href="2023/">2023年</a><a href="2022/">2022年度</a>'
                  '<a href="r.html">2023年度报告</a>')
    found = list(AnnualColumnAdapter().discover(column))
    assert [(f.url, f.meta) for f in found] == [
        ("http://c.gov.cn/nb/2023/", {"annual_level": 1}),
        ("http://c.gov.cn/nb/2022/", {"annual_level": 1})]
    year = html("http://c.gov.cn/nb/2023/", '<a href="jyj/">区教育局</a><a href="x">新闻</a>',
                meta={"annual_level": 1})
    assert [f.url for f in AnnualColumnAdapter().discover(year)] == ["http://c.gov.cn/nb/2023/jyj/"]


def test_desktop_url_collapses_copies():
    page = "http://www.x.gov.cn/art/2024/1/2/art_1_2.html"
    assert desktop_url("http://www.x.gov.cn/art/2024/1/2/art_1_2_wap.html") == page
    assert desktop_url("http://www.x.gov.cn/ydmh/art/2024/1/2/art_1_2.html") == page
    assert desktop_url("http://www.x.gov.cn/gate/big5/www.x.gov.cn/art/2024/1/2/art_1_2.html"
                       ) == page
    assert desktop_url("http://big5.www.x.gov.cn/art/2024/1/2/art_1_2.html") == page
    assert desktop_url("http://www.x.gov.cn/a.jsp;jsessionid=ABC?id=1&JSESSIONID=ABC") == \
        "http://www.x.gov.cn/a.jsp?id=1"


def test_challenge_pages_are_recognised():
    script = ('<html><script>document.cookie="__jsl_clearance=1";location.href=location.href'
              "</script></html>")
    assert is_challenge(html("http://x/", script, status=521))
    assert is_challenge(html("http://x/", "<script>var $_ts={};</script>", status=412))
    assert is_challenge(html("http://x/", script, status=200))  # a tiny 200 interstitial
    assert not is_challenge(html("http://x/", "<p>正文</p>" * 50, status=200))
    assert not is_challenge(html("http://x/", "<p>Precondition failed</p>", status=412))
