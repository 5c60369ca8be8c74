"""Demo portals for the CMS patterns real district portals are built on.

Each serves its list the way its platform does, so a plain link walk finds nothing or
only part of it:

``demo-hanweb``     Hanweb JCMS: ``/col/col4120/index.html`` with the first records embedded
                    as ``<datastore>`` XML, the rest from ``POST /module/jpage/dataproxy.jsp``
                    (answered only with the form fields the page's script uses), articles at
                    ``/art/Y/M/D/art_4120_N.html``, and the annual-report module
                    ``/module/xxgk/xxgkAnnualReport.jsp?area=…&fbtime=<year>``.
``demo-gkmlpt``     Guangdong gkmlpt: ``/gkmlpt/index`` built by script from
                    ``/gkmlpt/api/all/2857?page=N&sid=757``; the report is an attachment.
``demo-column``     a 年报专栏: year folders, then unit folders, each unit's list paged by a
                    TRS ``createPageHTML`` call only (0-based ``.html`` and 1-based
                    ``.shtml``), with mobile (``_wap``, ``/ydmh/``) and big5-gateway copies
                    of the reports linked next to them.
``demo-jsonly``     a list filled in by a script from an unknown JSON file: only a browser
                    sees the links.
``demo-challenge``  every page behind a script challenge (HTTP 412, a small page whose script
                    sets a cookie and reloads), as anti-bot front ends do.
``demo-home``       known only by its home page: hubs lead to the 年报 column, whose year
                    sub-columns are filled by a script's POST (JSON body) to a list API.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from email.message import Message
from urllib.parse import parse_qsl, quote, urlsplit

from nianbao.demo.render import render_report_docx, render_report_html, report_title
from nianbao.demo.seeds import Seed
from nianbao.demo.server import Resource, http_date, resource_key

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ROBOTS_TXT = "User-agent: *\nDisallow: /search/\n"
HTML = (("Content-Type", "text/html; charset=utf-8"),)

NOTICE = "关于做好2023年度政府信息公开工作年度报告编制和发布工作的通知"
GUIDE = "政府信息公开指南"
PLAN = "2024年政务公开工作要点"
REPORT_ASK = "关于报送2023年度政府信息公开工作年度报告的通知"
_DECOY_TEXT = ("各有关单位：请按要求编制并报送政府信息公开工作年度报告。", "特此通知。")
_NEWS_TEXT = ("区人社局组织开展政策宣讲活动，现场解答群众咨询。",)


def _esc(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def _date(published: str) -> tuple[int, int, int]:
    y, m, d = (int(x) for x in published.split("-"))
    return y, m, d


def _cn_date(published: str) -> str:
    y, m, d = _date(published)
    return f"{y}年{m}月{d}日"


class _Builder:
    """Shared bits: resources, what the crawler should and should not find."""

    name = ""
    site_name = ""
    habits: dict = {}

    def __init__(self, seeds: dict[str, Seed], host: str) -> None:
        self.seeds = seeds
        self.host = host  # 127.0.0.1:PORT, for absolute links (big5 gateway)
        self.resources: dict[str, Resource] = {}
        self.reports: list[tuple[str, str, str, str]] = []  # seed, page, document, date
        self.decoys: list[str] = []
        self.news: list[str] = []
        self.start_path = "/"
        self.never_fetch: list[str] = []  # duplicate copies a crawler must not fetch

    def add(self, target: str, body: str | bytes, *, ctype: str = "text/html; charset=utf-8",
            published: str | None = None, status: int = 200) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        last = http_date(*_date(published)) if published else None
        self.resources[resource_key(target)] = Resource(status, (("Content-Type", ctype),),
                                                        data, last)

    def page(self, title: str, body: str, meta: str = "", head: str = "") -> str:
        return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">\n{meta}'
                f"<title>{_esc(title)}</title>{head}</head>\n<body>\n"
                f'<div class="top">{_esc(self.site_name)} <a href="/">首页</a> '
                f'<a href="/search/">搜索</a></div>\n{body}\n'
                f'<div class="foot">演示数据，非真实网站 <a href="http://www.gov.cn/">中国政府网</a>'
                f"</div>\n</body></html>\n")

    def article(self, target: str, title: str, published: str, content: str,
                source: str) -> None:
        meta = (f'<meta name="ArticleTitle" content="{_esc(title)}">\n'
                f'<meta name="PubDate" content="{published} 09:00">\n'
                f'<meta name="ContentSource" content="{_esc(source)}">\n')
        body = (f'<div class="article"><h1>{_esc(title)}</h1>\n'
                f'<div class="info">发布日期：{published}　来源：{_esc(source)}</div>\n'
                f'<div class="content">\n{content}</div></div>')
        self.add(target, self.page(title, body, meta), published=published)

    def report(self, seed_id: str, target: str, published: str) -> str:
        seed = self.seeds[seed_id]
        title = report_title(seed)
        self.article(target, title, published, render_report_html(seed), seed.agency)
        self.reports.append((seed_id, target, target, published))
        return title

    def report_with_docx(self, seed_id: str, target: str, file_target: str,
                         published: str) -> str:
        seed = self.seeds[seed_id]
        title = report_title(seed)
        name = file_target.rsplit("/", 1)[-1]
        content = (f'<p>详见附件。</p>\n<p>附件：<a href="{_esc(file_target)}">'
                   f"{_esc(title)}.docx</a></p>\n")
        self.article(target, title, published, content, seed.agency)
        self.add(file_target, render_report_docx(seed, signed_on=_cn_date(published)),
                 ctype=DOCX_TYPE)
        self.reports.append((seed_id, target, file_target, published))
        del name
        return title

    def decoy(self, target: str, title: str, published: str) -> str:
        self.article(target, title, published, "".join(f"<p>{_esc(p)}</p>" for p in _DECOY_TEXT),
                     "区政务公开办公室")
        self.decoys.append(target)
        return title

    def item(self, kind: str, what: str, target: str, published: str) -> str:
        """Publish one list entry at ``target``: a report (``what`` is its seed id), a decoy
        or a news item (``what`` is the title). Returns the title the list shows."""
        if kind == "report":
            return self.report(what, target, published)
        if kind == "decoy":
            return self.decoy(target, what, published)
        return self.news_item(target, what, published)

    def dated_items(self, folder: str, first_id: int, entries: tuple[tuple[str, str, str], ...]
                    ) -> list[tuple[str, str, str]]:
        """Publish (kind, what, published) entries at TRS-style dated paths
        (``folder/YYYYMM/tYYYYMMDD_<id>.html``); returns (path, title, published)."""
        published_items = []
        for n, (kind, what, published) in enumerate(entries):
            y, m, d = _date(published)
            target = f"{folder}/{y}{m:02d}/t{y}{m:02d}{d:02d}_{first_id + n}.html"
            published_items.append((target, self.item(kind, what, target, published), published))
        return published_items

    def news_item(self, target: str, title: str, published: str) -> str:
        self.article(target, title, published, "".join(f"<p>{_esc(p)}</p>" for p in _NEWS_TEXT),
                     "区人社局")
        self.news.append(target)
        return title

    def common(self) -> None:
        self.add("/robots.txt", ROBOTS_TXT, ctype="text/plain")
        self.add("/search/", self.page("搜索", "<form><input name='q'></form>"))

    def not_found(self) -> Resource:
        return Resource(404, HTML, self.page("404", "<p>页面不存在</p>").encode("utf-8"))

    def handler(self, method: str, target: str, headers: Message, body: bytes
                ) -> Resource | None:
        return None


# --------------------------------------------------------------------------- Hanweb JCMS


class Hanweb(_Builder):
    name = "demo-hanweb"
    site_name = "演示区人民政府（大汉JCMS演示站点）"
    column = 4120
    unit = "21645"
    area = "11370405MB"
    perpage = 2
    habits = {"gzip": True, "validators": False, "server_header": "Hanweb/JCMS"}
    form = {"col": "1", "appid": "1", "webid": "8", "path": "/", "columnid": "4120",
            "sourceContentType": "1", "unitid": "21645", "webname": "演示区人民政府",
            "permissiontype": "0"}

    def build(self) -> None:
        self.common()
        self.start_path = "/"
        entries = [  # newest first, as the column lists them
            ("news", "区人社局开展2024年春风行动", "2024-03-20"),
            ("decoy", NOTICE, "2023-12-05"),
            ("news", "区人社局召开2024年度工作会议", "2024-02-18"),
            ("news", "区人社局开展根治欠薪专项行动", "2024-01-26"),
            ("decoy", PLAN, "2024-03-10"),
            ("news", "区人社局举办高校毕业生招聘会", "2023-11-15"),
            ("news", "区人社局开展技能培训", "2023-10-10"),
            ("report", "003", "2024-01-18"),
            ("news", "区人社局开展安全生产检查", "2023-06-01"),
            ("news", "区人社局走访企业", "2023-05-05"),
            ("news", "区人社局开展法治宣传", "2023-04-04"),
        ]
        records = []
        for n, (kind, what, published) in enumerate(entries):
            y, m, d = _date(published)
            target = f"/art/{y}/{m}/{d}/art_{self.column}_{3021400 + n}.html"
            title = self.item(kind, what, target, published)
            records.append(f'<li><a href="{target}" title="{_esc(title)}" target="_blank">'
                           f"{_esc(title)}</a><span>{published}</span></li>")
        self.records = records
        shown = records[: self.perpage]
        datastore = (
            '<script type="text/xml"><datastore>'
            f"<nextgroup><![CDATA[<a href=\"/module/jpage/dataproxy.jsp?page=1&webid=8&path=/"
            f"&columnid={self.column}&unitid={self.unit}&permissiontype=0\"></a>]]></nextgroup>"
            f"<totalrecord>{len(records)}</totalrecord><recordset>"
            + "".join(f"<record><![CDATA[{r}]]></record>" for r in shown)
            + "</recordset></datastore></script>")
        fields = ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}"
                           for k, v in self.form.items())
        script = f"""<script type="text/javascript">
