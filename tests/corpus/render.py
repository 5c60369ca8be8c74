"""Render a `Spec` as HTML, DOCX or plain text, with the quirks it asks for.

PDF and .doc/.wps are made from the DOCX by LibreOffice (see `tests.corpus.build`), the
way portals make them from the Word file they edited.
"""

from __future__ import annotations

import html
import io
import random
from dataclasses import replace

import opencc
from docx import Document as WordDocument
from docx.shared import Pt

from .model import (
    Cell,
    Row,
    Spec,
    active_table,
    appeals_table,
    application_header,
    application_table,
)

_S2T = opencc.OpenCC("s2t")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Kangxi radicals that PDF fonts emit for common characters (NFKC folds them back).
_KANGXI = str.maketrans({"一": "\u2f00", "人": "\u2f08", "日": "\u2f47", "大": "\u2f24",
                         "工": "\u2f2f", "行": "\u2f8f"})
SECTIONS = ("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况")


def title_of(spec: Spec) -> str:
    return f"{spec.agency[0]}{spec.year}年政府信息公开工作年度报告"


def label(spec: Spec, text: str) -> str:
    if "traditional" in spec.quirks:
        text = _S2T.convert(text)
    if "kangxi" in spec.quirks:
        text = text.translate(_KANGXI)
    if "ascii_brackets" in spec.quirks:
        text = text.replace("（", "(").replace("）", ")")
    if "pinyin" in spec.quirks:
        text = text.replace("申请", "申(shēn)请").replace("区", "区(qū)")
    return text


def cell_text(spec: Spec, cell: Cell) -> str:
    if cell.key is None:
        return label(spec, cell.text)
    if cell.key.startswith("subtotal:"):
        row = cell.key.split(":", 1)[1]
        return str(sum(spec.values[f"applications.{row}.{c}"] for c in
                       ("commercial", "research", "social_welfare", "legal_service", "other_org")))
    return spec.printed[cell.key]


def tables(spec: Spec, rng: random.Random) -> list[tuple[str, list[Row], int]]:
    """(section heading, rows, header rows) for the three sections."""
    short = "short" in spec.quirks
    subtotal = "subtotal" in spec.quirks
    drop = {k for k in spec.quirks if k.startswith("withheld.") or k.startswith("unavailable.")}
    body = application_table(spec.fmt, short, subtotal,
                             rng if "shuffle" in spec.quirks else None, drop,
                             "extra" in spec.quirks)
    head = application_header(subtotal)
    return [(SECTIONS[0], active_table(spec.fmt, short), 0),
            (SECTIONS[1], head + body, len(head)),
            (SECTIONS[2], appeals_table(), 0)]


def place(rows: list[Row]) -> list[tuple[int, int, Cell]]:
    """Grid positions of the cells (HTML's table model: rowspans occupy slots below)."""
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            out.append((r, c, cell))
            c += cell.colspan
    return out


def split_rows(rows: list[Row], cut: int) -> tuple[list[Row], list[Row]]:
    """Rows before and after a cut, as Word splits a table: a merged cell that crosses the
    cut ends above it and continues below as an empty merged cell."""
    first = [list(row) for row in rows[:cut]]
    second = [list(row) for row in rows[cut:]]
    carried: list[tuple[int, Cell]] = []
    for r, c, cell in place(rows):
        if r < cut < r + cell.rowspan:
            index = first[r].index(cell)
            first[r][index] = replace(cell, rowspan=cut - r)
            carried.append((c, replace(cell, text="", rowspan=r + cell.rowspan - cut)))
    if carried and second:
        grid = place(rows)
        starts = {id(cell): c for r, c, cell in grid if r == cut}
        head = second[0]
        for c, cell in sorted(carried, key=lambda x: x[0]):
            position = sum(1 for x in head if starts.get(id(x), -1) < c)
            head.insert(position, cell)
    return first, second


# -- HTML ------------------------------------------------------------------------------


def _html_cell(spec: Spec, cell: Cell, rng: random.Random) -> str:
    text = cell_text(spec, cell)
    if cell.key is None:
        body = html.escape(text)
        if "breaks" in spec.quirks and len(text) > 3:
            cut = rng.randint(1, len(text) - 1)
            body = html.escape(text[:cut]) + rng.choice(["<br>", "<br/>", "</p><p>"]) + \
                html.escape(text[cut:])
        if "wrappers" in spec.quirks:
            body = f'<p style="text-align:center"><span style="font-size:14px">{body}</span></p>'
    else:
        body = html.escape(text)
        if "nbsp" in spec.quirks:
            body = f"&nbsp;{body}&nbsp;"
    span = (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "") + \
        (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "")
    return f"<td{span}>{body}</td>"


