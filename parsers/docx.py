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
from .text import clean

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


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
    lines: list[str] = []
    tokens: list[Token] = []
    if body_el is not None:
        for table_index, el in enumerate(body_el):
            if el.tag == f"{W}p":
                line = clean(_text(el))
                if line:
                    lines.append(line)
            elif el.tag == f"{W}tbl":
                tokens.extend(_table_tokens(el, table_index))
    doc = Document(kind="docx", lines=lines, tokens=tokens)
    doc.title = _title(lines)
    doc.image_only = images > 0 and not tokens and sum(map(len, lines)) < 40
    return doc


def _text(el: etree._Element) -> str:
    return "".join(t.text or "" for t in el.iter(f"{W}t"))


def _val(el: etree._Element | None) -> str | None:
    return None if el is None else el.get(f"{W}val")


def _table_tokens(table: etree._Element, table_index: int):
    for r, tr in enumerate(table.iter(f"{W}tr")):
        if tr.getparent() is not table:
            continue
        col = int(_val(tr.find(f"{W}trPr/{W}gridBefore")) or 0)
        for tc in tr.findall(f"{W}tc"):
            props = tc.find(f"{W}tcPr")
            span = int(_val(props.find(f"{W}gridSpan")) or 1) if props is not None else 1
            merge = props.find(f"{W}vMerge") if props is not None else None
            # A vMerge without val="restart" continues the cell above: not a cell of its own.
            if merge is None or _val(merge) == "restart":
                text = "".join(_text(p) for p in tc.findall(f"{W}p"))
                yield Token(text, (table_index, r), col, span)
            col += span


def _title(lines: list[str]) -> str | None:
    for index, line in enumerate(lines[:4]):
        if "年度报告" in line or "年报" in line:
            start = index - 1 if index and len(lines[index - 1]) < 40 else index
            return "".join(lines[start:index + 1])
    return None