$(function () {{
  $("#{self.unit}").jpage({{
    dataproxy: '/module/jpage/dataproxy.jsp', perPage: {self.perpage}, totalRecord: {len(records)},
    ajaxParam: {{ type: 'POST', data: {{ {fields} }} }}
  }});
}});
</script>"""
        body = (f'<div class="main"><div class="bt">政府信息公开年报</div>\n'
                f'<div id="{self.unit}">{datastore}</div>\n{script}</div>')
        self.add(f"/col/col{self.column}/index.html", self.page(
            f"政府信息公开年报 {self.site_name}", body))
        # the annual-report module: one unit's reports of one year
        module = f"/module/xxgk/xxgkAnnualReport.jsp?area={self.area}&fbtime={{year}}"
        report_target = "/art/2020/1/21/art_4121_3000777.html"
        for year in range(2008, date.today().year + 1):
            if year == 2019:
                title = self.report("001", report_target, "2020-01-21")
                rows = (f'<tr><td><a href="{report_target}" target="_blank">{_esc(title)}</a>'
                        "</td><td>2020-01-21</td></tr>")
            else:
                rows = '<tr><td colspan="2">暂无数据</td></tr>'
            self.add(module.format(year=year), self.page(
                f"年度报告 {year}", f'<table class="xxgk">{rows}</table>'))
        home = f"""<div class="main"><ul>
