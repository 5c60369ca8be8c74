"""DOCX files, read from the document XML so merged cells are seen as merged.

python-docx's table API repeats a merged cell in every grid slot it covers; reading
``w:gridSpan`` and ``w:vMerge`` directly gives each cell once at its grid column, the
same shape the HTML reader produces.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from .document import Document
from .tables import Token
from .text import clean_each

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Tag names built once. Children are reached with iterchildren: find/findall go through
# ElementPath, which costs several times the lookup itself, for every cell.
_P, _T, _TBL, _TR, _TC = f"{W}p", f"{W}t", f"{W}tbl", f"{W}tr", f"{W}tc"
_TR_PR, _GRID_BEFORE = f"{W}trPr", f"{W}gridBefore"
_TC_PR, _GRID_SPAN, _V_MERGE, _VAL = f"{W}tcPr", f"{W}gridSpan", f"{W}vMerge", f"{W}val"


class DocxError(ValueError):
    pass


MAX_XML = 48 << 20  # uncompressed word/document.xml; real reports are well under 2 MB
MAX_RATIO = 200  # a deflate ratio above this is a zip bomb, not a report


def read_docx(body: bytes) -> Document:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            info = archive.getinfo("word/document.xml")
            # Sizes are checked before anything is inflated: the header states them, and
            # reading stops at the stated size even if the header lies.
            if info.file_size > MAX_XML:
                raise DocxError(f"document.xml of {info.file_size} bytes (limit {MAX_XML})")
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                raise DocxError("document.xml compression ratio over "
                                f"{MAX_RATIO}: a zip bomb")
            with archive.open(info) as member:
                xml = member.read(MAX_XML + 1)
            if len(xml) > MAX_XML:
                raise DocxError(f"document.xml over {MAX_XML} bytes")
            images = sum(1 for n in archive.namelist() if n.startswith("word/media/"))
    except (zipfile.BadZipFile, KeyError, EOFError, zipfile.LargeZipFile) as exc:
        raise DocxError(f"not a readable DOCX file: {exc}") from exc
    except (OSError, ValueError, NotImplementedError) as exc:
        if isinstance(exc, DocxError):
            raise
        raise DocxError(f"not a readable DOCX file: {exc}") from exc
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, huge_tree=False,
                                                     no_network=True))
    except etree.XMLSyntaxError as exc:
        raise DocxError(f"broken DOCX document.xml: {exc}") from exc
    body_el = root.find(f"{W}body")
    paragraphs: list[str] = []
    tokens: list[Token] = []
    if body_el is not None:
        for table_index, el in enumerate(body_el):
            if el.tag == _P:
                paragraphs.append(_text(el))
            elif el.tag == _TBL:
                tokens.extend(_table_tokens(el, table_index))
    lines = [line for line in clean_each(paragraphs) if line]
    doc = Document(kind="docx", lines=lines, tokens=tokens)
    doc.title = _title(lines)
    doc.image_only = images > 0 and not tokens and sum(map(len, lines)) < 40
    return doc


def _text(el: etree._Element) -> str:
    return "".join(t.text or "" for t in el.iter(_T))


def _val(el: etree._Element | None) -> str | None:
    return None if el is None else el.get(_VAL)


def _child(el: etree._Element, tag: str) -> etree._Element | None:
    """The first child with this tag: el.find(tag) without ElementPath's cost."""
    return next(el.iterchildren(tag), None)


def _table_tokens(table: etree._Element, table_index: int):
    # Rows are the table's own (a table nested in a cell is not read); r only has to tell
    # the rows apart.
    for r, tr in enumerate(table.iterchildren(_TR)):
        # tr.find("w:trPr/w:gridBefore")
        before = next((g for pr in tr.iterchildren(_TR_PR)
                       for g in pr.iterchildren(_GRID_BEFORE)), None)
        col = int(_val(before) or 0)
        for tc in tr.iterchildren(_TC):
            props = _child(tc, _TC_PR)
            span = int(_val(_child(props, _GRID_SPAN)) or 1) if props is not None else 1
            merge = _child(props, _V_MERGE) if props is not None else None
            # A vMerge without val="restart" continues the cell above: not a cell of its own.
            if merge is None or _val(merge) == "restart":
                text = "".join(map(_text, tc.iterchildren(_P)))
                yield Token(text, (table_index, r), col, span)
            col += span


def _title(lines: list[str]) -> str | None:
    for index, line in enumerate(lines[:4]):
        if "年度报告" in line or "年报" in line:
            start = index - 1 if index and len(lines[index - 1]) < 40 else index
            return "".join(lines[start:index + 1])
    return None
