"""What an adapter hands the spider: requests to make, already classified."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol
from weakref import WeakKeyDictionary

from lxml import etree
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

    root = Selector(text=html or "<html></html>").root
    yield from _anchors(root, lambda href: urljoin(base_url, href))


# A page's anchors are walked by the spider and by the adapters that match it: read once,
# from the tree Scrapy already parsed, with compiled XPath rather than a parsel Selector
# for every anchor and text node (which cost more than the rest of a page's handling).
_ANCHORS = etree.XPath("//a[@href]")
_TEXT = etree.XPath("descendant-or-self::text()", smart_strings=False)
_read: WeakKeyDictionary[TextResponse, list[tuple[str, str]]] = WeakKeyDictionary()


def response_anchors(response: TextResponse) -> list[tuple[str, str]]:
    """The same for a whole page (computed once per response)."""
    try:
        return _read[response]
    except KeyError:
        pass
    found = list(_anchors(response.selector.root, response.urljoin))
    _read[response] = found
    return found


def _anchors(root: etree._Element, join: Callable[[str], str]) -> Iterator[tuple[str, str]]:
    for anchor in _ANCHORS(root):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        text = " ".join(_TEXT(anchor)).strip()
        title = (anchor.get("title") or "").strip()
        yield join(href), title if len(title) > len(text) else text