<li><a href="/col/col{self.column}/index.html">政府信息公开年报</a></li>
<li><a href="{_esc(module.format(year=date.today().year))}" target="_blank">按年度查询</a></li>
</ul></div>"""
        self.add("/", self.page(self.site_name, home))

    def handler(self, method: str, target: str, headers: Message, body: bytes
                ) -> Resource | None:
        parts = urlsplit(target)
        if method != "POST" or not parts.path.endswith("/module/jpage/dataproxy.jsp"):
            return None
        query = dict(parse_qsl(parts.query))
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        wanted = ("columnid", "unitid", "webid")
        if any(form.get(k) != self.form[k] for k in wanted) or not query.get("startrecord"):
            return Resource(400, HTML, b"<html><body>bad request</body></html>")
        start, end = int(query["startrecord"]), int(query.get("endrecord", 0))
        chosen = self.records[start - 1: end]
        xml = ('<?xml version="1.0" encoding="UTF-8"?><datastore>'
               f"<totalrecord>{len(self.records)}</totalrecord><recordset>"
               + "".join(f"<record><![CDATA[{r}]]></record>" for r in chosen)
               + "</recordset></datastore>")
        return Resource(200, (("Content-Type", "text/xml; charset=utf-8"),),
                        xml.encode("utf-8"))


# --------------------------------------------------------------------------- gkmlpt


class Gkmlpt(_Builder):
    name = "demo-gkmlpt"
    site_name = "演示区人民政府 政府信息公开（gkmlpt演示站点）"
    sid = "757"
    cat = "2857"
    habits = {"gzip": False, "validators": True, "server_header": "nginx"}

    def build(self) -> None:
        self.common()
        self.start_path = f"/gkmlpt/index#{self.cat}"
        articles = []
        items = [("news", "区人社局开展就业援助月活动", "2024-02-01"),
                 ("decoy", f"演示区人力资源和社会保障局{GUIDE}", "2023-06-30"),
                 ("report", "000", "2024-01-20"),
                 ("news", "区人社局开展职业技能竞赛", "2023-09-09"),
                 ("news", "区人社局召开工作推进会", "2023-03-03")]
        for n, (kind, what, published) in enumerate(items):
            post = 3801200 + n
            target = f"/gkmlpt/content/2/{self.cat}/post_{post}.html"
            attachment = []
            if kind == "report":
                y, m, d = _date(published)
                file_target = f"/attachment/0/{post % 1000}/{post}/{post}.docx"
                title = self.report_with_docx(what, target, file_target, published)
                attachment = [{"name": f"{title}.docx", "url": file_target}]
            elif kind == "decoy":
                title = self.decoy(target, what, published)
            else:
                title = self.news_item(target, what, published)
            articles.append({"id": post, "title": title, "url": f"{target}#{self.cat}",
                             "date": published, "attachment": attachment})
        size = 3
        for page in range(1, (len(articles) + size - 1) // size + 1):
            data = {"articles": articles[(page - 1) * size: page * size],
                    "total": len(articles), "size": size, "page": page}
            self.add(f"/gkmlpt/api/all/{self.cat}?page={page}&sid={self.sid}",
                     json.dumps(data, ensure_ascii=False),
                     ctype="application/json;charset=UTF-8")
        app = f"""<script>window._CONFIG = {{SID: '{self.sid}', SITE_NAME: '演示区'}};</script>
