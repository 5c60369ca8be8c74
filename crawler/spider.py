"""The one spider: walks each portal's list pages to its annual reports and their files."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from .items import DocumentItem, FailureItem
from .links import LinkKind, classify, is_attachment
from .portal import Portal


class ReportSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, portals: list[Portal], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.portals = {p.name: p for p in portals}
        self.scheduled: Counter[str] = Counter()
        self.seen: set[str] = set()

    async def start(self):
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[scrapy.Request]:
        for portal in self.portals.values():
            for url in portal.start_urls:
                request = self._request(portal, url, LinkKind.LISTING, text=None, referer=None)
                if request:
                    yield request

    def _request(self, portal: Portal, url: str, kind: LinkKind, text: str | None,
                 referer: str | None) -> scrapy.Request | None:
        if not portal.allows(url):
            return None
        canonical = canonicalize_url(url)
        if canonical in self.seen:
            return None
        if self.scheduled[portal.name] >= portal.max_pages:
            self.crawler.stats.inc_value(f"nianbao/page_limit_hit/{portal.name}")
            return None
        self.seen.add(canonical)
        self.scheduled[portal.name] += 1
        return scrapy.Request(
            url, callback=self.parse, errback=self.failed,
            meta={"portal": portal.name, "kind": kind.value, "link_text": text,
                  "referer": referer, "download_slot": _slot(url)},
        )

    def parse(self, response: Response) -> Iterator[scrapy.Request | DocumentItem]:
        portal = self.portals[response.meta["portal"]]
        kind = LinkKind(response.meta["kind"])
        self.crawler.stats.inc_value(f"nianbao/pages/{portal.name}")
        if kind in (LinkKind.REPORT, LinkKind.ATTACHMENT) or not isinstance(response,
                                                                           TextResponse):
            yield self._document(portal, response)
        if not isinstance(response, TextResponse) or is_attachment(response.url):
            return
        for url, text in self._links(response):
            link_kind = classify(url, text)
            if kind is LinkKind.REPORT:
                # On a report page any attached file may be the report itself; its own
                # navigation leads back to lists already known.
                if is_attachment(url):
                    link_kind = LinkKind.ATTACHMENT
                elif link_kind is not LinkKind.REPORT:
                    continue
            if link_kind is None:
                continue
            request = self._request(portal, url, link_kind, text, response.url)
            if request:
                yield request

    def _links(self, response: TextResponse) -> Iterator[tuple[str, str]]:
        for anchor in response.css("a[href]"):
            href = anchor.attrib.get("href", "").strip()
            if not href or href.startswith(("javascript:", "mailto:", "#")):
                continue
            text = " ".join(anchor.css("::text").getall()).strip()
            title = anchor.attrib.get("title", "").strip()
            yield response.urljoin(href), title if len(title) > len(text) else text

    def _document(self, portal: Portal, response: Response) -> DocumentItem:
        record = response.meta.get("warc_record")
        content_type = response.headers.get(b"Content-Type")
        self.crawler.stats.inc_value(f"nianbao/documents/{portal.name}")
        return DocumentItem(
            portal=portal.name, url=response.url, status=response.status,
            content_type=content_type.decode("latin-1") if content_type else None,
            body=response.body, warc_record_id=record.record_id if record else None,
            link_text=response.meta.get("link_text"), referer=response.meta.get("referer"),
            agency_hint=portal.agency,
        )

    def failed(self, failure: Failure) -> Iterator[FailureItem]:
        request = failure.request
        response = getattr(failure.value, "response", None)
        message = (f"HTTP {response.status}" if response is not None
                   else f"{failure.type.__name__}: {failure.getErrorMessage()}")
        portal = request.meta.get("portal", "")
        self.crawler.stats.inc_value(f"nianbao/errors/{portal}")
        yield FailureItem(portal=portal, url=request.url, stage="fetch", message=message)


def _slot(url: str) -> str:
    """Politeness is per host *and port*: two portals on one IP are two sites."""
    return urlsplit(url).netloc.lower()
