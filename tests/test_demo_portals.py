"""The demo portals over real loopback HTTP: layout, HTTP habits and table contents.

The expected table layout is spelled out here a third time (independently of
``nianbao.demo.render`` and of ``parsers``) so a slip in the renderer cannot hide itself.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tomllib
import urllib.error
import urllib.request
import zipfile
from urllib.parse import urljoin, urlsplit

import docx
import lxml.html
import pytest
from lxml import etree

from nianbao.demo import DemoPortals, load_seeds, render_report_html, report_title
from nianbao.demo.portals import DOCX_TYPE

SEEDS = {seed.id: seed for seed in load_seeds()}
# Loopback only: never route through a proxy configured in the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _OPENER.open(request, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def decode(headers: dict[str, str], body: bytes) -> str:
    if headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    charset = headers["Content-Type"].partition("charset=")[2].strip().lower()
    # A GBK label means GB18030 in practice (a strict superset real sites emit unannounced).
    return body.decode("gb18030" if charset in ("gbk", "gb2312") else charset or "utf-8")


@pytest.fixture(scope="module")
def demo():
    # the two original portals; the CMS-pattern ones are checked at the end of this file
    with DemoPortals(patterns=False) as portals:
        yield portals


@pytest.fixture(scope="module")
def patterns():
    with DemoPortals() as portals:
        yield portals


# --------------------------------------------------------------------------- expected layout


def active_rows(fmt: str) -> list[list[str]]:
    if fmt == "2021":
        cols = ("issued", "repealed", "in_force")
        return (
            [[f"active.{r}.{c}" for c in cols] for r in ("rules", "normative_docs")]
            + [[f"active.{r}.decisions"] for r in ("licensing", "penalty", "coercion")]
            + [["active.fees.amount"]]
        )
    services = ("prev_items", "change", "decisions")
    return (
        [
            [f"active.{r}.{c}" for c in ("made", "published", "total")]
            for r in ("rules", "normative_docs")
        ]
        + [[f"active.{r}.{c}" for c in services] for r in ("licensing", "other_services")]
        + [[f"active.{r}.{c}" for c in services] for r in ("penalty", "coercion")]
        + [["active.fees.prev_items", "active.fees.change"]]
        + [["active.procurement.items", "active.procurement.amount"]]
    )


APPLICANTS = ("natural_person", "commercial", "research", "social_welfare", "legal_service")
APPLICANTS += ("other_org", "total")


def application_rows(fmt: str) -> list[list[str]]:
    rows = ["received", "carried_over", "granted", "partially_granted"]
    rows += [
        f"withheld.{k}"
        for k in (
            "state_secret",
            "prohibited_by_law",
            "security_stability",
            "third_party",
            "internal_affairs",
            "process_info",
            "enforcement_file",
            "admin_query",
        )
    ]
    rows += [f"unavailable.{k}" for k in ("not_held", "needs_creation", "unclear")]
    rows += [
        f"not_processed.{k}"
        for k in ("petition", "duplicate", "publication", "excessive", "confirmation")
    ]
    if fmt == "2019":
        rows += ["other.all"]
    else:
        rows += ["other.no_correction", "other.unpaid_fee", "other.other"]
    rows += ["total", "carried_forward"]
    return [[f"applications.{r}.{c}" for c in APPLICANTS] for r in rows]


APPEALS = [
    f"appeals.{g}.{o}"
    for g in ("review", "litigation_direct", "litigation_after_review")
    for o in ("upheld", "corrected", "other", "pending", "total")
]


def _norm(text: str) -> str:
    return re.sub(r"[\s\xa0\u3000]+", "", text)


def html_tables(text: str) -> list[list[list[str]]]:
    """Every <table> as rows of cell texts (each <td> once, spans not expanded)."""
    root = lxml.html.fromstring(text)
    return [
        [[_norm(td.text_content()) for td in tr.xpath("./td|./th")] for tr in table.iter("tr")]
        for table in root.iter("table")
    ]


def docx_tables(body: bytes) -> list[list[list[str]]]:
    """Every Word table as rows of cell texts, read from the XML (each w:tc once)."""
    xml = zipfile.ZipFile(io.BytesIO(body)).read("word/document.xml")
    root = etree.fromstring(xml)
    return [
        [
            [_norm("".join(t.text or "" for t in tc.iter(f"{_W}t"))) for tc in tr.iter(f"{_W}tc")]
            for tr in tbl.iter(f"{_W}tr")
        ]
        for tbl in root.iter(f"{_W}tbl")
    ]


def numbers(row: list[str]) -> list[str]:
    return [cell for cell in row if _NUMBER.match(cell)]


def check_values(tables: list[list[list[str]]], seed_id: str) -> None:
    seed = SEEDS[seed_id]
    expected = seed.values
    assert len(tables) == 3

    def same(cells: list[str], keys: list[str]) -> None:
        assert [float(c) for c in cells] == [float(expected[k]) for k in keys], keys
        for cell, key in zip(cells, keys, strict=True):  # ints print without a decimal point
            assert ("." in cell) == isinstance(expected[key], float), (cell, key)

    active = [r for r in active_rows(seed.format) if r[0] in expected]
    got = [numbers(row) for row in tables[0] if numbers(row)]
    assert len(got) == len(active)
    for cells, keys in zip(got, active, strict=True):
        same(cells, keys)

    applications = application_rows(seed.format)
    got = [numbers(row) for row in tables[1] if numbers(row)]
    assert len(got) == len(applications)
    for cells, keys in zip(got, applications, strict=True):
        same(cells, keys)
    received = next(row for row in tables[1] if row and row[0].startswith("一、本年新收"))
    same(received[1:], applications[0])

    same(tables[2][-1], APPEALS)

    used = {k for rows in (active, applications, [APPEALS]) for row in rows for k in row}
    assert used == set(expected)


def links(base: str, text: str) -> set[str]:
    root = lxml.html.fromstring(text)
    return {urljoin(base, href) for href in root.xpath("//a/@href")}


# --------------------------------------------------------------------------- tests


def test_servers_on_ephemeral_loopback_ports(demo):
    assert [p.name for p in demo.portals] == ["demo-tianjin", "demo-multi"]
    ports = set()
    for portal in demo.portals:
        host, _, port = portal.host.partition(":")
        assert host == "127.0.0.1" and int(port) > 0
        ports.add(port)
        assert portal.base_url == f"http://{portal.host}"
        assert portal.start_url == f"{portal.base_url}/"
        assert fetch(portal.start_url)[0] == 200
    assert len(ports) == 2


def test_pagination_reaches_every_report(demo):
    tianjin, multi = demo.portals
    lists = [
        f"{tianjin.base_url}/zwgk/zfxxgkndbg/{p}"
        for p in ("index.html", "index_1.html", "index_2.html")
    ]
    lists += [f"{multi.base_url}/channel/list.jsp?channelId=7&page={n}" for n in (1, 2, 3)]
    found: set[str] = set()
    for url in lists:
        status, headers, body = fetch(url)
        assert status == 200, url
        text = decode(headers, body)
        assert "下一页" in text or url.endswith(("index_2.html", "page=3"))
        found |= links(url, text)
    assert 'createPageHTML(3, 1, "index", "html")' in decode(*fetch(lists[1])[1:])
    # Reports of both portals are only on pages 2 and 3 except 003.
    for report in demo.reports:
        assert report.page_url in found, report
    first_pages = links(lists[0], decode(*fetch(lists[0])[1:]))
    first_pages |= links(lists[3], decode(*fetch(lists[3])[1:]))
    assert {r.seed_id for r in demo.reports if r.page_url in first_pages} == {"003"}
    assert fetch(f"{multi.base_url}/channel/list.jsp?page=2&channelId=7")[0] == 200
    assert fetch(f"{multi.base_url}/channel/list.jsp?channelId=7&page=4")[0] == 404


def test_reports_and_their_documents(demo):
    assert [r.seed_id for r in demo.reports] == ["000", "001", "002", "003", "004"]
    placement = {r.seed_id: r.portal for r in demo.reports}
    assert placement == {
        "000": "demo-tianjin",
        "001": "demo-tianjin",
        "002": "demo-multi",
        "003": "demo-multi",
        "004": "demo-multi",
    }
    published = {r.seed_id: r.published for r in demo.reports}
    assert published == {
        "000": "2024-01-20",
        "001": "2020-01-21",
        "002": "2023-12-11",
        "003": "2024-01-18",
        "004": "2022-01-24",
    }
    for report in demo.reports:
        assert report.title == report_title(SEEDS[report.seed_id])
        status, headers, body = fetch(report.document_url)
        assert status == 200
        if report.seed_id == "004":
            assert headers["Content-Type"] == DOCX_TYPE == report.content_type
            assert report.document_url != report.page_url
            page = decode(*fetch(report.page_url)[1:])
            assert "详见附件" in page and "<table" not in page
            assert urlsplit(report.document_url).path in page
            assert "台儿庄区人力资源和社会保障局2021年政府信息公开工作年度报告.docx" in page
        else:
            assert headers["Content-Type"].startswith("text/html")
            assert report.document_url == report.page_url
            text = decode(headers, body)
            assert report.title in text


def test_tianjin_detail_page_metadata(demo):
    report = demo.report("000")
    text = decode(*fetch(report.page_url)[1:])
    assert urlsplit(report.page_url).path.startswith("/zwgk/zfxxgkndbg/202401/t20240120_")
    assert f'<meta name="ArticleTitle" content="{report.title}">' in text
    assert '<meta name="PubDate" content="2024-01-20 09:30">' in text
    assert '<meta name="ContentSource" content="天津市东丽区人力资源和社会保障局">' in text
    assert "发布日期：2024-01-20" in text and f"<h1>{report.title}</h1>" in text
    crumbs = re.sub(r"<[^>]+>|\s", "", text.split('class="location">', 1)[1].split("</div>")[0])
    assert crumbs == "当前位置：首页&gt;政务公开&gt;政府信息公开年报"
    for url in links(report.page_url, text):
        if urlsplit(url).netloc == demo.portal("demo-tianjin").host:
            assert fetch(url)[0] == 200, url  # no dead internal links


def test_multi_is_gb18030_labelled_gbk(demo):
    report = demo.report("003")
    status, headers, body = fetch(report.page_url)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=GBK"
    assert "Content-Encoding" not in headers and "ETag" not in headers
    text = body.decode("gb18030")
    assert "charset" not in text.lower()
    assert "杭州･拱墅" in text  # U+FF65 exists only in GB18030, as a four-byte sequence
    with pytest.raises(UnicodeDecodeError):
        body.decode("gbk")


def test_tianjin_gzip_and_validators(demo):
    url = demo.report("000").page_url
    status, headers, body = fetch(url, {"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"
    text = gzip.decompress(body).decode("utf-8")
    assert demo.report("000").title in text
    status, plain_headers, plain = fetch(url, {"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain_headers and plain.decode("utf-8") == text
    assert fetch(url, {"Accept-Encoding": "gzip;q=0"})[1].get("Content-Encoding") is None
    assert headers["Last-Modified"] == "Sat, 20 Jan 2024 01:30:00 GMT"
    assert fetch(url, {"If-None-Match": headers["ETag"]})[0] == 304
    assert fetch(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304


def test_docx_attachment_has_real_merges(demo):
    status, headers, body = fetch(demo.report("004").document_url)
    assert status == 200 and headers["Content-Type"] == DOCX_TYPE
    document = docx.Document(io.BytesIO(body))
    assert document.paragraphs[0].text.startswith("枣庄市台儿庄区人力资源和社会保障局")
    assert document.paragraphs[-1].text == "2022年1月24日"
    applications = next(t for t in document.tables if "申请人情况" in t._tbl.xml)
    xml = applications._tbl.xml
    assert "w:gridSpan" in xml and "w:vMerge" in xml
    check_values(docx_tables(body), "004")


@pytest.mark.parametrize("seed_id", ["000", "001", "002", "003"])
def test_html_tables_hold_expected_values(demo, seed_id):
    report = demo.report(seed_id)
    text = decode(*fetch(report.document_url)[1:])
    root = lxml.html.fromstring(text)
    tables = root.xpath("//table")
    assert len(tables) == 3
    assert tables[1].xpath(".//td[@rowspan and @colspan]")  # the 3×3 top-left label cell
    assert all(t.xpath(".//td[@colspan]") for t in tables)
    assert tables[2].xpath(".//td[@rowspan]") and tables[1].xpath(".//td[@rowspan='8']")
    check_values(html_tables(text), seed_id)


def test_html_labels_carry_markup_noise():
    text = render_report_html(SEEDS["000"])
    assert "商业<br>企业" in text and "&nbsp;" in text and 'class="MsoNormal"' in text
    tables = html_tables(text)
    assert tables[1][0][0] == "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    assert tables[1][2][0] == "商业企业"
    labels = [cell for row in tables[1] for cell in row if not _NUMBER.match(cell)]
    assert "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请" in labels
    assert "3.危及“三安全一稳定”" in labels
    assert tables[0][0] == ["第二十条第（一）项"]


def test_seed_002_is_traditional(demo):
    text = decode(*fetch(demo.report("002").page_url)[1:])
    assert "申請人情況" in text and "第二十條第（一）項" in text and "申请人情况" not in text
    assert "區(qū)人社局認(rèn)真貫徹落實(shí)" in text  # original prose kept verbatim
    assert "政府集中采购" not in text and "政府集中採購" not in text  # no procurement keys


def test_decoys_and_news_have_no_tables(demo):
    assert len(demo.decoys) >= 3
    assert {urlsplit(u).netloc for u in demo.decoys} == {p.host for p in demo.portals}
    titles = []
    for url in demo.decoys + demo.news:
        status, headers, body = fetch(url, {"Accept-Encoding": "gzip"})
        assert status == 200, url
        text = decode(headers, body)
        assert "<table" not in text.lower()
        titles.append(lxml.html.fromstring(text).findtext(".//title"))
    joined = "\n".join(titles)
    for title in (
        "关于做好2023年度政府信息公开工作年度报告编制和发布工作的通知",
        "天津市东丽区人力资源和社会保障局政府信息公开指南",
        "2024年政务公开工作要点",
        "区人社局举办2024年春风行动专场招聘会",
    ):
        assert title in joined


def test_robots_offsite_link_and_404(demo):
    for portal in demo.portals:
        status, headers, body = fetch(f"{portal.base_url}/robots.txt")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        assert body.decode() == "User-agent: *\nDisallow: /search/\n"
        home = decode(*fetch(portal.start_url)[1:])
        home_links = links(portal.start_url, home)
        assert "http://www.gov.cn/" in home_links
        assert f"{portal.base_url}/search/" in home_links
        assert fetch(f"{portal.base_url}/no/such/page.html")[0] == 404
    assert fetch(f"{demo.portals[0].base_url}/zwgk/zfxxgkndbg/index_3.html")[0] == 404
    log = demo.request_log("demo-tianjin")
    assert ("GET", "/robots.txt") in log


def test_config_toml(demo):
    config = tomllib.loads(demo.config_toml())
    assert [p["name"] for p in config["portal"]] == ["demo-tianjin", "demo-multi"]
    for entry, portal in zip(config["portal"], demo.portals, strict=True):
        assert entry["start_urls"] == [portal.start_url]
        assert entry["allowed_hosts"] == [portal.host]
        assert entry["render"] == "never"
        assert entry["max_pages"] == 200 and entry["requests_per_second"] == 20.0


def test_seed_narrative():
    assert sorted(SEEDS) == ["000", "001", "002", "003", "004"]
    for seed in SEEDS.values():
        headings = [h for h, _ in seed.narrative]
        assert headings[0] == "" and [h[:2] for h in headings[1:]] == ["一、", "五、", "六、"]
        paragraphs = [p for _, ps in seed.narrative for p in ps]
        assert all(p.strip("?") and "[bookmark" not in p for p in paragraphs)
        assert not any(p.startswith("\t") or _NUMBER.match(p) for p in paragraphs)
        assert seed.agency not in paragraphs  # signature dropped
    assert "六、其它需要報(bào)告的事項(xiàng)" in [h for h, _ in SEEDS["002"].narrative]
    assert SEEDS["004"].narrative[-1][1][-1].endswith("tezrsj@zz.shandong.cn）。")


# --------------------------------------------------------------------------- CMS patterns


def test_pattern_portals_are_served(patterns):
    names = [p.name for p in patterns.portals]
    assert names == ["demo-tianjin", "demo-multi", "demo-hanweb", "demo-gkmlpt",
                     "demo-column", "demo-jsonly", "demo-challenge", "demo-home"]
    assert len({p.host for p in patterns.portals}) == 8
    assert len(patterns.reports) == 15
    config = tomllib.loads(patterns.config_toml())
    assert [p["render"] for p in config["portal"]] == ["never"] * 2 + ["auto"] * 6


def test_hanweb_dataproxy_wants_the_page_form(patterns):
    base = patterns.portal("demo-hanweb").base_url
    column = decode(*fetch(f"{base}/col/col4120/index.html")[1:])
    assert "<datastore>" in column and "<totalrecord>11</totalrecord>" in column
    url = f"{base}/module/jpage/dataproxy.jsp?startrecord=3&endrecord=8&perpage=2"

    def post(form: bytes) -> tuple[int, bytes]:
        request = urllib.request.Request(url, data=form, method="POST")
        try:
            with _OPENER.open(request, timeout=5) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    assert post(b"columnid=4120")[0] == 400
    status, body = post(b"col=1&webid=8&columnid=4120&unitid=21645&path=/")
    assert status == 200 and body.count(b"<record>") == 6


def test_gkmlpt_list_page_has_no_links_but_an_api(patterns):
    base = patterns.portal("demo-gkmlpt").base_url
    page = decode(*fetch(f"{base}/gkmlpt/index")[1:])
    assert "window._CONFIG" in page and "post_" not in page
    status, headers, body = fetch(f"{base}/gkmlpt/api/all/2857?page=1&sid=757")
    data = json.loads(body)
    assert status == 200 and data["total"] == 5 and len(data["articles"]) == 3


def test_copies_and_the_challenge(patterns):
    for url in patterns.never_fetch:  # mobile and big5 copies exist, as on real sites
        assert fetch(url)[0] == 200
    base = patterns.portal("demo-challenge").base_url
    status, _, body = fetch(f"{base}/")
    assert status == 412 and b"document.cookie" in body and len(body) < 1000
    assert fetch(f"{base}/", {"Cookie": "nb_clearance=forged"})[0] == 412
    assert fetch(f"{base}/robots.txt")[0] == 200