<div id="app">正在加载…</div>
<script>
var cat = (location.hash || '#0').slice(1);
fetch('/gkmlpt/api/all/' + cat + '?page=1&sid=' + window._CONFIG.SID)
  .then(function (r) {{ return r.json(); }})
  .then(function (d) {{
    document.getElementById('app').innerHTML = '<ul>' + d.articles.map(function (a) {{
      return '<li><a href="' + a.url + '">' + a.title + '</a></li>'; }}).join('') + '</ul>';
  }});
</script>"""
        self.add("/gkmlpt/index", self.page(f"政府信息公开 {self.site_name}", app))
        self.add("/", self.page(self.site_name, f'<a href="/gkmlpt/index#{self.cat}">'
                                                "政府信息公开年报</a>"))


# --------------------------------------------------------------------------- 年报专栏


class Column(_Builder):
    name = "demo-column"
    site_name = "演示区政府信息公开年度报告专栏"
    root = "/ztzl/zfxxgknb/"
    habits = {"gzip": True, "validators": True, "server_header": "TRS WCM"}

    def _trs_list(self, folder: str, pages: list[list[str]], ext: str, base: int) -> None:
        """A unit folder's list, paged only by the TRS script call."""
        count = len(pages)
        for index, entries in enumerate(pages):
            current = index + base
            name = "index" if index == 0 else f"index_{current}"
            body = (f'<div class="bt">{_esc(self.site_name)}</div><ul>{"".join(entries)}</ul>'
                    f'<div class="page" id="page_div"></div>\n<script>createPageHTML('
                    f'"page_div", {count}, {current}, "index", "{ext}", {count * 3});</script>')
            self.add(f"{folder}{name}.{ext}", self.page(f"年度报告 {self.site_name}", body))

    def _li(self, href: str, title: str, extra: str = "") -> str:
        return f'<li><a href="{href}" title="{_esc(title)}">{_esc(title)}</a>{extra}</li>'

    def build(self) -> None:
        self.common()
        root = self.root
        self.start_path = root + "index.html"
        years = {"2023": [("mzj", "区民政局", "html"), ("jyj", "区教育局", "shtml")],
                 "2022": [("jyj", "区教育局", "shtml")]}
        for year, units in years.items():
            lis = "".join(self._li(f"./{code}/index.{ext}", name) for code, name, ext in units)
            lis += self._li("../../../xwzx/index.html", "新闻中心")
            self.add(f"{root}{year}/index.html", self.page(f"{year}年 {self.site_name}",
                                                            f"<ul>{lis}</ul>"))
        # 2023 / 区民政局: 0-based .html pages; the report on the second page, with its
        # mobile and big5 copies linked beside it.
        folder = f"{root}2023/mzj/"
        report = f"{folder}202401/t20240122_7781.html"
        self.report("002", report, "2024-01-22")
        wap = report.replace(".html", "_wap.html")
        ydmh = "/ydmh" + report
        big5 = f"/gate/big5/{self.host}{report}"
        for copy in (wap, ydmh, big5):
            self.add(copy, self.resources[resource_key(report)].body)
            self.never_fetch.append(copy)
        decoy = self.decoy(f"{folder}202312/t20231201_7702.html", REPORT_ASK, "2023-12-01")
        news = [self._li(f"./202311/t2023110{i}_77{i}0.html", t)
                for i, t in enumerate(("民政工作动态", "养老服务宣传", "救助政策解读"), 1)]
        for i, t in enumerate(("民政工作动态", "养老服务宣传", "救助政策解读"), 1):
            self.news_item(f"{folder}202311/t2023110{i}_77{i}0.html", t, f"2023-11-0{i}")
        second = [self._li("./202401/t20240122_7781.html", "2023年度报告",
                           f' <a href="./202401/t20240122_7781_wap.html">2023年度报告（手机版）</a>'
                           f' <a href="{ydmh}">2023年度报告（移动版）</a>'
                           f' <a href="http://{self.host}/gate/big5/{self.host}{report}">'
                           "繁體</a>"),
                  self._li("./202312/t20231201_7702.html", decoy)]
        self._trs_list(folder, [news, second], "html", 0)
        # 2023 / 区教育局: 1-based .shtml pages; the report on the third page.
        folder = f"{root}2023/jyj/"
        report = f"{folder}202401/t20240124_8802.shtml"
        self.report("004", report, "2024-01-24")
        pages = []
        for p in range(3):
            entries = []
            for i in range(2):
                target = f"{folder}2023{p + 1:02d}/t2023{p + 1:02d}1{i}_88{p}{i}.shtml"
                self.news_item(target, f"教育工作动态{p}{i}", f"2023-{p + 1:02d}-1{i}")
                entries.append(self._li(target, f"教育工作动态{p}{i}"))
            pages.append(entries)
        pages[2].append(self._li(report, "2023年度报告"))
        self._trs_list(folder, pages, "shtml", 1)
        # 2022 / 区教育局: nothing yet
        self._trs_list(f"{root}2022/jyj/", [[self._li("/xwzx/index.html", "新闻中心")]],
                       "shtml", 1)
        self.add("/xwzx/index.html", self.page("新闻中心", "<p>新闻</p>"))
        folders = "".join(self._li(f"./{y}/index.html", f"{y}年") for y in years)
        self.add(root + "index.html", self.page(
            self.site_name, f'<div class="column-title">{self.site_name}</div><ul>{folders}'
                            f"</ul>"))
        self.add("/", self.page(self.site_name, f'<a href="{root}index.html">年报专栏</a>'))


