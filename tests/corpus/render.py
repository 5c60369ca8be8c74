"""Render a `Spec` as HTML, DOCX or plain text, with the quirks it asks for.

PDF and .doc/.wps are made from the DOCX by LibreOffice (see `tests.corpus.build`), the
way portals make them from the Word file they edited.
"""

from __future__ import annotations

import html
import io
import random
import unicodedata
import zipfile
from dataclasses import replace

import opencc

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
    out = [(SECTIONS[0], active_table(spec.fmt, short), 0),
           (SECTIONS[1], head + body, len(head)),
           (SECTIONS[2], appeals_table(), 0)]
    if "justified" in spec.quirks or "misprint" in spec.quirks:
        out = [(heading, [_printed_labels(spec, row, rng) for row in rows], header_rows)
               for heading, rows, header_rows in out]
    return out


# A real misprint (a 2020 PDF) and wrong characters typesetters put for right ones.
_REAL_MISPRINTS = {"2.其他法律行政法规禁止公开": "2.其他法律行政止公开"}
_WRONG = "幵凊叚玏亍朩厶丆"


def _printed_labels(spec: Spec, row: Row, rng: random.Random) -> Row:
    """A row whose labels print as real documents print them: justified (spaces spread
    between the characters of a label) and, for the row label, a misprint (one character
    missing or wrong) in some rows."""
    first_value = next((i for i, c in enumerate(row) if c.key is not None), None)
    out = []
    for i, cell in enumerate(row):
        text = cell.text
        if cell.key is None and text:
            is_row_label = first_value is not None and i == first_value - 1
            cjk = [n for n, ch in enumerate(text) if "\u4e00" <= ch <= "\u9fff"]
            if "misprint" in spec.quirks and is_row_label and len(cjk) >= 6 \
                    and rng.random() < 0.3:
                if text in _REAL_MISPRINTS:
                    text = _REAL_MISPRINTS[text]
                else:
                    n = rng.choice(cjk[1:-1])
                    text = text[:n] + rng.choice(["", rng.choice(_WRONG)]) + text[n + 1:]
                spec.misprinted.append(text)
            if "justified" in spec.quirks and len(cjk) >= 2 and rng.random() < 0.4:
                n = rng.choice(cjk[1:])
                aligned_by_spaces = spec.quirks & {"spaces", "columns"}
                gap = " " if aligned_by_spaces else rng.choice([" ", "\u3000", "  "])
                text = text[:n] + gap + text[n:]
            cell = replace(cell, text=text)
        out.append(cell)
    return out


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


def site_of(spec: Spec) -> str:
    """The portal a report is published on: its district's (or city's) government."""
    _agency, province, city, district, _code = spec.agency
    return f"{city or province}{district}人民政府" if not district.startswith(
        (city or province)[:2]) else f"{district}管理委员会"


def opening(spec: Spec) -> tuple[list[str], str]:
    """(title lines, first paragraph) of the report body. Untitled reports print no title:
    who wrote it and when are said in the first paragraph or only by the signature."""
    agency, year = spec.agency[0], spec.year
    period = f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"
    if "untitled" not in spec.quirks:
        return ([agency, f"{year}年政府信息公开工作年度报告"],
                "本报告根据《中华人民共和国政府信息公开条例》要求编制。")
    first = {"by": f"本报告由{agency}根据《中华人民共和国政府信息公开条例》编制。{period}",
             "titled": f"现将{agency}{year}年政府信息公开工作年度报告公布如下。{period}",
             "signed": f"本报告根据《中华人民共和国政府信息公开条例》要求编制。{period}"}
    return [], first[next(q for q in ("by", "titled", "signed") if f"untitled_{q}" in
                          spec.quirks)]


_CHROME_AGENCY = ("agency_title", "agency_meta", "agency_catalog", "agency_crumb",
                  "agency_sentence")
_CRUMB_SEPARATORS = (" &gt; ", " » ", " › ", " / ", "&gt;&gt;")


