"""Hanweb / 大汉 JCMS: column pages with the first records embedded as XML.

A column page ``/col/col<N>/index.html`` carries its first page of records inside
``<script type="text/xml"><datastore>…<record><![CDATA[<a href…>]]></record>…``, the
total in ``<totalrecord>`` (or the page script's ``totalRecord``), and a script that asks
``/module/jpage/dataproxy.jsp?startrecord=…&endrecord=…&perpage=…`` by POST, with form
fields (``col``, ``webid``, ``columnid``, ``unitid``…) written in that script, for the
rest (some sites use ``/module/web/jpage/dataproxy.jsp?page=N`` instead, page by page).
A column with no embedded records (its script asks the proxy for the first page too) is
read by the browser, and its proxy learned as a list API (crawler.listapi).
The annual-report module ``/module/xxgk/xxgkAnnualReport.jsp?area=<unit>&fbtime=<year>``
lists one unit's reports of one year, so every year is asked for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from scrapy.http import TextResponse

from ..links import LinkKind, classify
from .base import Found, anchors

_DATASTORE = re.compile(r"<datastore>(.*?)</datastore>", re.S | re.I)
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_TOTAL_XML = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
_TOTAL_JS = re.compile(r"totalRecord\s*[:=]\s*['\"]?(\d+)", re.I)
_PERPAGE = re.compile(r"perpage\s*[:=]\s*['\"]?(\d+)", re.I)
_PROXY = re.compile(r"['\"]([^'\"\s]*?/dataproxy\.jsp)[^'\"]*['\"]", re.I)
_DATA_OBJ = re.compile(r"data\s*:\s*\{([^{}]*)\}", re.S)
_FIELD = re.compile(r"(\w+)\s*:\s*(?:'([^']*)'|\"([^\"]*)\"|([\w.\-/]+))")
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>", re.S | re.I)
_HANWEB_PAGE = re.compile(r"<datastore|xxgkAnnualReport\.jsp\?[^'\"<>\s]*area=", re.I)
FIRST_YEAR = 2008  # the disclosure regulations took effect in 2008: no earlier reports
GROUP_PAGES = 3  # Hanweb's jpage asks for three pages of records at a time


class HanwebAdapter:
    platform = True  # recognised from the page itself, as the CMS it is built on
    name = "hanweb"

    def matches(self, response: TextResponse) -> bool:
        # One case-blind search, not a lowered copy of every page.
        return bool(_HANWEB_PAGE.search(response.text))

    def discover(self, response: TextResponse) -> Iterator[Found]:
        text = response.text
        store = _DATASTORE.search(text)
        if store:
            for record in _RECORD.findall(store.group(1)):
                for url, title in anchors(record, response.url):
                    kind = classify(url, title)
                    if kind is not None:
                        yield Found(url, title, kind)
            if not response.meta.get("hanweb_proxy"):
                yield from self._more_pages(response, text, store.group(0))
        yield from self._annual_module(response, text)

    def _more_pages(self, response: TextResponse, text: str, store: str) -> Iterator[Found]:
        total = _TOTAL_XML.search(store) or _TOTAL_JS.search(text)
        shown = len(_RECORD.findall(store))
        if not total or int(total.group(1)) <= shown:
            return
        total_records = int(total.group(1))
        perpage_match = _PERPAGE.search(text)
        perpage = int(perpage_match.group(1)) if perpage_match else max(shown, 1)
        fields: dict[str, str] = {}
        proxy = None
        nextgroup = _NEXTGROUP.search(store)
        if nextgroup:
            for url, _ in anchors(nextgroup.group(1), response.url):
                if "dataproxy" in url:
                    proxy = url.split("?", 1)[0]
                    fields.update(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        script_proxy = _PROXY.search(text)
        if script_proxy:
            proxy = urljoin(response.url, script_proxy.group(1))
        for block in _DATA_OBJ.findall(text):
            for name, q1, q2, bare in _FIELD.findall(block):
                fields[name] = q1 or q2 or bare
        if proxy is None:
            return
        fields.pop("page", None)
        body = urlencode(sorted(fields.items())).encode("ascii")
        if "/web/jpage/" in proxy:
            # jshrss-style proxy: asked page by page (?page=N), one display page each
            pages = math.ceil(total_records / max(perpage, 1))
            for page in range(math.ceil(shown / max(perpage, 1)) + 1, pages + 1):
                yield Found(f"{proxy}?page={page}", None, LinkKind.LISTING, method="POST",
                            body=body, meta={"hanweb_proxy": True})
            return
        group = perpage * GROUP_PAGES
        # The first `shown` records came with the page; ask for the rest group by group.
        start = shown + 1
        while start <= total_records:
            end = min(start + group - 1, total_records)
            query = urlencode({"startrecord": start, "endrecord": end, "perpage": perpage})
            yield Found(f"{proxy}?{query}", None, LinkKind.LISTING, method="POST", body=body,
                        meta={"hanweb_proxy": True})
            start = end + 1

    def _annual_module(self, response: TextResponse, text: str) -> Iterator[Found]:
        if response.meta.get("hanweb_annual"):
            return
        seen: set[str] = set()
        for match in re.finditer(r"['\"]([^'\"<>\s]*xxgkAnnualReport\.jsp\?[^'\"<>\s]*)['\"]",
                                 text, re.I):
            url = urljoin(response.url, match.group(1).replace("&amp;", "&"))
            parts = urlsplit(url)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            if "area" not in query or query["area"] in seen:
                continue
            seen.add(query["area"])
            for year in range(date.today().year, FIRST_YEAR - 1, -1):
                query["fbtime"] = str(year)
                yield Found(urlunsplit(parts._replace(query=urlencode(query))), None,
                            LinkKind.LISTING, meta={"hanweb_annual": True})
