"""Portal variants drawn from a seed: the shapes real district portals come in, mixed.

Every portal draws, from its own ``random.Random(seed)``:

- a list mechanism: static pages (a "下一页" pager or a TRS ``createPageHTML`` call),
  Hanweb's embedded ``<datastore>`` XML with a data proxy for the rest, a list that only a
  script's POST to a data proxy fills (XML), a JSON API asked by GET or by POST with a form
  or a JSON body (its paging parameter, page size, item keys and total/hasNext/empty-end
  conventions drawn too), an ASP.NET ``__doPostBack`` pager, a "加载更多" button, or links
  built by script (``javascript:`` hrefs and ``onclick="openDetail('…')"``);
- a start depth: the report column itself, or the portal's home page with hubs between it
  and the column (news and service sections beside them, and year or unit sub-columns);
- the title wording of each report, the page encoding (UTF-8, GBK declared in the header or
  only in a meta tag), URL shapes, and how the report is published (inline HTML, a Word file
  named like the report or only "附件1.docx", an announcement "关于…的公告" with the file).

Nothing here knows how the crawler works: the portal only serves what a browser would see.
"""

from __future__ import annotations

import html
import json
import random
from dataclasses import dataclass, replace
from email.message import Message
from urllib.parse import parse_qsl, urlencode, urlsplit

from nianbao.demo.render import render_report_docx, render_report_html
from nianbao.demo.seeds import Seed, load_seeds
from nianbao.demo.server import Resource, Site, resource_key

MECHANISMS = ("static", "datastore", "proxy_script", "json_get", "json_post_form",
              "json_post_json", "postback", "load_more", "script_links")
# Mechanisms a plain fetch cannot read: the crawl needs a browser for them.
SCRIPTED = {"proxy_script", "json_get", "json_post_form", "json_post_json", "postback",
            "load_more", "script_links"}
STARTS = ("column", "home")
ENCODINGS = ("utf-8", "gbk-header", "gbk-meta")
ATTACHMENTS = ("inline", "docx-titled", "docx-plain", "announcement", "announcement-pdf")
# PDFs are made by LibreOffice (seconds each, in one batch per test): drawn less often
ATTACHMENT_WEIGHTS = (3, 2, 2, 2, 1)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

AGENCIES = ("区人力资源和社会保障局", "区教育局", "区财政局", "区民政局", "区卫生健康委员会",
            "区市场监督管理局", "区住房和城乡建设局", "区交通运输局", "区农业农村局",
            "区司法局", "区审计局", "区文化和旅游局", "区应急管理局", "区医疗保障局",
            "区生态环境分局", "区退役军人事务局", "区水务局", "区商务局", "区城市管理局",
            "区发展和改革局", "区科技局", "区自然资源分局", "区人民政府办公室", "区统计局")
TOWNS = ("城关街道办事处", "东城街道办事处", "新华镇人民政府", "河西镇人民政府", "石桥乡人民政府")
REPORT_FORMS = (
    "{a}{y}年政府信息公开工作年度报告",
    "{a}{y}年度政府信息公开工作报告",
    "{a}政务公开工作年度报告（{y}年）",
    "{a}{y}年信息公开年报",
    "{a}{y}年度政务信息公开年度报告",
    "{a}{y}年政府信息公开工作的年度报告",
    "{a}政府信息公开工作年度报告",  # no year
)
DECOY_FORMS = (
    "图解：{y}年{a}政府信息公开工作年度报告",
    "一图读懂{a}{y}年度政府信息公开工作年度报告",
    "关于做好{y}年度政府信息公开工作年度报告编制和发布工作的通知",
    "{a}政府信息公开指南",
    "{y}年政务公开工作要点",
    "政策解读：{a}{y}年政府信息公开工作年度报告",
    "{a}{y}年政务公开工作计划",
)
NEWS_FORMS = ("{a}召开{y}年度工作会议", "{a}开展政策宣讲活动", "{a}领导调研基层工作",
              "{a}举办业务培训班", "{a}组织志愿服务活动")
HUB_CHAINS = (("政务公开", "法定主动公开内容"), ("政府信息公开", "信息公开目录"),
              ("信息公开", "主动公开"), ("政务公开",))
