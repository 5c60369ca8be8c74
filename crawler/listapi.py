"""List APIs learned from what the browser fetched while it rendered a list page.

A script-built list page asks some endpoint for its records (JSON, XML, an HTML fragment)
and turns them into links. When the browser renders such a page, every XHR/fetch exchange
is in the capture; one whose answer holds titles with links (or ids the page turned into
links) is the page's list API. Its paging is read from the request (a page, pageNo, curPage,
pageIndex, startrecord/endrecord or offset parameter in the query, the form or a JSON body)
and from the answer (total, totalPage, hasNext …, or else an empty page at the end). The
crawl then asks the remaining pages with plain HTTP, in the same method, headers and body
shape; the learned API is stored per portal so the next crawl asks it without a browser.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from nianbao.parsers.titles import TitleKind, title_kind

# Paging parameters, by what their value counts.
PAGE_PARAMS = ("page", "pageno", "pagenum", "pageindex", "curpage", "currentpage", "current",
               "pn", "p", "cpage", "page_no", "page_index")
OFFSET_PARAMS = ("offset", "start", "startindex", "from", "skip")
SIZE_PARAMS = ("pagesize", "size", "rows", "limit", "perpage", "num", "page_size", "count",
               "length", "ps")
_PAGES_KEYS = ("totalpage", "totalpages", "pagecount", "pages", "pagetotal", "total_page")
_TOTAL_KEYS = ("total", "totalcount", "totalrecord", "totalrecords", "recordcount",
               "totalnum", "count", "totalsize", "totalelements", "records_total")
_NEXT_KEYS = ("hasnext", "hasmore", "hasnextpage", "more")
_URL_KEYS = ("url", "link", "href", "path", "linkurl", "docurl", "pageurl", "weburl",
             "detailurl", "art_url", "infourl")
_TITLE_HINT = ("title", "name", "subject", "doctitle", "bt")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ANCHOR = re.compile(r"<a\b[^>]*?href\s*=\s*['\"]([^'\"]+)['\"][^>]*>(.*?)</a>", re.S | re.I)
_TAGS = re.compile(r"<[^>]+>")
_XML_TOTAL = re.compile(r"<(totalrecord|totalpage|total)>\s*(\d+)\s*</\1>", re.I)
MAX_API_PAGES = 200  # a bound on what one learned API may be asked for


@dataclass
class ListApi:
    """How to ask one list API for its page ``n`` (0 = the page the browser saw)."""

    page_url: str  # the list page it was learned on
    url: str
    method: str
    where: str  # "query" | "form" | "json" | "" (no paging parameter)
    param: str = ""
    style: str = "page"  # page | offset | range (startrecord/endrecord)
    first: int = 1  # the paging value the browser sent
    size: int = 0  # items per page
    end_param: str = ""  # range style: the endrecord parameter
    body: str = ""  # the request body as the browser sent it (text)
    headers: dict = field(default_factory=dict)  # Content-Type and X-Requested-With
    link: str = ""  # "…{id}…": how the page builds a link from an item's id
    id_key: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> ListApi:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def value(self, n: int) -> int:
        if self.style == "page":
            return self.first + n
        return self.first + n * max(self.size, 1)

    def request(self, n: int) -> tuple[str, str, bytes | None]:
        """(URL, method, body) of page ``n``."""
        url, body = self.url, self.body
        if self.where == "query":
            url = _set_query(url, self._params(n))
        elif self.where == "form":
            pairs = parse_qsl(body, keep_blank_values=True)
            body = urlencode(_replace(pairs, self._params(n)))
        elif self.where == "json":
            data = json.loads(body)
            for name, value in self._params(n).items():
                _set_json(data, name, value)
            body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return url, self.method, body.encode("utf-8") if self.method == "POST" else None

    def _params(self, n: int) -> dict[str, int]:
        value = self.value(n)
        params = {self.param: value}
        if self.style == "range" and self.end_param:
            params[self.end_param] = value + max(self.size, 1) - 1
        return params

    def key(self) -> str:
        """One API per list page and endpoint (one endpoint often serves every column,
        told apart by a column id in the parameters)."""
        return f"{self.page_url} {self.method} {self.url.split('?')[0]} {self.where}:{self.param}"


@dataclass
class Page:
    """What one answer of a list API holds."""

    links: list[tuple[str, str]]  # (absolute URL, title)
    items: int  # records in it (with or without a usable link)
    pages: int | None = None  # pages in all, if the answer says
    records: int | None = None  # records in all, if the answer says
    has_next: bool | None = None


# ------------------------------------------------------------------------------- reading

def read(body: bytes, base_url: str, api: ListApi | None = None) -> Page | None:
    """The records of an answer, or None if it is not a list."""
    text = _decode(body)
    stripped = text.lstrip()
    if stripped[:1] in "[{":
        try:
            data = json.loads(stripped)
        except ValueError:
            return None
        return _read_json(data, base_url, api)
    if "<" in stripped:
        return _read_markup(text, base_url)
    return None


def _decode(body: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    return body.decode("utf-8", "replace")


def _read_markup(text: str, base_url: str) -> Page | None:
    text = text.replace("<![CDATA[", "").replace("]]>", "")
    links = []
    for href, inner in _ANCHOR.findall(text):
        title = _TAGS.sub("", inner).strip()
        title_attr = re.search(r"title\s*=\s*['\"]([^'\"]+)", inner)
        if href.startswith(("javascript:", "#")):
            continue
        links.append((urljoin(base_url, href.replace("&amp;", "&")), title or (
            title_attr.group(1) if title_attr else "")))
    if not links:
        return None
    totals = {m.group(1).lower(): int(m.group(2)) for m in _XML_TOTAL.finditer(text)}
    return Page(links, len(links), pages=totals.get("totalpage"),
                records=totals.get("totalrecord", totals.get("total")))


def _records(data) -> list[dict]:
    """The longest list of objects in a JSON answer (the records)."""
    best: list[dict] = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            dicts = [x for x in node if isinstance(x, dict)]
            if len(dicts) > len(best):
                best = dicts
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
    return best


def _find(data, keys: tuple[str, ...]):
    """The first value under one of ``keys`` (case-blind), searched breadth-first."""
    queue = [data]
    while queue:
        node = queue.pop(0)
        if isinstance(node, dict):
            for k, v in node.items():
                if k.lower() in keys and not isinstance(v, (dict, list)):
                    return v
            queue.extend(v for v in node.values() if isinstance(v, dict))
    return None


def title_of(record: dict) -> str:
    hinted = [v for k, v in record.items() if isinstance(v, str)
              and any(h in k.lower() for h in _TITLE_HINT)]
    texts = hinted or [v for v in record.values() if isinstance(v, str) and _CJK.search(v)]
    return max(texts, key=len) if texts else ""


def url_of(record: dict) -> str | None:
    for k, v in record.items():
        if k.lower() in _URL_KEYS and isinstance(v, str) and v.strip():
            return v.strip()
    for v in record.values():
        if isinstance(v, str) and re.match(r"^(https?://|/)\S+\.(s?html?|jsp|aspx?|pdf|docx?)",
                                           v.strip(), re.I):
            return v.strip()
    return None


def _read_json(data, base_url: str, api: ListApi | None) -> Page | None:
    records = _records(data)
    if not records and not isinstance(data, (list, dict)):
        return None
    links = []
    for record in records:
        title = title_of(record)
        url = url_of(record)
        if url is None and api is not None and api.link and api.id_key in record:
            url = api.link.replace("{id}", str(record[api.id_key]))
        if url:
            links.append((urljoin(base_url, url), title))
    pages = _int(_find(data, _PAGES_KEYS))
    records_total = _int(_find(data, _TOTAL_KEYS))
    has_next = _find(data, _NEXT_KEYS)
    return Page(links, len(records), pages=pages, records=records_total,
                has_next=has_next if isinstance(has_next, bool) else None)


def _int(value) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------------------------ learning

def learn(exchanges, page_url: str, dom_anchors: list[tuple[str, str]]) -> Iterator[
        tuple[ListApi, Page]]:
    """The list APIs among a rendered page's exchanges (the page itself comes first)."""
    by_title = {title.strip(): url for url, title in dom_anchors if title.strip()}
    dom_urls = {url for url, _ in dom_anchors}
    seen: set[str] = set()
    for exchange in list(exchanges)[1:]:
        if not 200 <= exchange.status < 300 or exchange.method not in ("GET", "POST"):
            continue
        ctype = _header(exchange.response_headers, "content-type").lower()
        if any(t in ctype for t in ("javascript", "css", "image", "font")):
            continue
        body = exchange.response_body
        page = read(body, exchange.url)
        if page is None or not page.items:
            continue
        api = _shape(exchange, page_url, page)
        if api is None or api.key() in seen:
            continue
        if not page.links:  # ids only: how does the page turn them into links?
            if not _learn_template(api, body, by_title, exchange.url):
                continue
            page = read(body, exchange.url, api)
        if page is None or not _looks_like_a_list(page, dom_urls, by_title):
            continue
        seen.add(api.key())
        yield api, page