# --------------------------------------------------------------------------- JS-only list


class JsOnly(_Builder):
    name = "demo-jsonly"
    site_name = "演示区人力资源和社会保障局（脚本列表演示站点）"
    habits = {"gzip": False, "validators": False, "server_header": "nginx"}

    def build(self) -> None:
        self.common()
        self.start_path = "/xxgk/ndbg/index.html"
        entries = [{"t": title, "u": target, "d": published}
                   for target, title, published in self.dated_items("/xxgk/ndbg", 9100, (
                       ("news", "区人社局开展劳动保障宣传", "2024-02-02"),
                       ("decoy", PLAN, "2024-03-12"),
                       ("report", "000", "2024-01-20")))]
        self.add("/xxgk/ndbg/data/items.json", json.dumps(entries, ensure_ascii=False),
                 ctype="application/json; charset=utf-8")
        script = """<ul id="list"></ul>
<script>
var xhr = new XMLHttpRequest();
xhr.open('GET', 'data/items.json');
xhr.onload = function () {
  var items = JSON.parse(xhr.responseText), html = '';
  for (var i = 0; i < items.length; i++) {
    html += '<li><a href="' + items[i].u + '">' + items[i].t + '</a><span>' + items[i].d +
      '</span></li>';
  }
  document.getElementById('list').innerHTML = html;
};
xhr.send();
</script>"""
        self.add(self.start_path, self.page(f"政府信息公开年报 {self.site_name}", script))
        self.add("/", self.page(self.site_name, "<p>首页</p>"))