COLUMN_NAMES = ("政府信息公开年报", "政府信息公开年度报告", "信息公开年报", "年度报告")
DETAIL_STYLES = ("art", "post", "tdate", "info", "aspx")


@dataclass
class Entry:
    title: str
    path: str  # the page the list links to
    kind: str  # report | decoy | news
    document: str | None = None  # for a report: what the export must hold (page or file)
    id: str = ""


@dataclass
class Spec:
    seed: int
    mechanism: str
    start: str
    encoding: str
    attachment: str
    reports: int
    per_page: int
    subcolumns: str  # "" | "year" | "unit"
    detail: str

    def label(self) -> str:
        return (f"seed={self.seed} {self.mechanism} start={self.start} enc={self.encoding} "
                f"att={self.attachment} reports={self.reports} per_page={self.per_page} "
                f"sub={self.subcolumns or '-'} detail={self.detail}")


def draw(seed: int, *, mechanism: str | None = None, start: str | None = None,
         reports: int | None = None) -> Spec:
    rng = random.Random(seed)
    # drawn even when given, so that the rest of a seed's draw does not depend on it
    drawn_mechanism, drawn_start = rng.choice(MECHANISMS), rng.choice(STARTS)
    return Spec(seed=seed, mechanism=mechanism or drawn_mechanism,
                start=start or drawn_start, encoding=rng.choice(ENCODINGS),
                attachment=rng.choices(ATTACHMENTS, ATTACHMENT_WEIGHTS)[0],
                reports=reports or rng.randint(3, 9), per_page=rng.randint(2, 5),
                subcolumns=rng.choice(("", "", "year", "unit")),
                detail=rng.choice(DETAIL_STYLES))


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