def _looks_like_a_list(page: Page, dom_urls: set[str], by_title: dict[str, str]) -> bool:
    """An answer is the page's list if the page shows its records as links (whatever they
    are about: a first page may hold only news), or if it reads like reports."""
    if not page.links:
        return False
    shown = sum(1 for url, title in page.links if url in dom_urls or title.strip() in by_title)
    return shown >= min(2, len(page.links)) or any(
        title_kind(t) is not TitleKind.OTHER for _, t in page.links) or len(page.links) >= 5


def _learn_template(api: ListApi, body: bytes, by_title: dict[str, str], base: str) -> bool:
    try:
        data = json.loads(_decode(body))
    except ValueError:
        return False
    for record in _records(data):
        title = title_of(record)
        href = by_title.get(title.strip())
        if not href:
            continue
        for key, value in record.items():
            value = str(value)
            if len(value) >= 2 and value in href and not isinstance(record[key], (dict, list)):
                api.link = href.replace(value, "{id}", 1)
                api.id_key = key
                return True
    return False


def _header(headers, name: str) -> str:
    for k, v in headers:
        if k.lower() == name:
            return v
    return ""


def _shape(exchange, page_url: str, page: Page) -> ListApi | None:
    body = exchange.request_body.decode("utf-8", "replace") if exchange.request_body else ""
    ctype = _header(exchange.request_headers, "content-type")
    headers = {k: v for k, v in exchange.request_headers
               if k.lower() in ("content-type", "x-requested-with", "accept")}
    api = ListApi(page_url=page_url, url=exchange.url, method=exchange.method, where="",
                  body=body, headers=headers)
    sources: list[tuple[str, dict]] = [("query", dict(parse_qsl(urlsplit(exchange.url).query)))]
    if body and "json" in ctype.lower():
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            sources.append(("json", _flat(data)))
    elif body:
        sources.append(("form", dict(parse_qsl(body, keep_blank_values=True))))
    for where, params in sources:
        lowered = {k.lower(): k for k in params}
        size = next((_int(params[lowered[s]]) for s in SIZE_PARAMS if s in lowered
                     and _int(params[lowered[s]])), None)
        if "startrecord" in lowered:
            start = _int(params[lowered["startrecord"]]) or 1
            end = _int(params.get(lowered.get("endrecord", ""), "")) or start + page.items - 1
            api.where, api.param, api.style = where, lowered["startrecord"], "range"
            api.first = start
            api.end_param = lowered.get("endrecord", "")
            api.size = size or (end - start + 1)
            return api
        for names, style in ((PAGE_PARAMS, "page"), (OFFSET_PARAMS, "offset")):
            for name in names:
                if name in lowered and _int(params[lowered[name]]) is not None:
                    api.where, api.param, api.style = where, lowered[name], style
                    api.first = _int(params[lowered[name]])
                    api.size = size or page.items
                    return api
    api.size = page.items
    return api  # no paging parameter: one page, still asked directly next time