# --------------------------------------------------------------------------- script challenge


class Challenge(_Builder):
    name = "demo-challenge"
    site_name = "演示区人民政府（脚本验证演示站点）"
    cookie = "nb_clearance"
    habits = {"gzip": False, "validators": False, "server_header": "WAF"}

    def build(self) -> None:
        self.common()
        self.start_path = "/"
        seed_material = f"{self.host}-challenge".encode()
        self.salt = int(hashlib.sha1(seed_material).hexdigest()[:6], 16)
        # The token only the page's script computes; the crawler never does.
        self.token = format(self.salt * 7 + 13, "x")
        lis = [f'<li><a href="{target}">{_esc(title)}</a></li>'
               for target, title, _ in self.dated_items("/zwgk/ndbg", 5500, (
                   ("report", "001", "2020-01-21"),
                   ("decoy", NOTICE, "2019-12-02"),
                   ("news", "区人社局开展就业服务", "2019-11-11")))]
        self.add("/", self.page(self.site_name, f"<ul>{''.join(lis)}</ul>"))

    def challenge_page(self) -> bytes:
        return (f"""<html><head><meta charset="utf-8"><script>
var s = {self.salt};
document.cookie = "{self.cookie}=" + (s * 7 + 13).toString(16) + "; path=/";
location.replace(location.href);
</script></head><body>请稍候…</body></html>""").encode()

    def handler(self, method: str, target: str, headers: Message, body: bytes
                ) -> Resource | None:
        if urlsplit(target).path == "/robots.txt":
            return None
        cookies = dict(part.strip().split("=", 1) for part in
                       (headers.get("Cookie") or "").split(";") if "=" in part)
        if cookies.get(self.cookie) == self.token:
            return None
        return Resource(412, HTML + (("Cache-Control", "no-store"),), self.challenge_page())


# --------------------------------------------------------------------------- home page start


