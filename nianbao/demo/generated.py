"""A generated portal of any size, for the resume test and the crawl benchmark.

``n_pages`` pages in all: TRS-style list pages (``index.html``, ``index_1.html``…, paged
by links and a ``createPageHTML`` call) of ``per_list`` entries each, every entry titled
as an annual report; ``n_reports`` of them carry a seed report's tables, the others a
short page the parser rejects as no report. Pages are rendered once, up front.
"""

from __future__ import annotations

import html
import math

from nianbao.demo.render import render_report_html
from nianbao.demo.seeds import load_seeds
from nianbao.demo.server import Resource, Site, SiteServer

HTML = (("Content-Type", "text/html; charset=utf-8"),)


def generated_site(n_pages: int, *, n_reports: int = 0, per_list: int = 20,
                   robots: bool = True, lists_only: bool = False) -> tuple[Site, list[str]]:
    """The site and the paths of its report pages (the ones with tables).

    ``lists_only``: every page is a list page (its entries are news a crawler does not
    follow), for measuring politeness without the parser's cost."""
    if lists_only:
        return _lists_only(n_pages, robots)
    per_list = max(1, per_list)
    n_lists = max(1, math.ceil(n_pages / (per_list + 1)))
    n_articles = n_pages - n_lists
    seeds = load_seeds()
    resources: dict[str, Resource] = {}
    reports: list[str] = []
    step = max(1, n_articles // n_reports) if n_reports else 0
    articles = []
    for i in range(n_articles):
        path = f"/zwgk/ndbg/2024{1 + i % 12:02d}/t2024{1 + i % 12:02d}01_{100000 + i}.html"
        title = f"演示区第{i}局2023年政府信息公开工作年度报告"
        if step and i % step == 0 and len(reports) < n_reports:
            seed = seeds[len(reports) % len(seeds)]
            content = render_report_html(seed)
            reports.append(path)
        else:
            content = "<p>本页面为生成的演示页面，正文从略。</p>"
        body = (f'<html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
                f'<body><h1>{html.escape(title)}</h1><div>发布日期：2024-01-20</div>'
                f'{content}<a href="/zwgk/ndbg/index.html">返回列表</a></body></html>')
        resources[path] = Resource(200, HTML, body.encode("utf-8"))
        articles.append((path, title))
    for n in range(n_lists):
        chunk = articles[n * per_list:(n + 1) * per_list]
        lis = "".join(f'<li><a href="{p}">{html.escape(t)}</a></li>' for p, t in chunk)
        nxt = f'<a href="index_{n + 1}.html">下一页</a>' if n + 1 < n_lists else ""
        body = (f'<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body>'
                f'<ul>{lis}</ul>{nxt}<script>createPageHTML({n_lists}, {n}, "index", "html");'
                f"</script></body></html>")
        name = "index.html" if n == 0 else f"index_{n}.html"
        resources[f"/zwgk/ndbg/{name}"] = Resource(200, HTML, body.encode("utf-8"))
    if robots:
        resources["/robots.txt"] = Resource(200, (("Content-Type", "text/plain"),),
                                            b"User-agent: *\nDisallow: /search/\n")
    not_found = Resource(404, HTML, b"<html><body>404</body></html>")
    return Site(resources, not_found, server_header="nginx"), reports


def _lists_only(n_pages: int, robots: bool) -> tuple[Site, list[str]]:
    resources: dict[str, Resource] = {}
    for n in range(n_pages):
        nxt = f'<a href="index_{n + 1}.html">下一页</a>' if n + 1 < n_pages else ""
        body = (f'<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body>'
                f'<ul><li><a href="/xwzx/{n}.html">区人社局工作动态{n}</a></li></ul>{nxt}'
                "</body></html>")
        name = "index.html" if n == 0 else f"index_{n}.html"
        resources[f"/zwgk/ndbg/{name}"] = Resource(200, HTML, body.encode("utf-8"))
    if robots:
        resources["/robots.txt"] = Resource(200, (("Content-Type", "text/plain"),),
                                            b"User-agent: *\nDisallow: /search/\n")
    return Site(resources, Resource(404, HTML, b"404"), server_header="nginx"), []


def serve_generated(n_pages: int, port: int = 0, **kwargs) -> tuple[SiteServer, list[str]]:
    """A started server for a generated site; close it with ``server.close()``."""
    site, reports = generated_site(n_pages, **kwargs)
    server = SiteServer(site, port)
    server.start()
    return server, reports
