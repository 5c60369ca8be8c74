"""HTML pages: the prose, the page's own metadata, and every table as a cell grid."""

from __future__ import annotations

import re

from lxml import etree

from .document import Document
from .encoding import decode
from .tables import TokenTuple
from .text import clean, clean_lines

_PARSER = etree.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "section", "article",
           "header", "footer", "ul", "ol", "center", "blockquote", "pre", "dd", "dt"}
_SKIP = {"script", "style", "noscript", "template", "head", "title"}
_DATE = re.compile(
    r"(?:发布|发文|成文|公开)(?:日期|时间)\s*[:：]\s*(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})")


MAX_GRID_SLOTS = 200_000  # the official tables have ~250 slots; a page of 1000s of cells is not one
MAX_CELLS = MAX_GRID_SLOTS // 4
_tostring = etree.tostring


class HtmlError(ValueError):
    pass


def read_html(body: bytes, http_charset: str | None = None) -> Document:
    text, encoding, source = decode(body, http_charset)
    # Plain lxml elements (etree.HTML): lxml.html's element classes cost a lookup for every
    # node, more than the parse itself, and nothing here needs them.
    if text.lstrip("\ufeff \t\r\n").startswith("<?xml"):
        # an XML declaration (a CMS's data proxy answering XML) names an encoding the text,
        # already decoded, no longer has: lxml refuses such a string
        text = text[text.find("?>") + 2:] if "?>" in text else text
    root = etree.HTML(text or "<html></html>", _PARSER)
    if root is None:
        root = etree.HTML("<html></html>", _PARSER)
    lines: list[str] = []
    _collect_lines(root.find("body") if root.find("body") is not None else root, lines, [""])
    lines = [line for line in clean_lines(lines) if line]
    doc = Document(kind="html", lines=lines, tokens=table_tokens(root),
                   encoding=encoding, encoding_source=source)
    doc.title = (_meta(root, "ArticleTitle") or _first_text(root, "h1")
                 or _page_title(_first_text(root, "title")))
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
    head = root.find("head")
    for meta in (head if head is not None else root).iter("meta"):
        if meta.get("name") == name:
            value = clean(meta.get("content") or "")
            return value or None
    return None


def _first_text(root: etree._Element, tag: str) -> str | None:
    """The text of the first element with this tag (iter() stops there; //tag would not)."""
    found = next(root.iter(tag), None)
    value = clean("".join(found.itertext())) if found is not None else ""
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


def table_tokens(root: etree._Element) -> list[TokenTuple]:
    """Cells of the innermost tables, each at its column in the span-expanded grid."""
    tokens: list[TokenTuple] = []
    append = tokens.append
    tables = [t for t in root.iter("table") if next(t.iterdescendants("table"), None) is None]
    slots = 0
    for table_index, table in enumerate(tables):
        # Grid columns taken by a rowspan from a row above, per row (most rows have none).
        occupied: dict[int, set[int]] = {}
        r = 0
        for tr in _rows(table):
            taken = occupied.get(r)
            identity = (table_index, r)  # one tuple per row, shared by its cells
            c = 0
            for cell in tr:
                tag = cell.tag
                if tag != "td" and tag != "th":
                    continue
                if taken:
                    while c in taken:
                        c += 1
                colspan = 1
                if cell.attrib:  # most cells have no attribute: testing costs less than get()
                    colspan, rowspan = _int(cell.get("colspan")), _int(cell.get("rowspan"))
                    if rowspan > 1 or colspan > 1:
                        slots += colspan * rowspan
                        if slots > MAX_GRID_SLOTS:
                            raise HtmlError(f"tables over {MAX_GRID_SLOTS} grid cells")
                        for dr in range(1, rowspan):
                            occupied.setdefault(r + dr, set()).update(range(c, c + colspan))
                # A cell's text: .text where it has no child element (most value cells),
                # else the text serialisation (itertext() joined costs ~5 times more).
                text = (cell.text or "") if not len(cell) else _tostring(
                    cell, method="text", encoding=str, with_tail=False)
                append((text, identity, c, colspan))  # a Token's fields (tables.TokenTuple)
                c += colspan
            r += 1
            if len(tokens) > MAX_CELLS:
                raise HtmlError(f"over {MAX_CELLS} table cells")
    return tokens


def _rows(table: etree._Element):
    """The table's own rows, in and out of thead/tbody/tfoot."""
    for child in table:
        tag = child.tag
        if tag == "tr":
            yield child
        elif tag == "tbody" or tag == "thead" or tag == "tfoot":
            yield from child.iterchildren("tr")


def _int(value: str | None) -> int:
    if value is None:
        return 1
    try:
        return max(1, min(int(str(value).strip()), 1000))
    except (TypeError, ValueError):
        return 1