class VariantPortal:
    """One generated portal: its resources, its request handler, and the truth about it."""

    def __init__(self, spec: Spec, seeds: list[Seed] | None = None) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed * 7919 + 1)
        self.seeds = seeds or load_seeds()
        self.resources: dict[str, Resource] = {}
        self.reports: list[str] = []  # paths whose documents the export must hold
        self.decoys: list[str] = []  # paths that must never be exported
        self.lists: dict[str, list[Entry]] = {}  # list id -> its entries, newest first
        self.pdf_sources: dict[str, bytes] = {}  # PDF path -> the Word file to convert
        self.next_id = self.rng.randint(1000, 90000)
        self.charset = "utf-8" if spec.encoding == "utf-8" else "gbk"
        self.column = self.rng.choice(("/col/col{n}/index.html", "/xxgk/zfxxgknb/index.html",
                                       "/zwgk/ndbg/", "/gknb/list.html")).format(
            n=self.rng.randint(1000, 99999))
        self.api = self.rng.choice(("/api/list", "/front/content/page", "/interface/getList.do",
                                    "/ajax/articles"))
        self.page_param = self.rng.choice(("page", "pageNo", "curPage", "pageIndex", "offset"))
        self.zero_based = self.page_param != "offset" and self.rng.random() < 0.3
        self.size_param = self.rng.choice(("size", "pageSize", "rows", "limit"))
        self.json_shape = self.rng.choice(("data.list+total", "rows+totalPage",
                                           "result.records+hasNext", "bare-list", "list+count"))
        self.title_key = self.rng.choice(("title", "name", "docTitle"))
        self.url_key = self.rng.choice(("url", "link", "href", None))
        self.proxy = self.rng.choice(("/module/jpage/dataproxy.jsp",
                                      "/module/web/jpage/dataproxy.jsp"))
        self.trs = self.rng.random() < 0.4  # static pages paged by createPageHTML
        self.group = self.rng.choice((1, 3))  # pages of records embedded in a Hanweb column
        self.more = self.rng.choice(("/ajax/more.jsp", "/loadmore", "/list/more.do"))
        self.build()

    # -- content -----------------------------------------------------------------------

    def _id(self) -> str:
        self.next_id += self.rng.randint(1, 40)
        return str(self.next_id)

    def _detail_path(self, ident: str, year: int) -> str:
        m, d = self.rng.randint(1, 3), self.rng.randint(1, 28)
        return {"art": f"/art/{year + 1}/{m}/{d}/art_{self.column_number}_{ident}.html",
                "post": f"/xxgk/content/post_{ident}.html",
                "tdate": f"/xxgk/{year + 1}{m:02d}/t{year + 1}{m:02d}{d:02d}_{ident}.html",
                "info": f"/info/{self.column_number}/{ident}.htm",
                "aspx": f"/pages/PublicDetail.aspx?id={ident}"}[self.spec.detail]

    def id_path(self, ident: str) -> str:
        """Where a page lives when the list script builds its address from the id alone."""
        if not hasattr(self, "_id_template"):
            self._id_template = ("/art/show/art_{id}.html" if self.spec.detail == "art"
                                 else self._detail_path("{id}", 2023))
        return self._id_template.replace("{id}", ident)

    @property
    def column_number(self) -> int:
        return 3000 + self.spec.seed % 997

    def _encode(self, text: str) -> tuple[bytes, str]:
        if self.charset == "utf-8":
            return text.encode("utf-8"), "text/html; charset=utf-8"
        ctype = "text/html; charset=gbk" if self.spec.encoding == "gbk-header" else "text/html"
        return text.encode("gbk", errors="xmlcharrefreplace"), ctype

    def add(self, path: str, body: str | bytes, ctype: str | None = None) -> None:
        if isinstance(body, str):
            body, default = self._encode(body)
            ctype = ctype or default
        self.resources[resource_key(path)] = Resource(200, (("Content-Type", ctype),), body)

    def page(self, title: str, body: str, head: str = "") -> str:
        meta = f'<meta charset="{self.charset}">' if self.charset == "utf-8" else (
            f'<meta http-equiv="Content-Type" content="text/html; charset={self.charset}">')
        return (f"<!DOCTYPE html>\n<html><head>{meta}<title>{_esc(title)}</title>{head}"
                f'</head>\n<body><div class="header"><a href="/">首页</a></div>\n{body}\n'
                f'<div class="footer">生成的测试站点 <a href="/sitemap.html">网站地图</a></div>'
                "</body></html>\n")

    def article(self, path: str, title: str, content: str) -> None:
        self.add(path, self.page(title, f'<div class="article"><h1>{_esc(title)}</h1>\n'
                                 f'<div id="zoom">{content}</div></div>'))

    def _seed(self, agency: str, year: int) -> Seed:
        base = self.rng.choice(self.seeds)
        return replace(base, agency=f"演示{agency}", year=year)

    def report_entry(self, agency: str, year: int) -> Entry:
        ident = self._id()
        path = self._detail_path(ident, year)
        seed = self._seed(agency, year)
        style = self.spec.attachment
        form = self.rng.choice(REPORT_FORMS)
        title = form.format(a=seed.agency, y=year)
        if style.startswith("announcement"):
            title = f"关于{seed.agency}{year}年度政府信息公开工作年度报告的公告"
        if style == "inline":
            self.article(path, title, render_report_html(seed))
            document = path
        else:
            pdf = style == "announcement-pdf"
            file = f"/uploadfiles/{year + 1}/{ident}.{'pdf' if pdf else 'docx'}"
            if pdf:  # converted with the other PDFs of the run (harness.Variants)
                self.pdf_sources[file] = render_report_docx(seed)
            else:
                self.add(file, render_report_docx(seed), DOCX)
            name = (f"{title}.docx" if style == "docx-titled"
                    else "附件1.pdf" if pdf else "附件1.docx")
            lead = ("<p>根据《中华人民共和国政府信息公开条例》，现将本机关年度报告予以公告。</p>"
                    if style.startswith("announcement") else "<p>详见附件。</p>")
            self.article(path, title, f'{lead}<p>附件：<a href="{file}">{_esc(name)}</a></p>')
            document = file
        self.reports.append(document)
        return Entry(title, path, "report", document, ident)

    def decoy_entry(self, agency: str, year: int) -> Entry:
        ident = self._id()
        path = self._detail_path(ident, year)
        title = self.rng.choice(DECOY_FORMS).format(a=f"演示{agency}", y=year)
        # An infographic or an explainer quotes the report's numbers: only its title tells.
        content = (render_report_html(self._seed(agency, year))
                   if self.rng.random() < 0.5 else "<p>各有关单位：请按要求做好相关工作。</p>")
        self.article(path, title, content)
        self.decoys.append(path)
        return Entry(title, path, "decoy", None, ident)

    def news_entry(self, agency: str, year: int) -> Entry:
        ident = self._id()
        path = self._detail_path(ident, year)
        title = self.rng.choice(NEWS_FORMS).format(a=agency, y=year)
        self.article(path, title, "<p>近日，相关工作有序开展。</p>")
        return Entry(title, path, "news", None, ident)

    def entries(self, count: int, *, unit: str | None = None, year: int | None = None
                ) -> list[Entry]:
        agencies = list(AGENCIES + TOWNS)
        self.rng.shuffle(agencies)
        out = []
        for n in range(count):
            agency = unit or agencies[n % len(agencies)]
            out.append(self.report_entry(agency, year or self.rng.randint(2019, 2024)))
        for _ in range(self.rng.randint(1, 3)):
            out.append(self.decoy_entry(self.rng.choice(AGENCIES), self.rng.randint(2020, 2024)))
        for _ in range(self.rng.randint(0, 2)):
            out.append(self.news_entry(self.rng.choice(AGENCIES), self.rng.randint(2020, 2024)))
        self.rng.shuffle(out)
        return out

    # -- structure ---------------------------------------------------------------------

    def build(self) -> None:
        spec = self.spec
        self.add("/robots.txt", "User-agent: *\nDisallow: /search/\n", "text/plain")
        column_name = self.rng.choice(COLUMN_NAMES)
        if spec.subcolumns:
            names = ([f"{y}年" for y in (2024, 2023, 2022)] if spec.subcolumns == "year"
                     else ["区政府部门", "街道", "乡镇"])
            per = max(1, spec.reports // len(names))
            links = []
            left = spec.reports
            for n, name in enumerate(names):
                count = left if n == len(names) - 1 else min(per, left)
                left -= count
                sub = self.column.rsplit("/", 1)[0] + f"/sub{n + 1}/index.html"
                year = int(name[:4]) if spec.subcolumns == "year" else None
                self.list_page(f"L{n + 1}", sub, f"{column_name}{name}",
                               self.entries(count, year=year))
                links.append(f'<li><a href="{sub}">{_esc(name)}</a></li>')
            self.add(self.column, self.page(column_name, f'<div class="column-title">'
                                            f'{_esc(column_name)}</div><ul class="sub">'
                                            + "".join(links) + "</ul>"))
        else:
            self.list_page("L0", self.column, column_name, self.entries(spec.reports))
        if spec.start == "home":
            self.home(column_name)
            self.start_path = "/"
        else:
            self.start_path = self.column

    def home(self, column_name: str) -> None:
        chain = self.rng.choice(HUB_CHAINS)
        news = [self.news_entry(self.rng.choice(AGENCIES), 2024) for _ in range(12)]
        news_links = "".join(f'<li><a href="{e.path}">{_esc(e.title)}</a></li>' for e in news)
        self.add("/news/index.html", self.page("新闻动态", f"<ul>{news_links}</ul>"
                                               '<a href="/news/index_1.html">下一页</a>'))
        self.add("/news/index_1.html", self.page("新闻动态", f"<ul>{news_links}</ul>"))
        self.add("/bsfw/index.html", self.page("办事服务", "<p>在线办事</p>"))
        paths = [f"/hub{n}/index.html" for n in range(len(chain))]
        for n, (name, path) in enumerate(zip(chain, paths, strict=True)):
            target = paths[n + 1] if n + 1 < len(paths) else self.column
            label = chain[n + 1] if n + 1 < len(chain) else column_name
            extra = ('<li><a href="/xxgk/guide.html">政府信息公开指南</a></li>'
                     '<li><a href="/xxgk/zcjd/index.html">政策解读</a></li>'
                     '<li><a href="/xxgk/rsxx/index.html">人事信息</a></li>')
            self.add(path, self.page(name, f"<h2>{_esc(name)}</h2><ul>{extra}"
                                     f'<li><a href="{target}">{_esc(label)}</a></li></ul>'))
        self.article("/xxgk/guide.html", "政府信息公开指南", "<p>指南正文。</p>")
        nav = [("/news/index.html", "新闻动态"), ("/bsfw/index.html", "办事服务"),
               (paths[0], chain[0]), ("/hdjl/index.html", "互动交流")]
        self.rng.shuffle(nav)
        body = ('<ul class="nav">' + "".join(f'<li><a href="{p}">{_esc(t)}</a></li>'
                                             for p, t in nav) + "</ul>"
                f'<div class="news"><h3>要闻</h3><ul>{news_links}</ul></div>')
        self.add("/", self.page("演示区人民政府门户网站", body))

    # -- lists, by mechanism -----------------------------------------------------------

    def _anchor(self, entry: Entry) -> str:
        return f'<a href="{entry.path}" title="{_esc(entry.title)}">{_esc(entry.title)}</a>'

    def _li(self, entry: Entry) -> str:
        return f"<li>{self._anchor(entry)}<span>2024-01-1{len(entry.id) % 9}</span></li>"

    def _chunks(self, entries: list[Entry]) -> list[list[Entry]]:
        size = self.spec.per_page
        return [entries[i:i + size] for i in range(0, len(entries), size)] or [[]]

    def list_page(self, list_id: str, path: str, title: str, entries: list[Entry]) -> None:
        self.lists[list_id] = entries
        getattr(self, f"_list_{self.spec.mechanism}")(list_id, path, title, entries)

    def _list_static(self, list_id: str, path: str, title: str, entries: list[Entry]) -> None:
        pages = self._chunks(entries)
        folder = path.rsplit("/", 1)[0]
        ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else "html"
        base = 0 if self.rng.random() < 0.5 else 1
        # page k of list.html is list_k.html (a TRS template names its pages after the first)
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "index"
        names = [path if path.endswith(f".{ext}") else path + f"index.{ext}"]
        names += [f"{folder}/{stem}_{k + base}.{ext}" for k in range(1, len(pages))]
        if path.endswith("/"):
            names[0] = path
        for k, (name, chunk) in enumerate(zip(names, pages, strict=True)):
            items = "".join(self._li(e) for e in chunk)
            if self.trs:
                current = k + base if k else base
                pager = (f'<script>createPageHTML({len(pages)}, {current}, "{stem}", "{ext}");'
                         "</script>")
                head = ("<script>function createPageHTML(n,c,name,ext){"
                        "document.write('共'+n+'页');}</script>")
            else:
                nxt = (f' <a href="{names[k + 1].rsplit("/", 1)[-1]}">下一页</a>'
                       if k + 1 < len(names) else "")
                nums = " ".join(f'<a href="{n.rsplit("/", 1)[-1]}">{i + 1}</a>'
                                for i, n in enumerate(names))
                pager, head = f'<div class="page">{nums}{nxt}</div>', ""
            self.add(name, self.page(title, f"<h2>{_esc(title)}</h2><ul class='list'>{items}"
                                     f"</ul>{pager}", head))

    def _list_datastore(self, list_id: str, path: str, title: str, entries: list[Entry]) -> None:
        shown = entries[: self.spec.per_page * self.group]
        records = "".join(f"<record><![CDATA[{self._li(e)}]]></record>" for e in shown)
        web = "/web/" in self.proxy
        script = (f"<script>var perpage = {self.spec.per_page}; $.ajax({{url: '{self.proxy}', "
                  "type: 'POST', data: {col: 1, appid: 1, webid: 1, path: '/', "
                  f"columnid: '{list_id}', sourceContentType: 1, unitid: '{list_id}', "
                  "webname: '演示站', permissiontype: 0}});</script>")
        pages = -(-len(entries) // self.spec.per_page)
        body = (f"<h2>{_esc(title)}</h2><div id='div{list_id}'><script type=\"text/xml\">"
                f"<datastore><nextgroup><![CDATA[]]></nextgroup><recordset>{records}"
                f"</recordset><totalrecord>{len(entries)}</totalrecord>"
                f"{f'<totalpage>{pages}</totalpage>' if web else ''}"
                f"</datastore></script></div>{script}")
        self.add(path, self.page(title, body))

    def _proxy_answer(self, list_id: str, start: int, end: int) -> Resource:
        entries = self.lists[list_id]
        chunk = entries[start - 1:end]
        records = "".join(f"<record><![CDATA[{self._li(e)}]]></record>" for e in chunk)
        body = (f'<?xml version="1.0" encoding="UTF-8"?><datastore><nextgroup><![CDATA[]]>'
                f"</nextgroup><recordset>{records}</recordset><totalrecord>{len(entries)}"
                f"</totalrecord><totalpage>{-(-len(entries) // self.spec.per_page)}</totalpage>"
                "</datastore>")
        return Resource(200, (("Content-Type", "text/xml; charset=utf-8"),), body.encode())

    def _list_proxy_script(self, list_id: str, path: str, title: str,
                           entries: list[Entry]) -> None:
        per = self.spec.per_page
        web = "/web/" in self.proxy
        query = ("'page=1'" if web else f"'startrecord=1&endrecord={per}&perpage={per}'")
        script = f"""<script>
function show(xml) {{
  var doc = new DOMParser().parseFromString(xml, 'text/xml');
  var recs = doc.getElementsByTagName('record'), out = '';
  for (var i = 0; i < recs.length; i++) out += recs[i].textContent;
  document.getElementById('list').innerHTML = out;
}}
var x = new XMLHttpRequest();
x.open('POST', '{self.proxy}?' + {query});
x.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded');
x.onload = function () {{ show(x.responseText); }};
x.send('col=1&webid=1&columnid={list_id}&unitid={list_id}&perpage={per}');
</script>"""
        self.add(path, self.page(title, f"<h2>{_esc(title)}</h2><ul id='list'></ul>{script}"))

    def _json_items(self, chunk: list[Entry]) -> list[dict]:
        items = []
        for e in chunk:
            item = {self.title_key: e.title, "id": e.id, "publishDate": "2024-01-15"}
            if self.url_key:
                item[self.url_key] = e.path
            items.append(item)
        return items

    def _json_answer(self, list_id: str, params: dict) -> Resource:
        entries = self.lists.get(list_id)
        if entries is None:
            return Resource(404, (("Content-Type", "application/json"),), b"{}")
        per = self.spec.per_page
        try:
            value = int(params.get(self.page_param, 0 if self.zero_based else 1))
            size = int(params.get(self.size_param, per))
        except ValueError:
            return Resource(400, (("Content-Type", "application/json"),), b"{}")
        size = min(max(size, 1), 50)
        start = value if self.page_param == "offset" else (
            (value if self.zero_based else value - 1) * size)
        chunk = entries[start:start + size] if start >= 0 else []
        items = self._json_items(chunk)
        pages = -(-len(entries) // size)
        shape = self.json_shape
        if shape == "data.list+total":
            data = {"code": 0, "data": {"list": items, "total": len(entries)}}
        elif shape == "rows+totalPage":
            data = {"rows": items, "totalPage": pages}
        elif shape == "result.records+hasNext":
            data = {"success": True, "result": {"records": items,
                                                "hasNext": start + size < len(entries)}}
        elif shape == "list+count":
            data = {"list": items, "count": len(entries), "pageSize": size}
        else:
            data = items
        return Resource(200, (("Content-Type", "application/json; charset=utf-8"),),
                        json.dumps(data, ensure_ascii=False).encode("utf-8"))

    def _list_json(self, list_id: str, path: str, title: str, how: str) -> None:
        per = self.spec.per_page
        first = 0 if (self.zero_based or self.page_param == "offset") else 1
        params = {self.page_param: first, self.size_param: per, "channelId": list_id}
        shape = self.json_shape
        getter = {"data.list+total": "d.data.list", "rows+totalPage": "d.rows",
                  "result.records+hasNext": "d.result.records", "list+count": "d.list",
                  "bare-list": "d"}[shape]
        link = (f"it.{self.url_key}" if self.url_key else
                "'" + self.id_path("' + it.id + '") + "'")
        if how == "get":
            call = f"fetch('{self.api}?{urlencode(params)}')"
        elif how == "form":
            call = (f"fetch('{self.api}', {{method: 'POST', headers: {{'Content-Type': "
                    f"'application/x-www-form-urlencoded'}}, body: '{urlencode(params)}'}})")
        else:
            call = (f"fetch('{self.api}', {{method: 'POST', headers: {{'Content-Type': "
                    f"'application/json'}}, body: JSON.stringify({json.dumps(params)})}})")
        script = f"""<script>
{call}.then(function (r) {{ return r.json(); }}).then(function (d) {{
  var out = '';
  ({getter} || []).forEach(function (it) {{
    out += '<li><a href="' + {link} + '">' + it.{self.title_key} + '</a></li>';
  }});
  document.getElementById('list').innerHTML = out;
}});
</script>"""
        self.add(path, self.page(title, f"<h2>{_esc(title)}</h2><ul id='list'></ul>"
                                 f"<div id='pager'></div>{script}"))

    def _fix_paths_for_template(self, entries: list[Entry]) -> None:
        """Where the list script builds links from ids, the pages live where it points."""
        if self.url_key is not None:
            return
        for e in entries:
            new = self.id_path(e.id)
            old = resource_key(e.path)
            self.resources[resource_key(new)] = self.resources.pop(old)
            if e.document == e.path:
                self.reports[self.reports.index(e.path)] = new
                e.document = new
            if e.path in self.decoys:
                self.decoys[self.decoys.index(e.path)] = new
            e.path = new

    def _list_json_get(self, list_id, path, title, entries) -> None:
        self._fix_paths_for_template(entries)
        self._list_json(list_id, path, title, "get")

    def _list_json_post_form(self, list_id, path, title, entries) -> None:
        self._fix_paths_for_template(entries)
        self._list_json(list_id, path, title, "form")

    def _list_json_post_json(self, list_id, path, title, entries) -> None:
        self._fix_paths_for_template(entries)
        self._list_json(list_id, path, title, "json")

    def _postback_page(self, list_id: str, path: str, title: str, page: int) -> bytes:
        pages = self._chunks(self.lists[list_id])
        items = "".join(self._li(e) for e in pages[page - 1])
        links = []
        for n in range(1, len(pages) + 1):
            links.append(f"<span>{n}</span>" if n == page else
                         f"<a href=\"javascript:__doPostBack('gvList','Page${n}')\">{n}</a>")
        if page < len(pages):
            links.append(f"<a href=\"javascript:__doPostBack('gvList','Page${page + 1}')\">"
                         "下一页</a>")
        form = (f'<form name="form1" id="form1" method="post" action="{_esc(path)}">'
                '<input type="hidden" name="__EVENTTARGET" value="">'
                '<input type="hidden" name="__EVENTARGUMENT" value="">'
                f'<input type="hidden" name="__VIEWSTATE" value="dDwtMTA{page}NjQ=">'
                f"<ul class='list'>{items}</ul><div class='pager'>{' '.join(links)}</div></form>"
                "<script>function __doPostBack(t, a) { var f = document.forms['form1'];"
                " f.__EVENTTARGET.value = t; f.__EVENTARGUMENT.value = a; f.submit(); }"
                "</script>")
        return self._encode(self.page(title, f"<h2>{_esc(title)}</h2>{form}"))[0]

    def _list_postback(self, list_id, path, title, entries) -> None:
        self.postbacks = getattr(self, "postbacks", {})
        self.postbacks[resource_key(path)] = (list_id, title)
        self.add(path, self._postback_page(list_id, path, title, 1))

    def _list_load_more(self, list_id, path, title, entries) -> None:
        per = self.spec.per_page
        first = "".join(self._li(e) for e in entries[:per])
        more = self.more
        script = f"""<script>
var start = {per};
function loadMore() {{
  var x = new XMLHttpRequest();
  x.open('GET', '{more}?channel={list_id}&start=' + start + '&num={per}');
  x.onload = function () {{
    if (!x.responseText.trim()) {{
      document.getElementById('more').style.display = 'none'; return;
    }}
    document.getElementById('list').insertAdjacentHTML('beforeend', x.responseText);
    start += {per};
  }};
  x.send();
}}
</script>"""
        self.add(path, self.page(title, f"<h2>{_esc(title)}</h2><ul id='list'>{first}</ul>"
                                 f'<a id="more" href="javascript:;" onclick="loadMore()">'
                                 f"加载更多</a>{script}"))

    def _list_script_links(self, list_id, path, title, entries) -> None:
        func = self.rng.choice(("openDetail", "viewInfo", "goDetail"))
        style = self.rng.choice(("onclick", "href", "window"))
        for e in entries:  # the script builds the address from the id alone
            new = self.id_path(e.id)
            self.resources[resource_key(new)] = self.resources.pop(resource_key(e.path))
            if e.path in self.reports:
                self.reports[self.reports.index(e.path)] = new
            if e.path in self.decoys:
                self.decoys[self.decoys.index(e.path)] = new
            e.path = new
        built = self.id_path("' + id + '")
        nav = "window.open('%s')" if style == "window" else "location.href = '%s'"
        script = f"<script>function {func}(id) {{ {nav % built}; }}</script>"
        items = []
        for e in entries:
            if style == "href":
                a = f"<a href=\"javascript:{func}('{e.id}')\">{_esc(e.title)}</a>"
            else:
                a = (f"<a href=\"javascript:void(0)\" onclick=\"{func}('{e.id}')\">"
                     f"{_esc(e.title)}</a>")
            items.append(f"<li>{a}</li>")
        self.add(path, self.page(title, f"<h2>{_esc(title)}</h2><ul>{''.join(items)}</ul>"
                                 f"{script}"))

    # -- serving -----------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Message, body: bytes
               ) -> Resource | None:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        mech = self.spec.mechanism
        if mech in ("datastore", "proxy_script") and parts.path == self.proxy:
            if method != "POST":
                return None
            form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
            list_id = form.get("columnid")
            if list_id not in self.lists:
                return Resource(200, (("Content-Type", "text/xml"),), b"")
            per = self.spec.per_page
            if "/web/" in self.proxy:
                if "page" not in query:
                    return None  # this portal's proxy only answers ?page=N
                page = int(query["page"])
                return self._proxy_answer(list_id, (page - 1) * per + 1, page * per)
            if "startrecord" not in query:
                return None
            return self._proxy_answer(list_id, int(query["startrecord"]),
                                      int(query.get("endrecord", query["startrecord"])))
        if mech.startswith("json") and parts.path == self.api:
            if mech == "json_get":
                params = query if method == "GET" else None
            elif mech == "json_post_form":
                params = dict(parse_qsl(body.decode("utf-8"))) if method == "POST" else None
            else:
                try:
                    params = json.loads(body or b"null") if method == "POST" else None
                except ValueError:
                    params = None
            if not isinstance(params, dict):
                return Resource(405, (("Content-Type", "application/json"),), b"{}")
            return self._json_answer(str(params.get("channelId")), params)
        if mech == "load_more" and parts.path == getattr(self, "more", None):
            entries = self.lists.get(query.get("channel", ""), [])
            start, num = int(query.get("start", 0)), int(query.get("num", 5))
            chunk = entries[start:start + num]
            text = "".join(self._li(e) for e in chunk)
            return Resource(200, (("Content-Type", "text/html; charset=utf-8"),),
                            text.encode("utf-8"))
        if mech == "postback" and method == "POST":
            key = resource_key(target)
            if key in getattr(self, "postbacks", {}):
                list_id, title = self.postbacks[key]
                form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
                arg = form.get("__EVENTARGUMENT", "")
                page = int(arg.split("$", 1)[1]) if arg.startswith("Page$") else 1
                page = max(1, min(page, len(self._chunks(self.lists[list_id]))))
                return Resource(200, (("Content-Type", self._encode("")[1]),),
                                self._postback_page(list_id, target, title, page))
        return None

    def site(self) -> Site:
        not_found = Resource(404, (("Content-Type", "text/html; charset=utf-8"),),
                             b"<html><body>404</body></html>")
        return Site(resources=self.resources, not_found=not_found, server_header="nginx",
                    handler=self.handle)
