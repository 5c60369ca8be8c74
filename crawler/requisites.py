"""Page requisites: the stylesheets, images, scripts and fonts a report page needs to look
as it did, fetched through the same downloader as everything else, so scope, robots.txt,
each host's rate and the WARC archive all apply (as wget's --page-requisites does).

Two jobs share one mechanism:

- **A faithful archive.** A replayed report page finds its CSS, images and scripts in the
  WARC (and the fonts and background images its stylesheets name).
- **Tables printed as pictures.** A report page whose tables are ``<img>`` elements is held
  back until its images have arrived; the document then goes on with the images' bytes
  (``DocumentItem.images``) and the parser reads them by OCR. On a reparse the same images
  come from the archive.

Only URLs the portal allows are fetched; a bound on requisites per page and per portal
keeps a page with a thousand icons from becoming a crawl of its own (stats say when hit).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import scrapy
from lxml import etree
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from .items import DocumentItem
from .portal import Portal

KIND = "requisite"  # request.meta["kind"] of a requisite
_CSS_URL = re.compile(rb"""url\(\s*['"]?([^'")\s]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
_DIGITS = re.compile(r"^\s*[\d,，.]+\s*$")
TABLE_CELLS = 10  # number cells that make a page's tables text (no need to read pictures)


@dataclass
class _Held:
    """A report page waiting for its pictures."""

    document: DocumentItem
    pending: set[str]
    images: dict[str, bytes] = field(default_factory=dict)


class Requisites:
    def __init__(self, crawler, *, per_page: int, per_portal: int, max_bytes: int) -> None:
        self.crawler = crawler
        self.per_page = per_page
        self.per_portal = per_portal
        self.max_bytes = max_bytes  # image bytes a held page may carry to the parser
        self.seen: set[str] = set()
        self.counts: dict[str, int] = {}
        self.held: dict[str, _Held] = {}  # page URL -> page
        self.waiting: dict[str, list[str]] = {}  # image key -> page URLs waiting for it

    @classmethod
    def from_crawler(cls, crawler) -> Requisites | None:
        settings = crawler.settings
        if not settings.getbool("REQUISITES_ENABLED", True):
            return None
        return cls(crawler, per_page=settings.getint("REQUISITES_PER_PAGE", 100),
                   per_portal=settings.getint("REQUISITES_PER_PORTAL", 5000),
                   max_bytes=settings.getint("REQUISITES_MAX_IMAGE_BYTES", 64 << 20))

    # -- from a report page ------------------------------------------------------------

    def for_page(self, portal: Portal, response: Response,
                 document: DocumentItem | None) -> tuple[list[scrapy.Request],
                                                         DocumentItem | None]:
        """Requests for the page's requisites, and the document unless it is held until
        its pictures arrive (then ``parsed`` hands it on)."""
        if not isinstance(response, TextResponse):
            return [], document
        try:
            root = etree.HTML(response.body)
        except (etree.ParserError, ValueError):
            return [], document
        if root is None:
            return [], document
        found = page_requisites(root, response.url)
        requests, images = [], set()
        stats = self.crawler.stats
        for url, kind in found[:self.per_page]:
            key = canonicalize_url(url)
            if kind == "image" and portal.allows(url):
                images.add(key)
            request = self._request(portal, url, kind, response.url)
            if request is not None:
                requests.append(request)
        if len(found) > self.per_page:
            stats.inc_value(f"nianbao/requisite_page_limit_hit/{portal.name}")
        if document is None or not images or _has_number_cells(root):
            return requests, document
        # Pictures of tables: wait for the ones being fetched now (those fetched for an
        # earlier page are in the archive; the parser asks for them there on a reparse).
        pending = {canonicalize_url(r.url) for r in requests if r.meta["requisite"] == "image"}
        if not pending:
            return requests, document
        self.held[response.url] = _Held(document, pending)
        for key in pending:
            self.waiting.setdefault(key, []).append(response.url)
        stats.inc_value(f"nianbao/requisite_pages_held/{portal.name}")
        return requests, None

    def _request(self, portal: Portal, url: str, kind: str, page: str) -> scrapy.Request | None:
        if not portal.allows(url):
            self.crawler.stats.inc_value(f"nianbao/requisite_out_of_scope/{portal.name}")
            return None
        key = canonicalize_url(url)
        scoped = f"{portal.name}\x00{key}"
        if scoped in self.seen:
            return None
        if self.counts.get(portal.name, 0) >= self.per_portal:
            self.crawler.stats.inc_value(f"nianbao/requisite_limit_hit/{portal.name}")
            return None
        self.seen.add(scoped)
        self.counts[portal.name] = self.counts.get(portal.name, 0) + 1
        meta = {"kind": KIND, "requisite": kind, "portal": portal.name, "referer": page,
                "download_slot": urlsplit(url).netloc.lower()}
        if not portal.options.get("obey_robots", True):
            meta["dont_obey_robotstxt"] = True
        self.crawler.stats.inc_value(f"nianbao/requisites/{portal.name}")
        # After the pages of the same host: a report is found before its decoration.
        return scrapy.Request(url, callback=self.parsed, errback=self.failed, meta=meta,
                              headers={"Referer": page}, priority=-1, dont_filter=True)

    # -- responses ---------------------------------------------------------------------

    def parsed(self, response: Response) -> Iterator[scrapy.Request | DocumentItem]:
        kind = response.meta.get("requisite")
        portal_name = response.meta.get("portal")
        if kind == "css" and response.status < 400:
            portal = self._portal(portal_name)
            for url in css_urls(response.body, response.url)[:self.per_page]:
                request = (self._request(portal, url, _kind_of(url), response.url)
                           if portal else None)
                if request is not None:
                    yield request
        ok = 200 <= response.status < 300
        asked = (response.meta.get("redirect_urls") or [response.url])[0]
        yield from self._arrived(asked, response.body if ok else None)

    def failed(self, failure: Failure) -> Iterator[DocumentItem]:
        request = failure.request
        self.crawler.stats.inc_value(f"nianbao/requisite_errors/{request.meta.get('portal')}")
        yield from self._arrived(request.url, None)

    def _arrived(self, url: str, body: bytes | None) -> Iterator[DocumentItem]:
        key = canonicalize_url(url)
        for page in self.waiting.pop(key, []):
            held = self.held.get(page)
            if held is None:
                continue
            held.pending.discard(key)
            if body and sum(map(len, held.images.values())) + len(body) <= self.max_bytes:
                held.images[url] = body
            if not held.pending:
                del self.held[page]
                held.document.images = held.images
                yield held.document

    def _portal(self, name: str | None) -> Portal | None:
        spider = self.crawler.spider
        return getattr(spider, "portals", {}).get(name) if spider else None


# -- what a page and a stylesheet need ---------------------------------------------------


def page_requisites(root: etree._Element, base: str) -> list[tuple[str, str]]:
    """(absolute URL, kind) of everything the page loads to display, in page order:
    stylesheets, scripts, images (src, data-src, srcset, poster), icons, and the url()s
    of inline styles."""
    href = root.find(".//base[@href]")
    if href is not None:
        base = urljoin(base, href.get("href"))
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(raw: str | None, kind: str) -> None:
        raw = (raw or "").strip()
        if not raw or raw.startswith(("data:", "javascript:", "#", "about:", "mailto:")):
            return
        url = urljoin(base, raw)
        if urlsplit(url).scheme in ("http", "https") and url not in seen:
            seen.add(url)
            out.append((url.split("#")[0], kind))

    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "link":
            rel = (el.get("rel") or "").lower().split()
            if "stylesheet" in rel:
                add(el.get("href"), "css")
            elif "icon" in rel or "apple-touch-icon" in rel:
                add(el.get("href"), "image")
        elif tag == "script":
            add(el.get("src"), "script")
        elif tag in ("img", "input") and (tag == "img" or el.get("type") == "image"):
            add(el.get("src") or el.get("data-src") or el.get("data-original"), "image")
            for candidate in (el.get("srcset") or "").split(","):
                add(candidate.strip().split(" ")[0], "image")
        elif tag in ("video", "audio", "source", "embed", "iframe"):
            add(el.get("poster"), "image")
            if tag in ("source", "embed"):
                add(el.get("src"), "other")
        elif tag == "style":
            for url in css_urls((el.text or "").encode(), base):
                add(url, _kind_of(url))
        style = el.get("style") if tag else None
        if style and "url(" in style:
            for url in css_urls(style.encode(), base):
                add(url, "image")
        if tag in ("td", "table", "body") and el.get("background"):
            add(el.get("background"), "image")
    return out


def css_urls(css: bytes, base: str) -> list[str]:
    """The url()s and @imports of a stylesheet, absolute."""
    out = []
    for match in _CSS_URL.finditer(css or b""):
        raw = (match.group(1) or match.group(2) or b"").decode("utf-8", "replace").strip()
        if raw and not raw.startswith(("data:", "#")):
            out.append(urljoin(base, raw))
    return out


def _kind_of(url: str) -> str:
    path = urlsplit(url).path.lower()
    if path.endswith(".css"):
        return "css"
    if path.endswith(".js"):
        return "script"
    if path.endswith((".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".svg", ".ico")):
        return "image"
    return "other"


def _has_number_cells(root: etree._Element) -> bool:
    """Whether the page's tables are text (then its pictures are decoration)."""
    count = 0
    for cell in root.iter("td", "th"):
        if _DIGITS.match("".join(cell.itertext())):
            count += 1
            if count >= TABLE_CELLS:
                return True
    return False
