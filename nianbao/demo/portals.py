"""Demo government portals built the way real Chinese government CMSs build them.

Two are defined here; the CMS-pattern portals (Hanweb, gkmlpt, 年报专栏, a JS-only list,
a script challenge) are in ``nianbao.demo.patterns`` and served alongside by default.

``demo-tianjin`` imitates a static-publishing CMS (TRS WCM): UTF-8 pages under
``/zwgk/zfxxgkndbg/``, list pages ``index.html``/``index_1.html``/``index_2.html`` paginated
both by links and by a ``createPageHTML`` script call, detail pages ``./YYYYMM/tYYYYMMDD_N.html``
with ``ArticleTitle``/``PubDate`` meta tags, gzip and cache validators.

``demo-multi`` imitates a dynamic JSP CMS: ``list.jsp?channelId=7&page=N`` and
``detail.jsp?contentId=N``, bodies encoded as GB18030 but labelled ``charset=GBK`` with no meta
charset, and one report published only as a .docx attachment.

Both list decoys a naive crawler would take for reports (a notice about compiling the
reports, a disclosure guide, a work plan) next to ordinary news, link off-site, and have a
robots.txt disallowing ``/search/``.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import quote

from nianbao.demo.render import render_report_docx, render_report_html, report_title
from nianbao.demo.seeds import Seed, load_seeds
from nianbao.demo.server import Resource, Site, SiteServer, http_date, resource_key

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OFFSITE_URL = "http://www.gov.cn/"
ROBOTS_TXT = "User-agent: *\nDisallow: /search/\n"


@dataclass(frozen=True)
class DemoPortal:
    """One running demo portal."""

    name: str
    start_url: str
    host: str  # "127.0.0.1:PORT"
    base_url: str  # "http://127.0.0.1:PORT"


@dataclass(frozen=True)
class DemoReport:
    """Where a seed report is published, i.e. what a crawler should find."""

    seed_id: str
    portal: str  # DemoPortal.name
    title: str
    page_url: str  # the detail page listed on the portal
    document_url: str  # where the tables are: the detail page, or the .docx attachment
    published: str  # "YYYY-MM-DD"
    content_type: str  # media type of document_url ("text/html" or the .docx type)


@dataclass(frozen=True)
class _Item:
    """One entry of a portal's list: a report, a decoy or a news item."""

    title: str
    published: str  # "YYYY-MM-DD HH:MM"
    kind: str  # "report" | "decoy" | "news"
    seed_id: str | None = None
    paragraphs: tuple[str, ...] = ()
    source: str = ""

    @property
    def date(self) -> str:
        return self.published[:10]


# --------------------------------------------------------------------------- decoy prose

