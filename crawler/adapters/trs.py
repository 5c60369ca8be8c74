"""TRS WCM: list pages ``index.html``, ``index_1.html``… counted only by ``createPageHTML``.

The template writes the pager with a script call, ``createPageHTML(count, current, "index",
"html")`` (or the newer ``createPageHTML("div", count, current, "index", "shtml", total)``).
Sites number pages from 0 or from 1: the first page ``index.html`` says which by its own
``current`` argument, and the file of page *k* is ``index_<k>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from scrapy.http import TextResponse

from ..links import LinkKind
from .base import Found

_CALL = re.compile(r"createPageHTML\s*\(([^()]*)\)")
_INT = re.compile(r"^\s*(\d+)\s*$")
_STR = re.compile(r"^\s*['\"]([^'\"]*)['\"]\s*$")
MAX_PAGES = 500  # a bound on what one script call may ask for (traps, broken counts)


def page_call(text: str) -> tuple[int, int, str, str] | None:
    """(page count, current index, page name, extension) of a createPageHTML call."""
    for match in _CALL.finditer(text):
        args = [a for a in match.group(1).split(",")]
        ints = [int(m.group(1)) for a in args if (m := _INT.match(a))]
        strs = [m.group(1) for a in args if (m := _STR.match(a))]
        if len(ints) >= 2 and len(strs) >= 2 and "function" not in match.group(0):
            return ints[0], ints[1], strs[-2], strs[-1]
    return None


class TrsAdapter:
    platform = True  # recognised from the page itself, as the CMS it is built on
    name = "trs"

    def matches(self, response: TextResponse) -> bool:
        return "createPageHTML" in response.text

    def discover(self, response: TextResponse) -> Iterator[Found]:
        call = page_call(response.text)
        if call is None:
            return
        count, current, name, ext = call
        path = urlsplit(response.url).path
        file = path.rsplit("/", 1)[-1]
        if file not in ("", f"{name}.{ext}"):
            return  # only the first page knows the numbering base for certain
        base = 1 if current == 1 else 0
        for k in range(base + 1, min(count, MAX_PAGES) + base):
            yield Found(urljoin(response.url, f"{name}_{k}.{ext}"), str(k), LinkKind.LISTING)