def render_html(spec: Spec, rng: random.Random) -> tuple[bytes, str | None]:
    """The page and the Content-Type header it is served with."""
    parts = []
    for heading, rows, header_rows in tables(spec, rng):
        parts.append(f"<p><strong>{html.escape(label(spec, heading))}</strong></p>")
        chunks = [rows]
        if "split" in spec.quirks and header_rows:
            # The applications table cut in two <table>s, after a full row of values.
            cut = header_rows + 2 + rng.randint(0, 8)
            first, second = split_rows(rows, cut)
            if "repeat_header" in spec.quirks:
                second = rows[:header_rows] + second
            chunks = [first, second]
        for chunk in chunks:
            trs = "".join("<tr>" + "".join(_html_cell(spec, c, rng) for c in row) + "</tr>"
                          for row in chunk)
            parts.append(f'<table border="1" cellspacing="0"><tbody>{trs}</tbody></table>')
            if len(chunks) > 1:
                parts.append('<p style="page-break-after:always">- 2 -</p>')
    title = title_of(spec)
    shown_title = label(spec, title) if "traditional" in spec.quirks else title
    page = f"""<!DOCTYPE html>
<html><head>{{meta}}<title>{html.escape(shown_title)}_政府信息公开</title></head><body>
<div class="crumb">首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>
<h1>{html.escape(shown_title)}</h1>
<div class="info">发布日期：{spec.published} 来源：本机关</div>
<p>本报告根据《中华人民共和国政府信息公开条例》要求编制。</p>
<p>一、总体情况</p><p>{spec.year}年，本机关认真做好政府信息公开工作。</p>
{"".join(parts)}
<p>五、存在的主要问题及改进情况</p><p>无。</p>
<p style="text-align:right">{html.escape(spec.agency[0])}</p>
</body></html>"""
    encoding = "utf-8"
    if "gbk_meta" in spec.quirks:
        encoding = "gbk"
        page = page.replace("{meta}", '<meta http-equiv="Content-Type" '
                            'content="text/html; charset=gb2312">')
        return page.encode("gb18030"), None
    if "gbk_http" in spec.quirks:
        return page.replace("{meta}", "").encode("gb18030"), "text/html; charset=GBK"
    if "undeclared" in spec.quirks:
        return page.replace("{meta}", "").encode("gb18030"), "text/html"
    return page.replace("{meta}", '<meta charset="utf-8">').encode(encoding), \
        "text/html; charset=utf-8"


# -- DOCX ------------------------------------------------------------------------------


def render_docx(spec: Spec, rng: random.Random) -> bytes:
    doc = WordDocument()
    style = doc.styles["Normal"]
    style.font.size = Pt(10.5)
    title = title_of(spec)
    doc.add_paragraph(label(spec, spec.agency[0]) if "traditional" in spec.quirks
                      else spec.agency[0])
    doc.add_paragraph(title.replace(spec.agency[0], ""))
    doc.add_paragraph("本报告根据《中华人民共和国政府信息公开条例》要求编制。")
    doc.add_paragraph("一、总体情况")
    doc.add_paragraph(f"{spec.year}年，本机关认真做好政府信息公开工作。")
    for heading, rows, _header_rows in tables(spec, rng):
        doc.add_paragraph(label(spec, heading))
        grid = place(rows)
        width = max(c + cell.colspan for _r, c, cell in grid)
        table = doc.add_table(rows=len(rows), cols=width)
        table.style = "Table Grid"
        for r, c, cell in grid:
            target = table.cell(r, c)
            if cell.rowspan > 1 or cell.colspan > 1:
                target = target.merge(table.cell(r + cell.rowspan - 1, c + cell.colspan - 1))
            text = cell_text(spec, cell)
            paragraph = target.paragraphs[0]
            if cell.key is None and "breaks" in spec.quirks and len(text) > 3:
                cut = rng.randint(1, len(text) - 1)
                run = paragraph.add_run(text[:cut])
                run.add_break()
                paragraph.add_run(text[cut:])
            else:
                paragraph.add_run(text)
    doc.add_paragraph("五、存在的主要问题及改进情况")
    doc.add_paragraph("无。")
    doc.add_paragraph(spec.agency[0])
    doc.add_paragraph(f"{spec.year + 1}年1月20日")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- plain text ------------------------------------------------------------------------


def render_text(spec: Spec, rng: random.Random) -> bytes:
    """``seed`` layout (Word's text export: a tab-led line per cell) or aligned rows."""
    layout = "seed" if "seed_layout" in spec.quirks else (
        "tabs" if "tab_aligned" in spec.quirks else "spaces")
    out = [label(spec, spec.agency[0]), f"{spec.year}年政府信息公开工作年度报告", "",
           "一、总体情况", f"{spec.year}年，本机关认真做好政府信息公开工作。"]
    for heading, rows, _header_rows in tables(spec, rng):
        out.append(label(spec, heading))
        grid = place(rows)
        continuing: dict[int, list[tuple[int, Cell]]] = {}
        for r, c, cell in grid:
            for dr in range(1, cell.rowspan):
                continuing.setdefault(r + dr, []).append((c, cell))
        for r in range(len(rows)):
            cells = sorted([(c, cell_text(spec, cell), cell) for rr, c, cell in grid if rr == r]
                           + [(c, "", cell) for c, cell in continuing.get(r, [])],
                           key=lambda x: x[0])
            if layout == "seed":
                for _c, text, cell in cells:
                    if cell.key is None and "breaks" in spec.quirks and len(text) > 3:
                        cut = rng.randint(1, len(text) - 1)
                        text = text[:cut] + "\n" + text[cut:]
                    out.append("\t" + text)
                out.append("")
            elif layout == "tabs":
                out.append("\t".join(text for _c, text, _cell in cells))
            else:
                out.append("  ".join(text for _c, text, _cell in cells if text))
    out += ["五、存在的主要问题及改进情况", "无。", "", spec.agency[0],
            f"{spec.year + 1}年1月20日"]
    return "\n".join(out).encode("gb18030" if "gbk_text" in spec.quirks else "utf-8")