NOTICE_TITLE = "关于做好2023年度政府信息公开工作年度报告编制和发布工作的通知"
_NOTICE = (
    "各街道办事处，区政府各委、办、局，各有关单位：",
    "为做好2023年度政府信息公开工作年度报告（以下简称年度报告）编制和发布工作，根据《中华人民共和国"
    "政府信息公开条例》有关规定和上级政务公开工作部署，现将有关事项通知如下：",
    "一、编制要求。各单位要严格按照政府信息公开工作年度报告格式编制年度报告，如实反映本单位2023年度"
    "主动公开、依申请公开、行政复议和行政诉讼等情况，做到统计口径统一、数据准确、前后一致。",
    "二、发布时间。各单位应于2024年1月31日前，在本单位政府信息公开专栏的“政府信息公开年报”栏目"
    "发布年度报告，同时将年度报告报送区政务公开办公室备案。",
    "三、工作要求。各单位要高度重视，明确专人负责，认真核对数据，严格履行审核程序。年度报告发布后，"
    "请于3个工作日内将发布链接报送区政务公开办公室。",
    "区政务公开办公室",
    "2023年12月5日",
)
GUIDE_TITLE = "天津市东丽区人力资源和社会保障局政府信息公开指南"
_GUIDE = (
    "为了更好地向公民、法人和其他组织提供政府信息公开服务，根据《中华人民共和国政府信息公开条例》，"
    "结合本机关实际，编制本指南。",
    "一、主动公开。本机关主动公开机构职能、政策文件、规划计划、财政预决算、就业创业、社会保障、人事"
    "考试等政府信息，通过区政府门户网站政府信息公开专栏、政务新媒体等渠道发布。属于主动公开范围的政府"
    "信息，自形成或者变更之日起20个工作日内予以公开。",
    "二、依申请公开。申请人可以通过信函、当面提交或者网上申请等方式向本机关办公室提出申请。能够当场"
    "答复的当场答复；不能当场答复的，自收到申请之日起20个工作日内予以答复，需要延长答复期限的，经"
    "负责人同意可以延长20个工作日。",
    "三、收费。本机关依申请提供政府信息，不收取费用；申请公开政府信息的数量、频次明显超过合理范围的，"
    "可以依照有关规定收取信息处理费。",
    "四、监督和救济。公民、法人或者其他组织认为本机关在政府信息公开工作中侵犯其合法权益的，可以向"
    "上一级行政机关或者政府信息公开工作主管部门投诉、举报，也可以依法申请行政复议或者提起行政诉讼。",
)
PLAN_TITLE = "2024年政务公开工作要点"
_PLAN = (
    "为深入贯彻《中华人民共和国政府信息公开条例》，进一步提升政务公开质量和实效，结合工作实际，"
    "制定本要点。",
    "一、加强政策发布解读。围绕就业创业、社会保障、人才服务等重点领域，及时发布政策文件，同步开展"
    "图文、视频等多种形式的解读。",
    "二、做好年度报告工作。按照统一格式编制2023年度政府信息公开工作年度报告，于2024年1月31日前向"
    "社会公布，确保数据准确、内容完整。",
    "三、规范依申请公开办理。完善受理、审查、答复等环节的工作流程，严格落实法定时限，提升答复规范化"
    "水平。",
    "四、强化平台建设管理。加强政府网站和政务新媒体内容保障，及时更新栏目信息，杜绝错敏信息。",
    "五、抓好组织保障。明确分管领导和工作人员，将政务公开工作纳入年度绩效考核，定期开展业务培训。",
)


def _news(title: str, published: str, *paragraphs: str) -> _Item:
    return _Item(title, published, "news", paragraphs=paragraphs, source="区人社局")


def _decoy(title: str, published: str, paragraphs: tuple[str, ...], source: str) -> _Item:
    return _Item(title, published, "decoy", paragraphs=paragraphs, source=source)


def _report(seed_id: str, published: str) -> _Item:
    return _Item("", published, "report", seed_id=seed_id)


# Newest first, as list pages are ordered; the reports sit on pages 2 and 3 so a crawler has
# to follow pagination to find them.
_TIANJIN_PAGES: tuple[tuple[_Item, ...], ...] = (
    (
        _news(
            "区人社局开展2024年“人社服务进园区”活动",
            "2024-04-10 10:00",
            "近日，区人社局组织业务骨干走进辖区产业园区，为企业提供社保、就业、劳动关系等政策咨询。",
            "活动现场发放政策明白纸300余份，解答企业和职工咨询120余人次。",
        ),
        _news(
            "区人社局开展2024年“春暖农民工”服务行动",
            "2024-03-08 15:20",
            "为帮助农民工返岗就业，区人社局在各街道开展“春暖农民工”服务行动，集中提供岗位信息和技能"
            "培训报名服务。",
        ),
        _news(
            "区人社局开展根治欠薪冬季专项行动",
            "2024-02-05 09:00",
            "区人社局会同相关部门对在建工程项目开展工资支付情况专项检查，督促用人单位按时足额支付工资。",
        ),
    ),
    (
        _report("000", "2024-01-20 09:30"),
        _decoy(NOTICE_TITLE, "2023-12-05 16:45", _NOTICE, "区政务公开办公室"),
        _decoy(GUIDE_TITLE, "2023-06-30 11:00", _GUIDE, "区人社局"),
        _news(
            "区人社局举办2023年高校毕业生就业政策宣讲会",
            "2023-05-18 14:30",
            "区人社局走进驻区高校举办就业政策宣讲会，介绍一次性吸纳就业补贴、创业担保贷款等政策。",
        ),
    ),
    (
        _news(
            "区人社局开展“人社政策进社区”宣传活动",
            "2021-07-01 10:10",
            "区人社局在辖区社区设立政策咨询台，向居民宣传养老保险、失业保险待遇申领等政策。",
        ),
        _report("001", "2020-01-21 17:05"),
        _news(
            "区人社局召开2019年度安全生产工作会议",
            "2019-11-12 09:00",
            "会议传达了上级安全生产工作部署，对冬季办公场所消防安全检查作出安排。",
        ),
    ),
)

