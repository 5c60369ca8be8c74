"""HTML pages: the prose, the page's own metadata, and every table as a cell grid."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from .document import Document
from .encoding import decode
from .tables import Token
from .text import clean

_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "section", "article",
           "header", "footer", "ul", "ol", "center", "blockquote", "pre", "dd", "dt"}
_SKIP = {"script", "style", "noscript", "template", "head", "title"}
_DATE = re.compile(
    r"(?:发布|发文|成文|公开)(?:日期|时间)\s*[:：]\s*(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})")


MAX_GRID_SLOTS = 200_000  # the official tables have ~250 slots; a page of 1000s of cells is not one


class HtmlError(ValueError):
    pass


def read_html(body: bytes, http_charset: str | None = None) -> Document:
    text, encoding, source = decode(body, http_charset)
    root = lxml.html.document_fromstring(text or "<html></html>")
    lines: list[str] = []
    _collect_lines(root.find("body") if root.find("body") is not None else root, lines, [""])
    lines = [line for line in (clean(x) for x in lines) if line]
    doc = Document(kind="html", lines=lines, tokens=list(_table_tokens(root)),
                   encoding=encoding, encoding_source=source)
    doc.title = (_meta(root, "ArticleTitle") or _first_text(root, "//h1")
                 or _page_title(_first_text(root, "//title")))
    pub = _meta(root, "PubDate") or _meta(root, "pubdate")
    date = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", pub or "")
    if not date:
        date = _DATE.search(" ".join(lines[:60]))
    if date:
        doc.published = f"{int(date[1]):04d}-{int(date[2]):02d}-{int(date[3]):02d}"
    crumb = next((line for line in lines[:40] if ">" in line and "首页" in line), None)
    doc.breadcrumb = crumb
    return doc


def _meta(root: etree._Element, name: str) -> str | None:
    found = root.xpath("//meta[@name=$n]/@content", n=name)
    value = clean(found[0]) if found else ""
    return value or None


def _first_text(root: etree._Element, xpath: str) -> str | None:
    found = root.xpath(xpath)
    value = clean(found[0].text_content()) if found else ""
    return value or None


def _page_title(title: str | None) -> str | None:
    """A <title> without the site name portals append (标题 - 某某区人民政府)."""
    if not title:
        return None
    parts = [p.strip() for p in re.split(r"\s*(?:[_|｜]|\s-\s|-{1,2}|——)\s*", title) if p.strip()]
    return next((p for p in parts if "报告" in p or "年报" in p), max(parts, key=len))


def _collect_lines(el: etree._Element, lines: list[str], current: list[str]) -> None:
    """Block-level text in reading order, tables left out (their cells become tokens)."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _SKIP or tag == "table":
        return
    if tag in _BLOCKS:
        lines.append(current[0])
        current[0] = ""
    if tag == "br":
        lines.append(current[0])
        current[0] = ""
    if el.text and tag not in _SKIP:
        current[0] += el.text
    for child in el:
        _collect_lines(child, lines, current)
        if child.tail:
            current[0] += child.tail
    if tag in _BLOCKS:
        lines.append(current[0])
        current[0] = ""


def _table_tokens(root: etree._Element):
    """Cells of the innermost tables, each at its column in the span-expanded grid."""
    tables = [t for t in root.iter("table") if not t.xpath(".//table")]
    slots = 0
    for table_index, table in enumerate(tables):
        occupied: dict[tuple[int, int], bool] = {}
        rows = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
        for r, tr in enumerate(rows):
            c = 0
            for cell in tr.xpath("./td|./th"):
                while occupied.get((r, c)):
                    c += 1
                colspan = _int(cell.get("colspan"))
                rowspan = _int(cell.get("rowspan"))
                slots += colspan * rowspan
                if slots > MAX_GRID_SLOTS:
                    raise HtmlError(f"tables over {MAX_GRID_SLOTS} grid cells")
                for dr in range(rowspan):
                    for dc in range(colspan):
                        occupied[(r + dr, c + dc)] = True
                text = "".join(cell.itertext())
                yield Token(text, (table_index, r), c, colspan)
                c += colspan


def _int(value: str | None) -> int:
    try:
        return max(1, min(int(str(value).strip()), 1000))
    except (TypeError, ValueError):
        return 1
