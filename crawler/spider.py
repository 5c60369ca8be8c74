"""The one spider: walks each portal's list pages to its annual reports and their files.

Links are found three ways on every page: the CMS adapters (Hanweb's embedded XML and data
proxy, TRS's page script, gkmlpt's JSON API, 年报专栏 folders), the page's own anchors
classified by text, and, where a list page yields nothing and no adapter knows it, the
same page rendered by headless Chromium. Every request goes through the durable frontier
first, so a killed crawl resumes without fetching or storing anything twice.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from types import SimpleNamespace
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from nianbao.archive.writer import ArchiveWriteError
from scrapy import signals
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.responsetypes import responsetypes
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from .adapters import matching, platforms
from .adapters.base import response_anchors
from .challenge import CHALLENGE_STATUSES, is_challenge
from .frontier import Entry, Frontier
from .items import DocumentItem, FailureItem
from .links import LinkKind, classify, desktop_url, hub, is_attachment
from .listapi import ListApi, learn, remaining
from .listapi import read as read_api
from .portal import Portal
from .requisites import Requisites
from .scope import OutOfScope

DEFAULT_MAX_DEPTH = 30
DEFAULT_HUB_BUDGET = 40  # navigation pages a portal may spend on the way to its reports
# Best first: reports and their files, then lists, then hubs by their vocabulary score.
_PRIORITY = {LinkKind.REPORT: 300, LinkKind.ATTACHMENT: 300, LinkKind.LISTING: 200}
_ADAPTER_META = ("hanweb_proxy", "hanweb_annual", "gkmlpt_api", "annual_level", "list_api",
                 "api_page")
_FOLLOW = (LinkKind.REPORT, LinkKind.LISTING, LinkKind.ATTACHMENT)


class ReportSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, portals: list[Portal], *args, frontier: str | None = None,
                 warc_dir: str | None = None, apis: dict[str, list[dict]] | None = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.portals = {p.name: p for p in portals}
        self.scheduled: Counter[str] = Counter()
        self.seen: set[str] = set()
        self.frontier = Frontier(frontier) if frontier else None
        self.warc_dir = warc_dir
        self.blocked: dict[str, str] = {}  # portal -> the URL it was blocked at
        self.hubs: Counter[str] = Counter()  # navigation requests spent, per portal
        # List APIs learned by earlier crawls (asked directly, no browser) and by this one
        # (nianbao.crawl stores them per portal): portal -> API key -> ListApi as JSON.
        self.known_apis = {name: [ListApi.from_json(a) for a in found]
                           for name, found in (apis or {}).items() if name in self.portals}
        self.learned: dict[str, dict[str, dict]] = {}
        self.forgotten: dict[str, set[str]] = {}  # stored APIs that stopped answering

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.requisites = Requisites.from_crawler(crawler)
        crawler.signals.connect(spider._item_done, signal=signals.item_scraped)
        crawler.signals.connect(spider._item_failed, signal=signals.item_error)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        try:
            from nianbao.archive.signals import exchange_archived
            crawler.signals.connect(spider._archived, signal=exchange_archived)
        except ImportError:  # pragma: no cover - the archive is part of every install
            pass
        return spider

    # -- starting and resuming ---------------------------------------------------------

    async def start(self):
        for portal in self.portals.values():
            resumed = self.frontier.begin(portal.name) if self.frontier else False
            for api in self.known_apis.get(portal.name, ()):
                request = self._api_request(portal, api, 0)
                if request:
                    yield request
            if not resumed:
                for url in portal.start_urls:
                    request = self._request(portal, url, LinkKind.LISTING, text=None,
                                            referer=None)
                    if request:
                        yield request
                continue
            keys = self.frontier.keys(portal.name)
            self.seen |= {_scoped(portal.name, k) for k in keys}
            self.scheduled[portal.name] = len(keys)
            pending = self.frontier.pending(portal.name)
            self.crawler.stats.set_value(f"nianbao/resumed/{portal.name}", len(pending))
            for url in portal.start_urls:  # a start URL added to the config since
                request = self._request(portal, url, LinkKind.LISTING, text=None,
                                        referer=None)
                if request:
                    yield request
            for entry in pending:
                if not portal.allows(entry.url):  # the config changed since the kill
                    self.frontier.settle(portal.name, entry.key, "dropped")
                    continue
                replayed = self._replay(portal, entry) if entry.state == "fetched" else None
                if replayed is not None:
                    for output in replayed:
                        yield output
                else:
                    yield self._build(portal, entry.url, entry.key, entry.meta,
                                      method=entry.method, body=entry.body)

    def _replay(self, portal: Portal, entry: Entry) -> list | None:
        """The callback's output for a response already archived, read back from the WARC
        file: no second fetch, no second record."""
        if not (self.warc_dir and entry.warc_file and entry.record_id):
            return None
        from nianbao.archive.reader import load_payload

        try:
            stored = load_payload(self.warc_dir, entry.warc_file, entry.warc_offset)
        except (OSError, LookupError, StopIteration, ValueError):
            return None
        if stored.status is None or not 200 <= stored.status < 300:
            return None
        headers: dict[str, list[str]] = {}
        for name, value in stored.payload_http:
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding"):
                headers.setdefault(name, []).append(value)
        url = stored.headers.get("WARC-Target-URI", entry.url)
        request = self._build(portal, entry.url, entry.key, entry.meta, method=entry.method,
                              body=entry.body)
        request.meta["warc_record"] = SimpleNamespace(record_id=entry.record_id)
        cls = responsetypes.from_args(headers=headers, url=url, body=stored.decoded)
        response = cls(url=url, status=stored.status, headers=headers, body=stored.decoded,
                       request=request, flags=["replayed"])
        self.crawler.stats.inc_value(f"nianbao/replayed/{portal.name}")
        return list(self.parse(response))

    # -- requests ----------------------------------------------------------------------

    def _request(self, portal: Portal, url: str, kind: LinkKind, text: str | None,
                 referer: str | None, *, method: str = "GET", body: bytes | None = None,
                 extra: dict | None = None, depth: int = 0,
                 score: float = 0.0) -> scrapy.Request | None:
        if portal.name in self.blocked:
            return None
        desktop = desktop_url(url)
        if desktop != url:
            self.crawler.stats.inc_value(f"nianbao/duplicates/{portal.name}")
            if portal.allows(desktop):
                url = desktop
        if not portal.allows(url):
            return None
        key = canonicalize_url(url)
        if method != "GET":
            key = f"{method} {key} {(body or b'').decode('latin-1')}"
        scoped = _scoped(portal.name, key)
        if scoped in self.seen:
            return None
        max_depth = int(portal.options.get("max_depth", DEFAULT_MAX_DEPTH))
        if depth > max_depth:
            self.crawler.stats.inc_value(f"nianbao/depth_limit_hit/{portal.name}")
            return None
        if self.scheduled[portal.name] >= portal.max_pages:
            self.crawler.stats.inc_value(f"nianbao/page_limit_hit/{portal.name}")
            return None
        if kind is LinkKind.HUB:
            budget = int(portal.options.get("hub_budget", DEFAULT_HUB_BUDGET))
            if self.hubs[portal.name] >= budget:
                self.crawler.stats.inc_value(f"nianbao/hub_budget_hit/{portal.name}")
                return None
        meta = {"kind": kind.value, "link_text": text, "referer": referer, "depth": depth,
                "priority": _PRIORITY.get(kind, int(score * 10)), **(extra or {})}
        if urlsplit(url).fragment:
            meta["fragment_url"] = url
        if self.frontier and not self.frontier.add(portal.name, key, url, method, body, meta):
            self.seen.add(scoped)
            return None
        self.seen.add(scoped)
        self.scheduled[portal.name] += 1
        if kind is LinkKind.HUB:
            self.hubs[portal.name] += 1
            self.crawler.stats.inc_value(f"nianbao/hubs/{portal.name}")
        return self._build(portal, url, key, meta, method=method, body=body)

    def _build(self, portal: Portal, url: str, key: str, meta: dict, *, method: str = "GET",
               body: bytes | None = None, render: bool | None = None) -> scrapy.Request:
        kind = LinkKind(meta["kind"])
        if render is None:
            render = portal.render == "always" and kind is not LinkKind.ATTACHMENT and \
                not is_attachment(url) and method == "GET"
        full = {**meta, "portal": portal.name, "frontier_key": key,
                "download_slot": _slot(url),
                "handle_httpstatus_list": list(CHALLENGE_STATUSES)}
        if render:
            full["render"] = True
            full["browser_capture"] = None  # the archive then leaves the request unconditional
        if not portal.options.get("obey_robots", True):
            full["dont_obey_robotstxt"] = True
        if "timeout" in portal.options:
            full["download_timeout"] = float(portal.options["timeout"])
        if "max_download_mb" in portal.options:
            full["download_maxsize"] = int(portal.options["max_download_mb"] * 1024 * 1024)
        headers = None
        if meta.get("list_api"):
            headers = dict(meta["list_api"].get("headers") or {}) or None
        elif method == "POST":
            headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
                       "X-Requested-With": "XMLHttpRequest"}
        if render:
            self.crawler.stats.inc_value(f"nianbao/renders/{portal.name}")
        return scrapy.Request(url, method=method, body=body, headers=headers,
                              callback=self.parse, errback=self.failed, meta=full,
                              priority=int(meta.get("priority") or 0), dont_filter=True)

    # -- responses ---------------------------------------------------------------------

    def parse(self, response: Response) -> Iterator[scrapy.Request | DocumentItem]:
        if self.frontier is None:
            yield from self._parse(response)
            return
        # One frontier transaction for what a page adds and settles: its new URLs are
        # durable before any of them is scheduled, at one commit instead of one a URL.
        with self.frontier.transaction():
            outputs = list(self._parse(response))
        yield from outputs

    def _parse(self, response: Response) -> Iterator[scrapy.Request | DocumentItem]:
        portal = self.portals[response.meta["portal"]]
        kind = LinkKind(response.meta["kind"])
        key = response.meta.get("frontier_key")
        stats = self.crawler.stats
        stats.inc_value(f"nianbao/pages/{portal.name}")
        if portal.name in self.blocked:
            self._settle(portal, key, "blocked")
            return
        if is_challenge(response):
            host = urlsplit(response.url).netloc
            stats.inc_value(f"nianbao/challenges/{portal.name}")
            stats.inc_value(f"nianbao/challenge_host/{host}")
            if not response.meta.get("render") and portal.render != "never":
                yield self._rendered(portal, response)
                return
            self.blocked[portal.name] = response.url
            stats.inc_value(f"nianbao/blocked/{portal.name}")
            self._settle(portal, key, "blocked")
            yield FailureItem(portal=portal.name, url=response.url, stage="blocked",
                              message=f"portal {portal.name} blocked: a script challenge "
                              f"(HTTP {response.status}) "
                              + ("persists after the browser ran it" if
                                 response.meta.get("render") else "and rendering is off"))
            return
        if response.status >= 400:
            stats.inc_value(f"nianbao/errors/{portal.name}")
            yield from self._relearn(portal, response.meta)
            yield FailureItem(portal=portal.name, url=response.url, stage="fetch",
                              message=f"HTTP {response.status}", frontier_key=key)
            return
        # ingest (issue 14): every fetched document is offered to the parser, whose reading
        # of the content decides whether it is a report; the link's words only count it.
        document = self._document(portal, response, counted=kind in (
            LinkKind.REPORT, LinkKind.ATTACHMENT) or not isinstance(response, TextResponse))
        if response.meta.get("list_api"):
            yield from self._api_page(portal, response)
            yield document  # offered to the parser too; its frontier entry settles once stored
            return
        if not isinstance(response, TextResponse) or is_attachment(response.url):
            if document is not None:
                yield document
            else:
                self._settle(portal, key)
            return
        depth = int(response.meta.get("depth", 0)) + 1
        followable = 0
        adapters = matching(response)
        adapted = bool(platforms(adapters))
        for adapter, found in ((a, f) for a in adapters for f in a.discover(response)):
            adapted = True
            stats.inc_value(f"nianbao/adapter/{adapter.name}")
            followable += found.kind in _FOLLOW
            request = self._request(portal, found.url, found.kind, found.text, response.url,
                                    method=found.method, body=found.body,
                                    extra=_carry(found.meta), depth=depth)
            if request:
                yield request
        html = isinstance(response, HtmlResponse)
        anchors = response_anchors(response) if html else []
        judged = [(url, text, classify(url, text)) for url, text in anchors]
        if kind is LinkKind.REPORT and sum(k is LinkKind.REPORT for _, _, k in judged) >= 3:
            # An ambiguous title led to a list of reports ("政府信息公开工作年度报告" with
            # no unit, no year): read it as the list it is.
            kind = LinkKind.LISTING
        navigating = kind in (LinkKind.LISTING, LinkKind.HUB)
        in_reports = navigating and html and _about_reports(response)
        if navigating:
            stats.max_value(f"nianbao/deepest_page/{portal.name}", _page_number(response))
        for url, text, link_kind in judged:
            if kind is LinkKind.REPORT:
                # On a report page any attached file may be the report itself; its own
                # navigation leads back to lists already known.
                if is_attachment(url):
                    link_kind = LinkKind.ATTACHMENT
                elif link_kind is not LinkKind.REPORT:
                    continue
            score = 0.0
            if link_kind is None and navigating:
                score = hub(url, text, in_reports=in_reports)
                if score > 0:
                    link_kind = LinkKind.HUB
            if link_kind is None:
                continue
            followable += link_kind is not LinkKind.HUB
            request = self._request(portal, url, link_kind, text, response.url, depth=depth,
                                    score=score)
            if request:
                yield request
        if navigating and response.meta.get("browser_capture"):
            yield from self._learn_apis(portal, response, depth)
        if (navigating and (not followable and not adapted or _scripted_controls(response))
                and response.url not in self._api_pages(portal)
                and html and portal.render == "auto" and not response.meta.get("render")
                and b"<script" in response.body.lower()):
            # A list page with nothing to follow and scripts on it: its list is built in
            # the browser. Load it there (same frontier entry, not settled yet).
            stats.inc_value(f"nianbao/render_fallback/{portal.name}")
            yield self._rendered(portal, response)
            return
        if kind is LinkKind.REPORT and html and getattr(self, "requisites", None):
            # its stylesheets, images, scripts; a page of table pictures waits for them
            requests, document = self.requisites.for_page(portal, response, document)
            yield from requests
            if document is None:
                return
        if document is not None:
            yield document
        else:
            self._settle(portal, key)

    # -- list APIs -----------------------------------------------------------------------

    def _api_pages(self, portal: Portal) -> set[str]:
        """List pages whose API is known: no browser is needed for them."""
        return {a.page_url for a in self.known_apis.get(portal.name, ())}

    def _api_request(self, portal: Portal, api: ListApi, n: int) -> scrapy.Request | None:
        url, method, body = api.request(n)
        request = self._request(portal, url, LinkKind.LISTING, None, api.page_url,
                                method=method, body=body,
                                extra={"list_api": api.to_json(), "api_page": n})
        if request is not None:
            self.crawler.stats.inc_value(f"nianbao/api_pages/{portal.name}")
            self.crawler.stats.max_value(f"nianbao/deepest_page/{portal.name}", n + 1)
        return request

    def _learn_apis(self, portal: Portal, response: Response, depth: int
                    ) -> Iterator[scrapy.Request]:
        capture = response.meta["browser_capture"]
        for api, page in learn(capture.exchanges, response.url, response_anchors(response)):
            known = self.learned.setdefault(portal.name, {})
            if api.key() not in known:
                known[api.key()] = api.to_json()
                self.crawler.stats.inc_value(f"nianbao/apis_learned/{portal.name}")
            self.crawler.stats.max_value(f"nianbao/deepest_page/{portal.name}", 1)
            for url, title in page.links:  # the DOM has them too, unless the page hid some
                kind = classify(url, title)
                if kind is not None:
                    request = self._request(portal, url, kind, title, response.url,
                                            depth=depth)
                    if request:
                        yield request
            for n in remaining(api, page, 0):
                request = self._api_request(portal, api, n)
                if request:
                    yield request

    def _relearn(self, portal: Portal, meta: dict) -> Iterator[scrapy.Request]:
        """A stored API that no longer answers: forget it, and render its list page again
        (under a key of its own: the plain fetch of the page may be done already)."""
        if not meta.get("list_api") or meta.get("api_page"):
            return
        api = ListApi.from_json(meta["list_api"])
        known = self.known_apis.get(portal.name, [])
        if not any(a.key() == api.key() for a in known):
            return
        self.known_apis[portal.name] = [a for a in known if a.key() != api.key()]
        self.forgotten.setdefault(portal.name, set()).add(api.key())
        self.crawler.stats.inc_value(f"nianbao/apis_forgotten/{portal.name}")
        key = f"relearn {canonicalize_url(api.page_url)}"
        if _scoped(portal.name, key) in self.seen:
            return
        self.seen.add(_scoped(portal.name, key))
        meta = {"kind": LinkKind.LISTING.value, "link_text": None, "referer": None,
                "depth": 0, "priority": _PRIORITY[LinkKind.LISTING]}
        if self.frontier and not self.frontier.add(portal.name, key, api.page_url, "GET",
                                                   None, meta):
            return
        yield self._build(portal, api.page_url, key, meta, render=True)

    def _api_page(self, portal: Portal, response: Response) -> Iterator[scrapy.Request]:
        api = ListApi.from_json(response.meta["list_api"])
        n = int(response.meta.get("api_page") or 0)
        page = read_api(response.body, response.url, api)
        if page is None:
            self.crawler.stats.inc_value(f"nianbao/api_unreadable/{portal.name}")
            yield from self._relearn(portal, response.meta)
            return
        depth = int(response.meta.get("depth", 0)) + 1
        for url, title in page.links:
            kind = classify(url, title)
            if kind is None:
                continue
            request = self._request(portal, url, kind, title, response.url, depth=depth)
            if request:
                yield request
        for k in remaining(api, page, n):
            request = self._api_request(portal, api, k)
            if request:
                yield request

    def _rendered(self, portal: Portal, response: Response) -> scrapy.Request:
        meta = {k: v for k, v in response.meta.items()
                if k in ("kind", "link_text", "referer", "depth", "fragment_url", "priority",
                         *_ADAPTER_META)}
        request = response.request
        return self._build(portal, request.url, response.meta.get("frontier_key"), meta,
                           render=True)

    def _document(self, portal: Portal, response: Response, *,
                  counted: bool = True) -> DocumentItem:
        record = response.meta.get("warc_record")
        content_type = response.headers.get(b"Content-Type")
        if counted:
            self.crawler.stats.inc_value(f"nianbao/documents/{portal.name}")
        return DocumentItem(
            portal=portal.name, url=response.url, status=response.status,
            content_type=content_type.decode("latin-1") if content_type else None,
            body=response.body, warc_record_id=record.record_id if record else None,
            link_text=response.meta.get("link_text"), referer=response.meta.get("referer"),
            agency_hint=portal.agency, frontier_key=response.meta.get("frontier_key"),
            fetch=response.meta.get("fetch"),
        )

    def failed(self, failure: Failure) -> Iterator[FailureItem]:
        request = failure.request
        if failure.check(OutOfScope):  # counted with its URL by crawler.scope, not an error
            self._settle_key(request.meta.get("portal"), request.meta.get("frontier_key"),
                             "out_of_scope")
            return
        if failure.check(ArchiveWriteError) or self._interrupted():
            return  # not settled: the next run fetches it again (archive.middleware)
        response = getattr(failure.value, "response", None)
        message = (f"HTTP {response.status}" if response is not None
                   else f"{failure.type.__name__}: {failure.getErrorMessage()}")
        portal = request.meta.get("portal", "")
        self.crawler.stats.inc_value(f"nianbao/errors/{portal}")
        stage = "render" if request.meta.get("render") else "fetch"
        if portal in self.portals:
            yield from self._relearn(self.portals[portal], request.meta)
        yield FailureItem(portal=portal, url=request.url, stage=stage, message=message,
                          frontier_key=request.meta.get("frontier_key"))

    # -- frontier bookkeeping ----------------------------------------------------------

    def _settle(self, portal: Portal, key: str | None, state: str = "done") -> None:
        if self.frontier and key:
            self.frontier.settle(portal.name, key, state)

    def _settle_key(self, portal: str | None, key: str | None, state: str) -> None:
        if self.frontier and portal and key:
            self.frontier.settle(portal, key, state)

    def _item_done(self, item, response=None, spider=None) -> None:
        key = getattr(item, "frontier_key", None)
        if self.frontier and key and not self._interrupted():
            state = "failed" if isinstance(item, FailureItem) else "done"
            self.frontier.settle(item.portal, key, state)

    def _interrupted(self) -> bool:
        """The crawl is being stopped for a fault (a full disk, the database gone): what
        fails now is left unsettled, so the next run fetches or replays it."""
        return bool(self.crawler.stats.get_value("nianbao/interrupted_reason"))

    def _item_failed(self, item, response=None, spider=None, failure=None) -> None:
        key = getattr(item, "frontier_key", None)
        if self.frontier and key and not self._interrupted():
            self.frontier.settle(item.portal, key, "failed")

    def _archived(self, request, response, exchange, response_record, request_record) -> None:
        key = request.meta.get("frontier_key")
        portal = request.meta.get("portal")
        if (self.frontier and key and portal and response is not None
                and 200 <= (response.status or 0) < 300
                and "browser_capture" not in request.meta
                and response_record.record_type in ("response", "revisit")):
            self.frontier.fetched(portal, key, response_record.warc_file,
                                  response_record.offset, response_record.record_id)

    def _closed(self, spider=None, reason: str | None = None) -> None:
        if not self.frontier:
            return
        stats = self.crawler.stats
        for name in self.portals:
            for state, count in self.frontier.states(name).items():
                stats.set_value(f"nianbao/frontier_{state}/{name}", count)
            if reason == "finished":
                self.frontier.finish(name)
        self.frontier.close()


_PAGE_IN_URL = re.compile(r"(?:index|list)_(\d+)\.\w+$|[?&](?:page|pageNo|pageIndex|curPage|p)="
                          r"(\d+)|[?&]startrecord=(\d+).*?perpage=(\d+)", re.I)


def _page_number(response: Response) -> int:
    """Which page of its list a list page is (1 for a first page), as far as the URL or the
    browser's pager clicks tell."""
    match = _PAGE_IN_URL.search(response.url)
    number = 1
    if match and match.group(3):  # Hanweb's data proxy: records from startrecord on
        number = (int(match.group(3)) - 1) // max(int(match.group(4)), 1) + 1
    elif match:
        number = int(match.group(1) or match.group(2)) + (1 if match.group(1) else 0)
    if not isinstance(response, HtmlResponse):
        return number
    states = response.xpath('//div[@id="nianbao-revealed"]/@data-states').get()
    return max(number, int(states) if states and states.isdigit() else 1)