_MULTI_PAGES: tuple[tuple[_Item, ...], ...] = (
    (
        _news(
            "区人社局举办2024年春风行动专场招聘会",
            "2024-03-26 10:00",
            "区人社局在区人力资源市场举办2024年春风行动专场招聘会，60余家企业提供就业岗位1500余个。",
            "现场设立政策咨询台，为求职者提供就业创业政策咨询和职业指导服务。",
        ),
        _decoy(PLAN_TITLE, "2024-03-12 09:40", _PLAN, "区政务公开办公室"),
        _report("003", "2024-01-18 16:20"),
    ),
    (
        _news(
            "区人社局开展2023年度劳动保障监察执法检查",
            "2024-01-05 11:30",
            "区人社局对辖区用人单位遵守劳动保障法律法规情况开展执法检查，重点检查劳动合同签订和工资"
            "支付情况。",
        ),
        _report("002", "2023-12-11 08:50"),
        _decoy(NOTICE_TITLE, "2023-12-01 15:00", _NOTICE, "区政务公开办公室"),
    ),
    (
        _news(
            "区人社局召开2022年稳就业工作推进会",
            "2022-06-15 14:00",
            "会议总结了上半年稳就业工作情况，部署了高校毕业生、退役军人等重点群体就业服务工作。",
        ),
        _report("004", "2022-01-24 10:15"),
        _news(
            "区人社局开展职业技能提升行动培训",
            "2021-09-10 09:30",
            "区人社局组织开展电工、育婴员等职业技能培训，参训学员200余人。",
        ),
    ),
)

# Reports published traditional, like the original (seed 002 comes from a traditional page).
_TRADITIONAL = {"002"}
_ATTACHMENT_ONLY = {"004": "台儿庄区人力资源和社会保障局2021年政府信息公开工作年度报告.docx"}


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _paragraphs(paragraphs: tuple[str, ...]) -> str:
    return "\n".join(f'<p style="text-indent:2em">{_esc(p)}</p>' for p in paragraphs)


def _date_parts(published: str) -> tuple[int, int, int, int, int]:
    date, _, clock = published.partition(" ")
    y, m, d = (int(x) for x in date.split("-"))
    hh, mm = (int(x) for x in (clock or "00:00").split(":"))
    return y, m, d, hh, mm


def _chinese_date(published: str) -> str:
    y, m, d, _, _ = _date_parts(published)
    return f"{y}年{m}月{d}日"


# --------------------------------------------------------------------------- demo-tianjin


class _Tianjin:
    """Pages of the static TRS-like portal (UTF-8, relative links)."""

    name = "demo-tianjin"
    site_name = "天津市区级人社部门政务公开（演示站点）"
    column = "/zwgk/zfxxgkndbg/"
    list_pages = ("index.html", "index_1.html", "index_2.html")

    def __init__(self, seeds: dict[str, Seed]) -> None:
        self.seeds = seeds
        self.resources: dict[str, Resource] = {}
        self.reports: list[tuple[str, str, str, str]] = []  # seed id, page path, doc path, date
        self.decoys: list[str] = []
        self.news: list[str] = []

    def _add(self, path: str, body: str, published: str, ctype: str = "text/html") -> None:
        charset = "; charset=utf-8" if ctype.startswith("text/") else ""
        headers = (("Content-Type", ctype + charset), ("Cache-Control", "max-age=600"))
        last_modified = http_date(*_date_parts(published))
        self.resources[path] = Resource(200, headers, body.encode("utf-8"), last_modified)

    def _page(self, title: str, body: str, *, meta: str = "") -> str:
        return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="SiteName" content="{_esc(self.site_name)}">
{meta}<title>{_esc(title)}</title>
</head>
<body>
<div class="header"><div class="logo">{_esc(self.site_name)}</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/index.html">政务公开</a></li>
<li><a href="/search/">站内搜索</a></li></ul></div>
{body}
<div class="footer"><p>友情链接：<a href="{OFFSITE_URL}" target="_blank">中国政府网</a></p>
<p>主办单位：{_esc(self.site_name)}　技术支持：演示数据，非真实网站</p></div>
</body>
</html>
"""

    def build(self) -> None:
        items = [item for page in _TIANJIN_PAGES for item in page]
        newest = max(i.published for i in items)
        self._add("/", self._home(), newest)
        self._add("/index.html", self._home(), newest)
        self._add("/zwgk/index.html", self._hub(), newest)
        serial = 5618230
        hrefs: dict[int, str] = {}
        for n, item in enumerate(items):
            y, m, d, _, _ = _date_parts(item.published)
            hrefs[n] = f"{y:04d}{m:02d}/t{y:04d}{m:02d}{d:02d}_{serial - 17 * n}.html"
        n = 0
        for index, page in enumerate(_TIANJIN_PAGES):
            entries = []
            for item in page:
                entries.append((self._title(item), item.date, hrefs[n]))
                self._detail(item, self.column + hrefs[n])
                n += 1
            path = self.column + self.list_pages[index]
            self._add(path, self._list(index, entries), page[0].published)
        self._add("/search/", self._search(), newest)
        self._add("/robots.txt", ROBOTS_TXT, newest, ctype="text/plain")

    def _title(self, item: _Item) -> str:
        return report_title(self.seeds[item.seed_id]) if item.seed_id else item.title

    def _home(self) -> str:
        body = f"""<div class="main">