def _flat(data: dict) -> dict:
    out = {}
    for k, v in data.items():
        if isinstance(v, dict):
            out.update(_flat(v))
        elif not isinstance(v, list):
            out[k] = v
    return out


def remaining(api: ListApi, page: Page, n: int) -> list[int]:
    """Which pages to ask after page ``n`` answered ``page``: all the rest when the answer
    says how many there are, else the next one while pages keep coming."""
    if not api.param:
        return []
    size = max(api.size, 1)
    total_pages = page.pages
    if total_pages is None and page.records is not None:
        total_pages = math.ceil(page.records / size)
    if total_pages is not None:
        if n != 0:
            return []
        return list(range(1, min(total_pages, MAX_API_PAGES)))
    if page.has_next is False or page.items < size:
        return []  # the answer says so, or a short (or empty) page is the last
    return [n + 1] if n + 1 < MAX_API_PAGES else []


def _set_query(url: str, params: dict) -> str:
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    return urlunsplit(parts._replace(query=urlencode(_replace(pairs, params))))


def _replace(pairs: list[tuple[str, str]], params: dict) -> list[tuple[str, str]]:
    out, done = [], set()
    for k, v in pairs:
        if k in params:
            out.append((k, str(params[k])))
            done.add(k)
        else:
            out.append((k, v))
    out += [(k, str(v)) for k, v in params.items() if k not in done]
    return out


def _set_json(data, name: str, value: int) -> bool:
    if isinstance(data, dict):
        for k, v in data.items():
            if k == name and not isinstance(v, (dict, list)):
                data[k] = value if not isinstance(v, str) else str(value)
                return True
            if isinstance(v, dict) and _set_json(v, name, value):
                return True
    return False
