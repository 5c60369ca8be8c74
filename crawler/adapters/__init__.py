"""CMS adapters: each recognises its platform from the page itself and says what to fetch.

Real district portals run on a handful of CMSs, and on most of them the list of reports is
not in the page's anchors: it is embedded as XML (Hanweb JCMS), paged by a script call
(TRS WCM), served by a JSON API (Guangdong gkmlpt) or spread over year and department
folders (年报专栏). An adapter looks at a fetched page and returns the requests a plain
link walk would miss; no per-site configuration is involved.
"""

from __future__ import annotations

from collections.abc import Iterable

from scrapy.http import TextResponse

from .annual_column import AnnualColumnAdapter
from .base import Adapter, Found
from .gkmlpt import GkmlptAdapter
from .hanweb import HanwebAdapter
from .trs import TrsAdapter

ADAPTERS: tuple[Adapter, ...] = (HanwebAdapter(), TrsAdapter(), GkmlptAdapter(),
                                 AnnualColumnAdapter())


def matching(response: TextResponse, adapters: Iterable[Adapter] = ADAPTERS) -> list[Adapter]:
    """The adapters that recognise the page."""
    return [a for a in adapters if a.matches(response)]


def platforms(adapters: Iterable[Adapter]) -> list[str]:
    """Which of these adapters are CMS platforms (Hanweb, TRS, gkmlpt): on a page built by
    one the adapter knows where the list is, so an empty one is empty, not script-built."""
    return [a.name for a in adapters if getattr(a, "platform", False)]


__all__ = ["ADAPTERS", "Adapter", "AnnualColumnAdapter", "Found", "GkmlptAdapter",
           "HanwebAdapter", "TrsAdapter", "matching", "platforms"]
