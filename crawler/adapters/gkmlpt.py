"""Guangdong's 政府信息公开目录平台 (gkmlpt): a list page built by script from a JSON API.

The page carries its site id in ``window._CONFIG = {SID: '…', …}`` or, on some sites, in a
plain script variable (``var sid = '…'``); its script asks
``/gkmlpt/api/all/<cat>?page=N&sid=<SID>``, which answers ``{"articles": [{"title",
"url", "attachment": [{"name", "url"}]}], "total": …, "size": …}``. The category is the
list page's ``#<cat>`` fragment (as menus link it), else the menu entry that names the
reports (``<a href="#2857">政府信息公开年报</a>``), else the config's, else 0 (all).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from scrapy.http import TextResponse

from ..links import LinkKind, classify, is_attachment
from .base import Found

_CONFIG = re.compile(r"window\._CONFIG\s*=\s*\{(.*?)\}", re.S)
_SID = re.compile(r"\bSID\s*:\s*['\"]?(\w+)", re.I)
# a site id anywhere in the page's scripts: sid: '757', var SID = "757", siteId = 757
_ANY_SID = re.compile(r"\b(?:sid|site_?id)\b['\"]?\s*[:=]\s*['\"]?(\w+)", re.I)
_MENU = re.compile(r"#(\d+)$")
_CAT = re.compile(r"\b(?:CAT|CATALOG|TYPE_ID)\s*:\s*['\"]?(\d+)", re.I)
MAX_PAGES = 500


class GkmlptAdapter:
    platform = True  # recognised from the page itself, as the CMS it is built on
    name = "gkmlpt"

    def matches(self, response: TextResponse) -> bool:
        # Signals: the gkmlpt path, and a site id in the config or in any script variable.
        return (bool(response.meta.get("gkmlpt_api"))
                or ("/gkmlpt/" in response.url and ("_CONFIG" in response.text
                                                    or bool(_ANY_SID.search(response.text)))))

    def discover(self, response: TextResponse) -> Iterator[Found]:
        if response.meta.get("gkmlpt_api"):
            yield from self._api(response)
            return
        config = _CONFIG.search(response.text)
        sid = (_SID.search(config.group(1)) if config else None) or _ANY_SID.search(
            response.text)
        if not sid:
            return
        fragment = urlsplit(response.meta.get("fragment_url") or response.url).fragment
        if fragment.isdigit():
            cats = [fragment]
        else:
            cats = self._menu(response) or [
                m.group(1) if config and (m := _CAT.search(config.group(1))) else "0"]
        for cat in cats:
            yield Found(urljoin(response.url, f"/gkmlpt/api/all/{cat}?"
                                + urlencode({"page": 1, "sid": sid.group(1)})),
                        None, LinkKind.LISTING, meta={"gkmlpt_api": True})

    @staticmethod
    def _menu(response: TextResponse) -> list[str]:
        """Categories the page's menu links under a name of the reports' column."""
        from nianbao.parsers.titles import TitleKind, title_kind

        if not hasattr(response, "selector"):
            return []
        cats = []
        for anchor in response.xpath("//a[@href]"):
            href = anchor.attrib.get("href", "").strip()
            text = " ".join(anchor.xpath(".//text()").getall()).strip()
            match = _MENU.search(href)
            if match and title_kind(text) in (TitleKind.COLUMN, TitleKind.REPORT,
                                              TitleKind.AMBIGUOUS) and match.group(1) not in cats:
                cats.append(match.group(1))
        return cats

    def _api(self, response: TextResponse) -> Iterator[Found]:
        try:
            data = json.loads(response.text)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        for article in data.get("articles") or []:
            if not isinstance(article, dict) or not article.get("url"):
                continue
            title = str(article.get("title") or "")
            url = urljoin(response.url, str(article["url"]))
            kind = classify(url, title)
            if kind is None:
                continue
            yield Found(url, title, kind)
            if kind is LinkKind.REPORT:
                for file in article.get("attachment") or []:
                    if isinstance(file, dict) and file.get("url"):
                        file_url = urljoin(response.url, str(file["url"]))
                        if is_attachment(file_url):
                            yield Found(file_url, str(file.get("name") or title),
                                        LinkKind.ATTACHMENT)
        query = dict(parse_qsl(urlsplit(response.url).query))
        if query.get("page") != "1":
            return
        try:
            total, size = int(data.get("total", 0)), int(data.get("size") or 0)
        except (TypeError, ValueError):
            return
        size = size or len(data.get("articles") or []) or 1
        base = response.url.split("?", 1)[0]
        for page in range(2, min(math.ceil(total / size), MAX_PAGES) + 1):
            yield Found(f"{base}?" + urlencode({**query, "page": page}), None, LinkKind.LISTING,
                        meta={"gkmlpt_api": True})