def _about_reports(response: Response) -> bool:
    """Whether a page is about annual reports (its title, heading or the link that led to
    it): there year and unit sub-columns lead on to them."""
    from nianbao.parsers.titles import is_report_title

    if is_report_title(response.meta.get("link_text")):
        return True
    heads = response.xpath("//title/text() | //h1/text() | //h2/text()").getall()
    return any(is_report_title(h) for h in heads)


_SCRIPTED = etree.XPath(
    "//a[starts-with(normalize-space(@href), 'javascript:') or @onclick]"
    " | //button[@onclick] | //input[@type='button'][@onclick] | //*[@onclick]")
_PAGER_WORDS = ("下一页", "下页", "加载更多", "查看更多", "更多", "下一頁")


def _scripted_controls(response: Response) -> bool:
    """Whether a list page has controls only a browser can use: a pager driven by script
    (``__doPostBack``, "加载更多") or links built by script whose text is worth following."""
    if not isinstance(response, HtmlResponse) or response.meta.get("render"):
        return False
    from nianbao.parsers.titles import TitleKind, title_kind

    for element in _SCRIPTED(response.selector.root):
        text = " ".join(element.itertext()).strip() or (element.get("value") or "")
        if text in _PAGER_WORDS or text.isdigit() or title_kind(text) in (
                TitleKind.REPORT, TitleKind.AMBIGUOUS, TitleKind.COLUMN):
            return True
    return False


def _carry(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k in _ADAPTER_META}


def _scoped(portal: str, key: str) -> str:
    return f"{portal}\x00{key}"


def _slot(url: str) -> str:
    """Politeness is per host *and port*: two portals on one IP are two sites."""
    return urlsplit(url).netloc.lower()