def _chrome(spec: Spec, rng: random.Random, title: str) -> dict[str, str]:
    """The page around a report on a real portal: the site's header and navigation, the
    title block with its toolbar, a breadcrumb, the 信息公开目录 table, a footer; and where
    the agency's name is given (the title, a <meta>, the catalog, the breadcrumb or the
    first sentence)."""
    agency, site = spec.agency[0], site_of(spec)
    where = next(q for q in _CHROME_AGENCY if q in spec.quirks)
    shown = title if where == "agency_title" else title.replace(agency, "")
    toolbar = rng.choice(["【字体：大 中 小】 打印 关闭", "<span>【字体：<a>大</a> <a>中</a> "
                          "<a>小</a>】</span><a>【打印本页】</a><a>【关闭窗口】</a>",
                          " 发布时间：" + spec.published + " 来源：本网 浏览次数：128"])
    sep = rng.choice(_CRUMB_SEPARATORS)
    steps = ["首页", "政务公开", "政府信息公开"] + ([agency] if where == "agency_crumb" else []) \
        + ["政府信息公开年报"]
    parts = {
        "head": f'<title>{html.escape(site)}</title>' + (
            f'<meta name="ArticleTitle" content="{html.escape(shown)}">'
            f'<meta name="ContentSource" content="{html.escape(agency)}">'
            f'<meta name="PubDate" content="{spec.published} 09:30">'
            if where == "agency_meta" else ""),
        "header": f'<div class="top"><h1>{html.escape(site)}</h1><ul class="nav"><li>首页</li>'
                  "<li>政务公开</li><li>政府信息公开年报</li><li>互动交流</li></ul></div>"
                  f'<div class="crumb">{rng.choice(["当前位置：", "您的位置："])}'
                  f'{sep.join(steps)}</div>',
        "title": f'<div class="article-title">{html.escape(shown)}'
                 f'{toolbar if "toolbar" in spec.quirks else ""}</div>' + (
                     "" if where in ("agency_meta", "agency_catalog") else
                     f'<div class="info">发布日期：{spec.published}　来源：'
                     f'{html.escape(site)}</div>'),
        "catalog": "",
        "first": f"<p>本报告由{html.escape(agency)}根据《中华人民共和国政府信息公开条例》编制。</p>"
                 if where == "agency_sentence" else "",
        "signature": where == "agency_title",
        "footer": f'<div class="footer">主办单位：{html.escape(site)}办公室 版权所有 '
                  f'网站标识码：{spec.agency[4]}0001 ICP备05012345号</div>',
    }
    if where == "agency_catalog":
        parts["catalog"] = (
            '<table class="xxgk"><tr><td>索引号：</td><td>'
            f'{spec.agency[4]}/{spec.year + 1}-00012</td><td>发布机构：</td>'
            f"<td>{html.escape(agency)}</td></tr><tr><td>成文日期：</td><td>{spec.published}"
            f"</td><td>发布日期：</td><td>{spec.published}</td></tr><tr><td>名称：</td>"
            f'<td colspan="3">{html.escape(shown)}</td></tr></table>')
    return parts


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
    signature = f'<p style="text-align:right">{html.escape(spec.agency[0])}</p>'
    if "chrome" in spec.quirks:
        chrome = _chrome(spec, rng, shown_title)
        head, top = chrome["head"], chrome["header"] + chrome["catalog"] + chrome["title"]
        first = chrome["first"] or "<p>本报告根据《中华人民共和国政府信息公开条例》要求编制。</p>"
        signature = signature if chrome["signature"] else ""
        bottom = chrome["footer"]
    elif "untitled" in spec.quirks:
        head = f"<title>{html.escape(site_of(spec))}</title>"
        top, first, bottom = "", f"<p>{html.escape(opening(spec)[1])}</p>", ""
    else:
        head = f"<title>{html.escape(shown_title)}_政府信息公开</title>"
        top = ('<div class="crumb">首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>'
               f'<h1>{html.escape(shown_title)}</h1>'
               f'<div class="info">发布日期：{spec.published} 来源：本机关</div>')
        first, bottom = "<p>本报告根据《中华人民共和国政府信息公开条例》要求编制。</p>", ""
    page = f"""<!DOCTYPE html>
<html><head>{{meta}}{head}</head><body>
{top}
{first}
<p>一、总体情况</p><p>{spec.year}年，本机关认真做好政府信息公开工作。</p>
{"".join(parts)}
<p>五、存在的主要问题及改进情况</p><p>无。</p>
{signature}
{bottom}
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


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
_BORDERS = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                   for side in ("top", "left", "bottom", "right", "insideH", "insideV"))


def _paragraph(text: str, break_at: int | None = None) -> str:
    def run(t: str) -> str:
        return f'<w:r><w:t xml:space="preserve">{html.escape(t, quote=False)}</w:t></w:r>'
    if break_at:
        return f"<w:p>{run(text[:break_at])}<w:r><w:br/></w:r>{run(text[break_at:])}</w:p>"
    return f"<w:p>{run(text)}</w:p>"


def _docx_table(spec: Spec, rows: list[Row], rng: random.Random) -> str:
    """A Word table with real merges: w:gridSpan across, w:vMerge down."""
    grid = place(rows)
    width = max(c + cell.colspan for _r, c, cell in grid)
    starts = {(r, c): cell for r, c, cell in grid}
    covered: dict[tuple[int, int], Cell] = {}
    for r, c, cell in grid:
        for dr in range(1, cell.rowspan):
            covered[(r + dr, c)] = cell
    trs = []
    for r in range(len(rows)):
        tcs, c = [], 0
        while c < width:
            cell = starts.get((r, c)) or covered.get((r, c))
            if cell is None:
                c += 1
                continue
            props = f'<w:gridSpan w:val="{cell.colspan}"/>' if cell.colspan > 1 else ""
            if (r, c) in covered:
                props += '<w:vMerge/>'
                body = "<w:p/>"
            else:
                if cell.rowspan > 1:
                    props += '<w:vMerge w:val="restart"/>'
                text = cell_text(spec, cell)
                cut = None
                if cell.key is None and "breaks" in spec.quirks and len(text) > 3:
                    cut = rng.randint(1, len(text) - 1)
                body = _paragraph(text, cut)
            tcs.append(f"<w:tc><w:tcPr>{props}</w:tcPr>{body}</w:tc>")
            c += cell.colspan
        trs.append("<w:tr>" + "".join(tcs) + "</w:tr>")
    cols = "".join(f'<w:gridCol w:w="{9000 // width}"/>' for _ in range(width))
    return (f'<w:tbl><w:tblPr><w:tblW w:w="9000" w:type="dxa"/><w:tblBorders>{_BORDERS}'
            f'</w:tblBorders><w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>{cols}'
            f'</w:tblGrid>{"".join(trs)}</w:tbl>')


def render_docx(spec: Spec, rng: random.Random) -> bytes:
    """A DOCX written part by part (python-docx's merge is quadratic: seconds a table)."""
    title_lines, first = opening(spec)
    if title_lines and "traditional" in spec.quirks:
        title_lines[0] = label(spec, title_lines[0])
    body = [*map(_paragraph, title_lines), _paragraph(first),
            _paragraph("一、总体情况"),
            _paragraph(f"{spec.year}年，本机关认真做好政府信息公开工作。")]
    for heading, rows, _header_rows in tables(spec, rng):
        body.append(_paragraph(label(spec, heading)))
        body.append(_docx_table(spec, rows, rng))
    body += [_paragraph("五、存在的主要问题及改进情况"), _paragraph("无。"),
             _paragraph(spec.agency[0]), _paragraph(f"{spec.year + 1}年1月20日")]
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<w:document xmlns:w="{_W}"><w:body>{"".join(body)}'
                '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" '
                'w:right="1200" w:bottom="1440" w:left="1200"/></w:sectPr></w:body></w:document>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document)
    return out.getvalue()


# -- plain text ------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _columns_layout(spec: Spec, rows: list[Row]) -> list[str]:
    """A table as a monospaced text export prints it: every grid column as wide as its
    widest cell, labels left-aligned, numbers right-aligned, blank cells as spaces."""
    grid = place(rows)
    width = max(c + cell.colspan for _r, c, cell in grid)
    widths = [2] * width
    for _r, c, cell in sorted(grid, key=lambda x: x[2].colspan):
        need = _width(cell_text(spec, cell)) + 2
        have = sum(widths[c:c + cell.colspan])
        if need > have:
            widths[c + cell.colspan - 1] += need - have
    starts = [sum(widths[:c]) for c in range(width + 1)]
    out = []
    for r in range(len(rows)):
        line = ""
        for _rr, c, cell in sorted((x for x in grid if x[0] == r), key=lambda x: x[1]):
            text = cell_text(spec, cell)
            room = starts[c + cell.colspan] - starts[c] - 2
            padded = " " * (room - _width(text)) + text if cell.key else text
            line += " " * (starts[c] - _width(line)) + padded
        out.append(line.rstrip())
    return out


def render_text(spec: Spec, rng: random.Random) -> bytes:
    """A text version in the layout the spec draws (build.TEXT_LAYOUTS)."""
    layout = next((q for q in ("seed_layout", "tab_aligned", "columns", "pipe", "markdown",
                               "fullwidth_pipe") if q in spec.quirks), "spaces")
    title_lines, first = opening(spec)
    if title_lines:
        title_lines[0] = label(spec, title_lines[0])
    out = [*title_lines, "", first, "一、总体情况",
           f"{spec.year}年，本机关认真做好政府信息公开工作。"]
    for heading, rows, _header_rows in tables(spec, rng):
        out.append(label(spec, heading))
        if layout == "columns":
            out += _columns_layout(spec, rows)
            continue
        grid = place(rows)
        continuing: dict[int, list[tuple[int, Cell]]] = {}
        for r, c, cell in grid:
            for dr in range(1, cell.rowspan):
                continuing.setdefault(r + dr, []).append((c, cell))
        for r in range(len(rows)):
            cells = sorted([(c, cell_text(spec, cell), cell) for rr, c, cell in grid if rr == r]
                           + [(c, "", cell) for c, cell in continuing.get(r, [])],
                           key=lambda x: x[0])
            texts = [text for _c, text, _cell in cells]
            if layout == "seed_layout":
                for _c, text, cell in cells:
                    if cell.key is None and "breaks" in spec.quirks and len(text) > 3:
                        cut = rng.randint(1, len(text) - 1)
                        text = text[:cut] + "\n" + text[cut:]
                    out.append("\t" + text)
                out.append("")
            elif layout == "tab_aligned":
                out.append("\t".join(texts))
            elif layout in ("pipe", "markdown"):
                out.append("| " + " | ".join(texts) + " |")
                if layout == "markdown" and r == 0:
                    out.append("|" + "|".join(["---"] * len(texts)) + "|")
            elif layout == "fullwidth_pipe":
                out.append("｜".join(texts))
            else:
                out.append("  ".join(text for text in texts if text))
    out += ["五、存在的主要问题及改进情况", "无。", "", spec.agency[0],
            f"{spec.year + 1}年1月20日"]
    return "\n".join(out).encode("gb18030" if "gbk_text" in spec.quirks else "utf-8")
