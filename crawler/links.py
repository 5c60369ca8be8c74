"""What a link on a portal page leads to, judged by its text and URL.

Real portals mix annual reports with pages that look like them: the notice asking units
to compile their reports, the disclosure guide, work plans, infographics. The words that
tell them apart live in one place, ``parsers.titles``, shared with the parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit

from nianbao.parsers.text import clean
from nianbao.parsers.titles import TitleKind, hub_score, title_kind


class LinkKind(Enum):
    REPORT = "report"  # a page (or file) that should hold one annual report
    LISTING = "listing"  # a list page: pagination, or a column of reports
    ATTACHMENT = "attachment"  # a file attached to a report page
    HUB = "hub"  # a navigation page on the way to the reports (best-first, budgeted)


_PAGINATION_TEXT = re.compile(r"^(下一页|下页|上一页|上页|尾页|末页|首页|\d{1,4}|>|>>|»|›)$")
_PAGINATION_URL = re.compile(
    r"(index|list)_\d+\.s?html?$|[?&](page|pageNo|pageIndex|curPage|p)=\d+", re.I)
ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".txt", ".xls", ".xlsx", ".rtf", ".ofd")


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    kind: LinkKind


def is_attachment(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(ATTACHMENT_SUFFIXES)


def classify(url: str, text: str) -> LinkKind | None:
    """The kind of page a link leads to, or None for links not worth following.

    The title vocabulary (``parsers.titles``) decides: a report title or an ambiguous one
    (an announcement, "2023年度报告") is fetched as a report, and the parser reads it; a
    column name is a list; a decoy (通知, 图解, 解读 …) is never fetched.
    """
    text = clean(text)
    kind = title_kind(text)
    if is_attachment(url):
        return LinkKind.ATTACHMENT if kind in (TitleKind.REPORT, TitleKind.AMBIGUOUS) else None
    if kind in (TitleKind.REPORT, TitleKind.AMBIGUOUS):
        return LinkKind.REPORT
    if kind is TitleKind.COLUMN:
        return LinkKind.LISTING
    if _PAGINATION_TEXT.match(text) and (_PAGINATION_URL.search(url) or text in (
            "下一页", "下页", "尾页", "末页")):
        return LinkKind.LISTING
    return None


def hub(url: str, text: str, *, in_reports: bool = False) -> float:
    """The navigation score of a link that ``classify`` left out (0: do not follow)."""
    if is_attachment(url):
        return 0.0
    return hub_score(text, in_reports=in_reports)


# --------------------------------------------------------------------------- one URL per page

_GATE = re.compile(r"^/gate/big5/([^/]+)(/.*)?$", re.I)
_SESSION_PARAMS = {"jsessionid", "phpsessid", "sessionid", "sid_session", "aspsessionid"}
_PATH_SESSION = re.compile(r";jsessionid=[^/?#]*", re.I)


def desktop_url(url: str) -> str:
    """The one URL a page is fetched at: mobile copies, big5 gateways and session ids
    collapsed onto the desktop page (``index_wap.html``, ``/ydmh/…``, ``/gate/big5/host/…``,
    ``big5.host``, ``;jsessionid=…``)."""
    from urllib.parse import parse_qsl, urlencode, urlunsplit

    parts = urlsplit(url)
    netloc, path = parts.netloc, _PATH_SESSION.sub("", parts.path)
    gate = _GATE.match(path)
    if gate:
        netloc, path = gate.group(1), gate.group(2) or "/"
    if netloc.lower().startswith("big5."):
        netloc = netloc[5:]
    path = re.sub(r"/ydmh(?=/)", "", path, flags=re.I)
    path = re.sub(r"_wap(\.s?html?)$", r"\1", path, flags=re.I)
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if k.lower() not in _SESSION_PARAMS]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))
