"""What a link on a portal page leads to, judged by its text and URL.

Real portals mix annual reports with pages that look like them: the notice asking units
to compile their reports, the disclosure guide, work plans. Those are recognised here by
their wording and never followed as reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit

from parsers.text import clean


class LinkKind(Enum):
    REPORT = "report"  # a page (or file) that should hold one annual report
    LISTING = "listing"  # a list page: pagination, or a column of reports
    ATTACHMENT = "attachment"  # a file attached to a report page


_REPORT = re.compile(r"(政府信息公开|政务公开|信息公开).{0,8}(年度报告|年报)|年度报告")
_NOT_A_REPORT = re.compile(
    r"通知|编制|发布工作|报送|指南|目录|计划|要点|方案|制度|规定|办法|模板|样本|解读|总结|意见|"
    r"督查|考核|测评|评估|培训|会议|申请表")
_REPORT_COLUMN = re.compile(r"(信息公开|政务公开).{0,6}(年度报告|年报)|^年报$|年度报告专栏")
_YEAR = re.compile(r"(19|20)\d{2}")
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
    """The kind of page a link leads to, or None for links not worth following."""
    text = clean(text)
    if is_attachment(url):
        if _REPORT.search(text) and not _NOT_A_REPORT.search(text):
            return LinkKind.ATTACHMENT
        return None
    if _REPORT.search(text) and not _NOT_A_REPORT.search(text):
        # "政府信息公开年报" with no year is a column of reports, not one report.
        return LinkKind.REPORT if _YEAR.search(text) else LinkKind.LISTING
    if _REPORT_COLUMN.search(text) and not _NOT_A_REPORT.search(text):
        return LinkKind.LISTING
    if _PAGINATION_TEXT.match(text) and (_PAGINATION_URL.search(url) or text in (
            "下一页", "下页", "尾页", "末页")):
        return LinkKind.LISTING
    return None


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
