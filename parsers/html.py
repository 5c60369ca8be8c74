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
    tokens = table_tokens(root)
    doc = Document(kind="html", lines=lines, tokens=tokens,
                   encoding=encoding, encoding_source=source)
    catalog = catalog_fields(tokens)
    doc.title = _choose_title(
        [_meta(root, "ArticleTitle"), catalog.get("title")],
        _headings(root),
        # a title block is a line of prose, or a cell of a layout table (older portals)
        lines[:40] + [clean(text) for text, *_ in tokens[:60]
                      if len(text) <= 120 and _REPORT_TITLE.search(text)],
        _page_title(_first_text(root, "title")))
    doc.publisher = _meta(root, "ContentSource") or catalog.get("publisher")
    pub = _meta(root, "PubDate") or catalog.get("published") or ""
    date = re.match(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})", pub)
    if not date:
        date = _DATE.search(" ".join(lines[:60]))
    if date:
        doc.published = f"{int(date[1]):04d}-{int(date[2]):02d}-{int(date[3]):02d}"
    doc.breadcrumb = next((line for line in lines[:40] if _is_breadcrumb(line)), None)
    return doc


# Page chrome: what sits around an article on every page of a portal. Cut from a title
# candidate wherever it appears: the toolbar (【字体：大 中 小】 打印 关闭 …), the byline
# (发布时间：… 来源：… 浏览次数：…) glued to the title block.
_TOOLBAR = re.compile(
    r"[【\[［]?\s*(?:字[体号]\s*[:：]?\s*(?:[【\[［]?\s*[大中小]\s*[】\]］]?\s*){1,3}|"
    r"打印(?:本页|此页)?|关闭(?:窗口|本页)?|收藏(?:本页)?|分享(?:到)?|返回顶部|我要纠错|"
    r"(?:发布|更新|成文|公开)(?:时间|日期)\s*[:：]\s*[\d年月日\-/.: ]+|"
    r"(?:来源|信息来源|作者|发布机构)\s*[:：]\s*\S*|"
    r"(?:浏览|阅读|访问|点击)(?:次数|量)?\s*[:：]\s*\d*)\s*[】\]］]?")
_REPORT_TITLE = re.compile(r"(年度报告|年报)")
# Words every toolbar or byline has one of: the full pattern runs only where one is.
_TOOLBAR_HINT = re.compile(r"字[体号]|打印|关闭|收藏|分享|返回顶部|纠错|时间|日期|来源|作者|发布|"
                           r"浏览|阅读|访问|点击")
_SPACES = re.compile(r"\s+")
_CRUMB_START = re.compile(r"^(?:当前位置|您的位置|您现在的位置|所在位置|位置)\s*[:：]|首页")
_CRUMB_SEPARATOR = re.compile(r"\s*(?:>|＞|»|›|→|/|＞＞|>>)\s*")
# 信息公开目录: the metadata table over an article (索引号, 发布机构, 成文日期 …).
_CATALOG = {"发布机构": "publisher", "发文机关": "publisher", "发布单位": "publisher",
            "公开主体": "publisher", "信息来源": "publisher", "来源": "publisher",
            "发布日期": "published", "发文日期": "published", "公开日期": "published",
            "成文日期": "written", "索引号": "index", "名称": "title", "标题": "title",
            "信息名称": "title"}
_CATALOG_CELL = re.compile(r"^\s*(" + "|".join(_CATALOG) + r")\s*[:：]?\s*(.*)$", re.S)
# A catalog label at the start of a cell, the rest of that cell, and the next cell.
_CATALOG_JOINED = re.compile(r"(?:^|\x00)[ \t\r\n]*(" + "|".join(_CATALOG) +
                             r")[ \t\r\n]*[:：]?([^\x00]*)(?:\x00([^\x00]*))?")


def catalog_fields(tokens: list[TokenTuple]) -> dict[str, str]:
    """The 信息公开目录 fields a page prints in a table above the article: a label cell
    and the cell after it, or both in one cell (发布机构：XX局). One regular expression
    over the first cells joined, not a loop over them (most pages have no catalog)."""
    fields: dict[str, str] = {}
    joined = "\x00".join([text for text, *_ in tokens[:400]]).replace("\xa0", " ")
    for match in _CATALOG_JOINED.finditer(joined):
        name = _CATALOG[match[1]]
        value = clean(match[2]) or clean(match[3] or "")
        if value and name not in fields and len(value) <= 80 and not _CATALOG_CELL.match(value):
            fields[name] = value
    return fields


def strip_chrome(text: str) -> str:
    """A (cleaned) title without the toolbar and byline text the page glued to it."""
    if not _TOOLBAR_HINT.search(text):
        return text.strip(" -_|｜")
    return _SPACES.sub(" ", _TOOLBAR.sub(" ", text)).strip(" -_|｜")


def _headings(root: etree._Element) -> list[str | None]:
    """The first <h1>, <h2> and <h3>, in one walk of the tree (a page may have none)."""
    first: dict[str, str | None] = {}
    for element in root.iter("h1", "h2", "h3"):
        if element.tag not in first:
            first[element.tag] = clean("".join(element.itertext())) or None
            if len(first) == 3:
                break
    return [first.get(tag) for tag in ("h1", "h2", "h3")]


def _choose_title(declared: list[str | None], headings: list[str | None], lines: list[str],
                  page_title: str | None) -> str | None:
    """The article's title, with the chrome glued to it cut.

    What the page declares (ArticleTitle, the catalog's 名称) first. Then its headings,
    leaving out the site's and column's names that portals put in <h1>/<h2> (a name
    ending like an agency or a site, or a short word without a year): a heading that reads
    as a report title, else the first. Then, where the title block is no heading at all
    (a styled <div> after the site's chrome), the first line that reads as a dated report
    title. Last the page's <title> without the site name.
    """
    for candidate in declared:
        title = strip_chrome(candidate) if candidate else ""
        if title:
            return title
    named = [t for t in (strip_chrome(h) for h in headings if h) if t and not _site_name(t)]
    reported = [t for t in named if _REPORT_TITLE.search(t)]
    if reported or named:
        return (reported or named)[0]
    for line in lines:
        title = strip_chrome(line) if _REPORT_TITLE.search(line) else ""
        if title and len(title) <= 80 and "。" not in title and _YEAR.search(title):
            return title
    title = strip_chrome(page_title) if page_title else ""
    return title if title and not _site_name(title) else None


_SITE_NAME = re.compile(r"(政府|网|网站|门户|平台|局|委员会|委|办公室|中心|政务公开|信息公开)$")
_YEAR = re.compile(r"(19|20)\d{2}")


def _site_name(title: str) -> bool:
    """A name portals print as a heading of every page: the site's or the column's."""
    return bool(_SITE_NAME.search(title)) or (len(title) <= 8 and not _YEAR.search(title))


def _is_breadcrumb(line: str) -> bool:
    return bool(_CRUMB_START.search(line[:12])) and len(_CRUMB_SEPARATOR.findall(line)) >= 2


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