<div class="box"><h3>政务公开</h3><ul>
<li><a href="/zwgk/zfxxgkndbg/index.html">政府信息公开年报</a></li>
<li><a href="/zwgk/index.html">政府信息公开专栏</a></li>
</ul></div>
<div class="box"><h3>便民服务</h3><ul>
<li><a href="/search/">站内搜索</a></li>
<li><a href="{OFFSITE_URL}" target="_blank">中国政府网</a></li>
</ul></div>
</div>"""
        return self._page(self.site_name, body)

    def _hub(self) -> str:
        body = """<div class="main">
<div class="location">当前位置：<a href="../">首页</a> &gt; 政务公开</div>
<ul class="column-list">
<li><a href="./zfxxgkndbg/index.html">政府信息公开年报</a></li>
</ul></div>"""
        return self._page(f"政务公开_{self.site_name}", body)

    def _pager(self, index: int) -> str:
        total = len(self.list_pages)
        links = []
        if index > 0:
            links.append(f'<a href="{self.list_pages[0]}">首页</a>')
            links.append(f'<a href="{self.list_pages[index - 1]}">上一页</a>')
        for i, page in enumerate(self.list_pages):
            links.append(f"<span>{i + 1}</span>" if i == index else f'<a href="{page}">{i + 1}</a>')
        if index < total - 1:
            links.append(f'<a href="{self.list_pages[index + 1]}">下一页</a>')
            links.append(f'<a href="{self.list_pages[-1]}">尾页</a>')
        # TRS list templates page with a script; the links above are the static fallback.
        script = f"""<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt) {{
  if (_nPageCount == null || _nPageCount <= 1) {{ return; }}
  var next = _nCurrIndex + 1 < _nPageCount ? _nCurrIndex + 1 : _nPageCount - 1;
  document.write("<a href=\\"" + _sPageName + (next == 0 ? "" : "_" + next) + "." + _sPageExt +
    "\\">下一页</a>");
}}
createPageHTML({total}, {index}, "index", "html");
</script>"""
        return f'<div class="page">{" ".join(links)}</div>\n{script}'

    def _list(self, index: int, entries: list[tuple[str, str, str]]) -> str:
        lis = "\n".join(
            f'<li><a href="./{href}" title="{_esc(title)}" target="_blank">{_esc(title)}</a>'
            f"<span>{date}</span></li>"
            for title, date, href in entries
        )
        body = f"""<div class="main">
<div class="location">当前位置：<a href="../../">首页</a> &gt; <a href="../index.html">政务公开</a>
 &gt; <a href="./index.html">政府信息公开年报</a></div>
<div class="list"><ul>
{lis}
</ul></div>
{self._pager(index)}
</div>"""
        return self._page(f"政府信息公开年报_{self.site_name}", body)

    def _detail(self, item: _Item, path: str) -> None:
        title = self._title(item)
        if item.seed_id:
            seed = self.seeds[item.seed_id]
            content = render_report_html(seed, traditional=item.seed_id in _TRADITIONAL)
            source = seed.agency
            self.reports.append((item.seed_id, path, path, item.date))
        else:
            content = _paragraphs(item.paragraphs)
            source = item.source
            (self.decoys if item.kind == "decoy" else self.news).append(path)
        meta = (
            f'<meta name="ColumnName" content="政府信息公开年报">\n'
            f'<meta name="ArticleTitle" content="{_esc(title)}">\n'
            f'<meta name="PubDate" content="{item.published}">\n'
            f'<meta name="ContentSource" content="{_esc(source)}">\n'
        )
        body = f"""<div class="main">
<div class="location">当前位置：<a href="../../../">首页</a>
 &gt; <a href="../../index.html">政务公开</a>
 &gt; <a href="../index.html">政府信息公开年报</a></div>
<div class="article">
<h1>{_esc(title)}</h1>
<div class="info"><span>发布日期：{item.date}</span>　<span>来源：{_esc(source)}</span></div>
<div class="TRS_Editor">
{content}</div>
<div class="tools"><a href="javascript:window.print()">打印本页</a>
<a href="javascript:window.close()">关闭窗口</a></div>
</div>
</div>"""
        self._add(path, self._page(f"{title}_{self.site_name}", body, meta=meta), item.published)

    def _search(self) -> str:
        body = """<div class="main"><form action="/search/" method="get">
<input type="text" name="q"><input type="submit" value="搜索"></form></div>"""
        return self._page(f"站内搜索_{self.site_name}", body)

    def not_found(self) -> Resource:
        body = self._page("404", '<div class="main"><h1>404</h1><p>您访问的页面不存在。</p></div>')
        headers = (("Content-Type", "text/html; charset=utf-8"),)
        return Resource(404, headers, body.encode("utf-8"))


# --------------------------------------------------------------------------- demo-multi


class _Multi:
    """Pages of the dynamic JSP-like portal (GB18030 bytes labelled GBK, absolute paths)."""

    name = "demo-multi"
    site_name = "区人社局信息公开网（演示站点）"
    list_path = "/channel/list.jsp?channelId=7&page={page}"
    headers = (
        ("Content-Type", "text/html; charset=GBK"),
        ("Cache-Control", "no-cache"),
        ("Set-Cookie", "JSESSIONID=4F2A9C1D7E3B5A60D1C8E9F0A1B2C3D4; Path=/; HttpOnly"),
    )

    def __init__(self, seeds: dict[str, Seed]) -> None:
        self.seeds = seeds
        self.resources: dict[str, Resource] = {}
        self.reports: list[tuple[str, str, str, str]] = []
        self.decoys: list[str] = []
        self.news: list[str] = []

    def _add(self, target: str, text: str) -> None:
        body = text.encode("gb18030")
        self.resources[resource_key(target)] = Resource(200, self.headers, body)

    def _page(self, title: str, body: str) -> str:
        # No <meta charset>: the only hint is the (wrong) GBK label in the HTTP header.
        return f"""<html>
<head>
<title>{_esc(title)}</title>
<meta http-equiv="X-UA-Compatible" content="IE=edge">
</head>
<body>
<div class="top"><span class="sitename">{_esc(self.site_name)}</span>
<a href="/">网站首页</a> | <a href="{_esc(self.list_path.format(page=1))}">政府信息公开年度报告</a>
 | <a href="/search/">站内搜索</a></div>
{body}
<div class="bottom">相关链接：<a href="{OFFSITE_URL}" target="_blank">中国政府网</a>
<br>版权所有：{_esc(self.site_name)}　演示数据，非真实网站</div>
</body>
</html>
"""

    def build(self) -> None:
        content_id = 48213
        n_pages = len(_MULTI_PAGES)
        for index, page in enumerate(_MULTI_PAGES):
            entries = []
            for item in page:
                href = f"/content/detail.jsp?contentId={content_id}"
                content_id -= 37
                entries.append((self._title(item), item.date, href))
                self._detail(item, href)
            self._add(self.list_path.format(page=index + 1), self._list(index, n_pages, entries))
        self._add("/", self._home())
        self._add("/search/", self._page(f"站内搜索-{self.site_name}", "<div>请输入关键词</div>"))
        self.resources["/robots.txt"] = Resource(
            200, (("Content-Type", "text/plain"),), ROBOTS_TXT.encode("ascii")
        )

    def _title(self, item: _Item) -> str:
        return report_title(self.seeds[item.seed_id]) if item.seed_id else item.title

    def _home(self) -> str:
        body = f"""<div class="main">
<div class="column"><div class="column-title">信息公开</div>
<a href="{_esc(self.list_path.format(page=1))}">政府信息公开年度报告</a></div>
<div class="column"><a href="/search/">站内搜索</a> <a href="{OFFSITE_URL}">中国政府网</a></div>
</div>"""
        return self._page(self.site_name, body)

    def _list(self, index: int, n_pages: int, entries: list[tuple[str, str, str]]) -> str:
        lis = "\n".join(
            f'<li><a href="{_esc(href)}" target="_blank" title="{_esc(title)}">{_esc(title)}</a>'
            f'<span class="date">[{date}]</span></li>'
            for title, date, href in entries
        )

        def link(page: int, text: str) -> str:
            return f'<a href="{_esc(self.list_path.format(page=page))}">{text}</a>'

        pager = [f"共{n_pages}页 当前第{index + 1}页"]
        if index > 0:
            pager.append(link(index, "上一页"))
        pager += [
            f"<b>{p}</b>" if p == index + 1 else link(p, str(p)) for p in range(1, n_pages + 1)
        ]
        if index < n_pages - 1:
            pager.append(link(index + 2, "下一页"))
        body = f"""<div class="main">
<div class="position">您现在的位置：<a href="/">首页</a> &gt; 政府信息公开年度报告</div>
<ul class="news-list">
{lis}
</ul>
<div class="pager">{" ".join(pager)}</div>
</div>"""
        return self._page(f"政府信息公开年度报告-{self.site_name}", body)

    def _detail(self, item: _Item, target: str) -> None:
        title = self._title(item)
        source = item.source
        document = target
        if item.seed_id:
            seed = self.seeds[item.seed_id]
            source = seed.agency
            if item.seed_id in _ATTACHMENT_ONLY:
                file_name = _ATTACHMENT_ONLY[item.seed_id]
                y, m, d, _, _ = _date_parts(item.published)
                document = f"/upload/file/{y:04d}{m:02d}{d:02d}/{quote(file_name)}"
                docx = render_report_docx(seed, signed_on=_chinese_date(item.published))
                self.resources[resource_key(document)] = Resource(
                    200, (("Content-Type", DOCX_TYPE), ("Accept-Ranges", "bytes")), docx
                )
                content = (
                    '<p style="text-indent:2em">详见附件</p>\n'
                    f'<p>附件：<a href="{_esc(document)}">{_esc(file_name)}</a></p>\n'
                )
            else:
                content = render_report_html(seed, traditional=item.seed_id in _TRADITIONAL)
            self.reports.append((item.seed_id, target, document, item.date))
        else:
            content = _paragraphs(item.paragraphs)
            (self.decoys if item.kind == "decoy" else self.news).append(target)
        body = f"""<div class="main">
<div class="position">您现在的位置：<a href="/">首页</a> &gt;
<a href="{_esc(self.list_path.format(page=1))}">政府信息公开年度报告</a></div>
<div class="article">
<div class="title">{_esc(title)}</div>
<div class="property">发布时间：{item.date}　来源：{_esc(source)}
　浏览次数：<span id="hits">128</span></div>
<div class="content" id="zoom">
{content}</div>
</div>
</div>"""
        self._add(target, self._page(f"{title}-{self.site_name}", body))

    def not_found(self) -> Resource:
        text = self._page("404", "<div>对不起，您访问的页面不存在！</div>")
        return Resource(404, self.headers[:1], text.encode("gb18030"))


# --------------------------------------------------------------------------- public API


class DemoPortals:
    """Start both demo portals on loopback; use as a context manager.

    >>> with DemoPortals() as demo:
    ...     demo.portals[0].start_url  # doctest: +SKIP
    'http://127.0.0.1:40123/'
    """

    def __init__(self, ports: tuple[int, ...] = (0, 0), *, patterns: bool = True) -> None:
        """``ports``: (demo-tianjin, demo-multi, then the pattern portals in order); 0 or a
        missing entry picks an ephemeral port. ``patterns``: also serve the CMS-pattern
        portals of ``nianbao.demo.patterns`` (Hanweb, gkmlpt, 年报专栏, a JS-only list, a
        script challenge)."""
        self.portals: list[DemoPortal] = []
        self.reports: list[DemoReport] = []
        self.decoys: list[str] = []  # pages a naive crawler takes for reports
        self.news: list[str] = []  # ordinary news items filling the lists
        self._ports = ports
        self._patterns = patterns
        self._servers: dict[str, SiteServer] = {}
        self.never_fetch: list[str] = []  # mobile/big5 copies a crawler must not fetch
        self.render: dict[str, str] = {}  # portal -> render setting in config_toml

    def __enter__(self) -> DemoPortals:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Render every page, bind both servers to ephemeral ports and start serving."""
        if self._servers:
            return
        self.portals, self.reports, self.decoys, self.news = [], [], [], []
        seeds = {seed.id: seed for seed in load_seeds()}
        builders = (
            (_Tianjin(seeds), dict(gzip=True, validators=True, server_header="nginx")),
            (_Multi(seeds), dict(gzip=False, validators=False, server_header="Apache-Coyote/1.1")),
        )
        ports = list(self._ports) + [0] * 8
        try:
            for (builder, habits), port in zip(builders, ports[:2], strict=True):
                builder.build()
                site = Site(builder.resources, builder.not_found(), **habits)
                server = SiteServer(site, port)
                self._servers[builder.name] = server
                base = f"http://{server.host}"
                self.portals.append(DemoPortal(builder.name, f"{base}/", server.host, base))
                self.render[builder.name] = "never"
                for seed_id, page, document, date in builder.reports:
                    content_type = DOCX_TYPE if document != page else "text/html"
                    self.reports.append(
                        DemoReport(
                            seed_id=seed_id,
                            portal=builder.name,
                            title=report_title(seeds[seed_id]),
                            page_url=base + page,
                            document_url=base + document,
                            published=date,
                            content_type=content_type,
                        )
                    )
                self.decoys += [base + path for path in builder.decoys]
                self.news += [base + path for path in builder.news]
            if self._patterns:
                self._start_patterns(seeds, ports[2:])
            for server in self._servers.values():
                server.start()
        except BaseException:
            self.close()
            raise
        self.reports.sort(key=lambda r: r.seed_id)

    def _start_patterns(self, seeds: dict[str, Seed], ports: list[int]) -> None:
        from nianbao.demo.patterns import PATTERN_BUILDERS

        for cls, port in zip(PATTERN_BUILDERS, ports, strict=False):
            # The server is bound first: some pages name their own host (big5 gateway).
            site = Site({}, Resource(404, (), b""), **cls.habits)
            server = SiteServer(site, port)
            self._servers[cls.name] = server
            builder = cls(seeds, server.host)
            builder.build()
            site.resources.update(builder.resources)
            site.not_found = builder.not_found()
            site.handler = builder.handler
            base = f"http://{server.host}"
            self.portals.append(DemoPortal(cls.name, base + builder.start_path, server.host,
                                           base))
            self.render[cls.name] = "auto"
            for seed_id, page, document, date in builder.reports:
                content_type = DOCX_TYPE if document.endswith(".docx") else "text/html"
                self.reports.append(DemoReport(
                    seed_id=seed_id, portal=cls.name, title=report_title(seeds[seed_id]),
                    page_url=base + page, document_url=base + document, published=date,
                    content_type=content_type))
            self.decoys += [base + path for path in builder.decoys]
            self.news += [base + path for path in builder.news]
            self.never_fetch += [base + path for path in builder.never_fetch]

    def close(self) -> None:
        """Stop every server (idempotent)."""
        for server in self._servers.values():
            server.close()
        self._servers.clear()

    def portal(self, name: str) -> DemoPortal:
        for portal in self.portals:
            if portal.name == name:
                return portal
        raise KeyError(name)

    def report(self, seed_id: str) -> DemoReport:
        for report in self.reports:
            if report.seed_id == seed_id:
                return report
        raise KeyError(seed_id)

    def request_log(self, name: str) -> list[tuple[str, str]]:
        """(method, request target) of every request the named portal has answered so far."""
        return list(self._servers[name].site.request_log)

    def config_toml(self) -> str:
        """A portal config (TOML, one [[portal]] table per portal) pointing at these servers."""
        lines = []
        for portal in self.portals:
            lines += [
                "[[portal]]",
                f"name = {json.dumps(portal.name)}",
                f"start_urls = [{json.dumps(portal.start_url)}]",
                f"allowed_hosts = [{json.dumps(portal.host)}]",
                f"render = {json.dumps(self.render.get(portal.name, 'never'))}",
                "max_pages = 200",
                "requests_per_second = 20.0",
                "",
            ]
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the demo portals in the foreground: ``python -m nianbao.demo.portals [PORT PORT]``."""
    import sys
    import time

    args = sys.argv[1:] if argv is None else argv
    ports = tuple(int(a) for a in args) or (0, 0)
    with DemoPortals(ports) as demo:
        print(demo.config_toml())
        for report in demo.reports:
            print(f"# {report.seed_id} {report.portal} {report.document_url}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