class Home(_Builder):
    """A portal known only by its home page: the reports sit three hubs deep (政务公开 →
    法定主动公开内容 → 政府信息公开年报 → year sub-columns), beside a news section, and each
    year's list is filled by a script's POST (JSON body) to a list API."""

    name = "demo-home"
    site_name = "演示县人民政府门户网站"
    # no gzip: the demo server caches compressed bodies by path, and the API's answers
    # differ by request body
    habits = {"gzip": False, "validators": False, "server_header": "nginx"}
    API = "/interface/content/list.do"

    def build(self) -> None:
        self.common()
        self.start_path = "/"
        self.lists: dict[str, list[dict]] = {}
        news = [(f"/xwzx/202402/t2024020{n}_{8800 + n}.html", title, f"2024-02-0{n}")
                for n, title in enumerate(("县长调研春耕备耕工作", "全县安全生产会议召开",
                                           "县融媒体中心开展志愿服务", "县图书馆举办读书月活动"),
                                          start=1)]
        for target, title, published in news:
            self.news_item(target, title, published)
        links = "".join(f'<li><a href="{t}">{_esc(x)}</a></li>' for t, x, _ in news)
        self.add("/xwzx/index.html", self.page("新闻中心", f"<ul>{links}</ul>"))
        self.add("/bsfw/index.html", self.page("办事服务", "<p>在线办事大厅</p>"))
        self.add("/", self.page(self.site_name, (
            '<ul class="nav"><li><a href="/xwzx/index.html">新闻中心</a></li>'
            '<li><a href="/bsfw/index.html">办事服务</a></li>'
            '<li><a href="/zwgk/index.html">政务公开</a></li></ul>'
            f'<div class="news"><h3>要闻</h3><ul>{links}</ul></div>')))
        self.article("/zwgk/xxgkzn.html", GUIDE, "2023-12-01", "<p>公开指南正文。</p>",
                     "县政府办公室")
        self.decoys.append("/zwgk/xxgkzn.html")
        self.add("/zwgk/index.html", self.page("政务公开", (
            '<ul><li><a href="/zwgk/xxgkzn.html">政府信息公开指南</a></li>'
            '<li><a href="/zwgk/fdzdgk/index.html">法定主动公开内容</a></li></ul>')))
        self.add("/zwgk/fdzdgk/index.html", self.page("法定主动公开内容", (
            '<ul><li><a href="/zwgk/fdzdgk/zcwj/index.html">政策文件</a></li>'
            '<li><a href="/zwgk/fdzdgk/nb/index.html">政府信息公开年报</a></li></ul>')))
        # title forms a plain "年度报告" match would miss; the decoy quotes a report's tables
        years = (("2023", (("report", "003", "{agency}{year}年度政府信息公开工作报告"),
                           ("decoy", "000", "图解：{agency}{year}年政府信息公开工作年度报告"),
                           ("report", "000", "{agency}政务公开工作年度报告（{year}年）"))),
                 ("2019", (("report", "001", "{agency}{year}年信息公开年报"),)))
        subs = []
        for n, (year, entries) in enumerate(years):
            channel = f"nb{year}"
            items = []
            for k, (kind, seed_id, form) in enumerate(entries):
                seed = self.seeds[seed_id]
                title = form.format(agency=seed.agency, year=seed.year)
                target = f"/zwgk/fdzdgk/nb/{year}/content/post_{7700 + 10 * n + k}.html"
                published = f"{int(year) + 1}-01-2{k}"
                self.article(target, title, published, render_report_html(seed), seed.agency)
                (self.reports.append((seed_id, target, target, published)) if kind == "report"
                 else self.decoys.append(target))
                items.append({"docTitle": title, "docUrl": target, "pubDate": published})
            self.lists[channel] = items
            path = f"/zwgk/fdzdgk/nb/{year}/index.html"
            subs.append(f'<li><a href="{path}">{year}年</a></li>')
            script = f"""<ul id="list"></ul>
<script>
fetch('{self.API}', {{method: 'POST', headers: {{'Content-Type': 'application/json'}},
  body: JSON.stringify({{channelId: '{channel}', pageNo: 1, pageSize: 2}})}})
  .then(function (r) {{ return r.json(); }}).then(function (d) {{
    var html = '';
    d.data.records.forEach(function (it) {{
      html += '<li><a href="' + it.docUrl + '">' + it.docTitle + '</a></li>';
    }});
    document.getElementById('list').innerHTML = html;
  }});
</script>"""
            self.add(path, self.page(f"政府信息公开年报 {year}年", script))
        self.add("/zwgk/fdzdgk/nb/index.html", self.page(
            "政府信息公开年报", f"<ul>{''.join(subs)}</ul>"))

    def handler(self, method: str, target: str, headers: Message, body: bytes
                ) -> Resource | None:
        if urlsplit(target).path != self.API or method != "POST":
            return None
        try:
            asked = json.loads(body or b"{}")
            items = self.lists[asked["channelId"]]
            page, size = int(asked.get("pageNo", 1)), int(asked.get("pageSize", 10))
        except (ValueError, KeyError, TypeError):
            return Resource(400, (("Content-Type", "application/json"),), b"{}")
        chunk = items[(page - 1) * size: page * size]
        answer = {"code": 200, "data": {"records": chunk, "total": len(items),
                                        "pageNo": page}}
        return Resource(200, (("Content-Type", "application/json; charset=utf-8"),),
                        json.dumps(answer, ensure_ascii=False).encode("utf-8"))


PATTERN_BUILDERS = (Hanweb, Gkmlpt, Column, JsOnly, Challenge, Home)
__all__ = ["PATTERN_BUILDERS", "quote"]
