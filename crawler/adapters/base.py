"""What an adapter hands the spider: requests to make, already classified."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from scrapy.http import TextResponse

from ..links import LinkKind


@dataclass(frozen=True)
class Found:
    url: str
    text: str | None
    kind: LinkKind
    method: str = "GET"
    body: bytes | None = None  # form-encoded, for POST
    meta: dict = field(default_factory=dict)  # adapter state carried to the next page


class Adapter(Protocol):
    name: str

    def matches(self, response: TextResponse) -> bool: ...

    def discover(self, response: TextResponse) -> Iterator[Found]: ...


def anchors(html: str, base_url: str) -> Iterator[tuple[str, str]]:
    """(absolute URL, text or longer title) of every anchor of an HTML fragment."""
    from urllib.parse import urljoin

    from parsel import Selector

    yield from _anchors(Selector(text=html or "<html></html>"), lambda href: urljoin(base_url,
                                                                                      href))


def response_anchors(response: TextResponse) -> Iterator[tuple[str, str]]:
    """The same for a whole page, through the selector Scrapy already built for it."""
    yield from _anchors(response, response.urljoin)


def _anchors(selector, join: Callable[[str], str]) -> Iterator[tuple[str, str]]:
    for anchor in selector.css("a[href]"):
        href = anchor.attrib.get("href", "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        text = " ".join(anchor.css("::text").getall()).strip()
        title = anchor.attrib.get("title", "").strip()
        yield join(href), title if len(title) > len(text) else text
