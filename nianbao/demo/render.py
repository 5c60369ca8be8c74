"""Render a seed report as an HTML fragment or a .docx, laid out like the official template.

The three statistical tables follow the templates of 国办公开办函〔2019〕60号 ("2019") and
〔2021〕30号 ("2021") cell for cell, including the merged header cells, because that is what
real portals publish and what the parser has to untangle.  The template is hard-coded here on
purpose: tests compare the parser's output against these pages, so the demo must not share
label tables with ``parsers``.

Both renderers work from one table model (rows of cells with HTML-style rowspan/colspan); the
HTML renderer adds the markup noise found on real sites, the .docx renderer turns spans into
real Word merges (gridSpan / vMerge).
"""

from __future__ import annotations

import html
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from nianbao.demo.seeds import Number, Seed

# --------------------------------------------------------------------------- table model


@dataclass(frozen=True)
class Cell:
    """One table cell: a label (simplified Chinese) or the value of a canonical key."""

    text: str = ""
    key: str | None = None
    colspan: int = 1
    rowspan: int = 1
    # Markup noise for the HTML renderer: "" (none), "word" (Word-paste <p><span> wrapper),
    # "pad" (&nbsp; padding), "style" (inline-styled <span>).
    noise: str = ""


Row = list[Cell]
Table = list[Row]

# Labels that real reports break over two lines inside the cell (<br> / a Word line break).
_BREAKS = {
    "商业企业": ("商业", "企业"),
    "科研机构": ("科研", "机构"),
    "结果纠正": ("结果", "纠正"),
    "其他结果": ("其他", "结果"),
    "尚未审结": ("尚未", "审结"),
}

SECTION_ACTIVE = "二、主动公开政府信息情况"
SECTION_APPLICATIONS = "三、收到和处理政府信息公开申请情况"
SECTION_APPEALS = "四、政府信息公开行政复议、行政诉讼情况"

# 主动公开: (item of Article 20, column headers, rows of (row label, key prefix, key suffixes)).
_ActiveBlock = tuple[str, tuple[str, ...], tuple[tuple[str, str, tuple[str, ...]], ...]]
_COLS_2019_SERVICES = ("上一年项目数量", "本年增/减", "处理决定数量")
_ACTIVE: dict[str, tuple[_ActiveBlock, ...]] = {
    "2021": (
        (
            "（一）",
            ("本年制发件数", "本年废止件数", "现行有效件数"),
            (
                ("规章", "active.rules", ("issued", "repealed", "in_force")),
                ("行政规范性文件", "active.normative_docs", ("issued", "repealed", "in_force")),
            ),
        ),
        ("（五）", ("本年处理决定数量",), (("行政许可", "active.licensing", ("decisions",)),)),
        (
            "（六）",
            ("本年处理决定数量",),
            (
                ("行政处罚", "active.penalty", ("decisions",)),
                ("行政强制", "active.coercion", ("decisions",)),
            ),
        ),
        (
            "（八）",
            ("本年收费金额（单位：万元）",),
            (("行政事业性收费", "active.fees", ("amount",)),),
        ),
    ),
    "2019": (
        (
            "（一）",
            ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
            (
                ("规章", "active.rules", ("made", "published", "total")),
                ("规范性文件", "active.normative_docs", ("made", "published", "total")),
            ),
        ),
        (
            "（五）",
            _COLS_2019_SERVICES,
            (
                ("行政许可", "active.licensing", ("prev_items", "change", "decisions")),
                (
                    "其他对外管理服务事项",
                    "active.other_services",
                    ("prev_items", "change", "decisions"),
                ),
            ),
        ),
        (
            "（六）",
            _COLS_2019_SERVICES,
            (
                ("行政处罚", "active.penalty", ("prev_items", "change", "decisions")),
                ("行政强制", "active.coercion", ("prev_items", "change", "decisions")),
            ),
        ),
        (
            "（八）",
            ("上一年项目数量", "本年增/减"),
            (("行政事业性收费", "active.fees", ("prev_items", "change")),),
        ),
        (
            "（九）",
            ("采购项目数量", "采购总金额"),
            (("政府集中采购", "active.procurement", ("items", "amount")),),
        ),
    ),
}
# The active table is 4 columns wide; blocks with fewer value columns widen the last one(s).
_ACTIVE_VALUE_SPANS = {1: (3,), 2: (1, 2), 3: (1, 1, 1)}

APPLICANT_COLUMNS = (
    "natural_person",
    "commercial",
    "research",
    "social_welfare",
    "legal_service",
    "other_org",
    "total",
)
_CHECK_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
# Outcome groups under 三、本年度办理结果: (label, key) for a single row spanning both label
# columns, or (label, ((sub label, key), ...)) for a group label spanning its sub-rows.
_Outcome = tuple[str, str | tuple[tuple[str, str], ...]]
_OUTCOMES_HEAD: tuple[_Outcome, ...] = (
    ("（一）予以公开", "granted"),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "partially_granted"),
    (
        "（三）不予公开",
        (
            ("1.属于国家秘密", "withheld.state_secret"),
            ("2.其他法律行政法规禁止公开", "withheld.prohibited_by_law"),
            ("3.危及“三安全一稳定”", "withheld.security_stability"),
            ("4.保护第三方合法权益", "withheld.third_party"),
            ("5.属于三类内部事务信息", "withheld.internal_affairs"),
            ("6.属于四类过程性信息", "withheld.process_info"),
            ("7.属于行政执法案卷", "withheld.enforcement_file"),
            ("8.属于行政查询事项", "withheld.admin_query"),
        ),
    ),
    (
        "（四）无法提供",
        (
            ("1.本机关不掌握相关政府信息", "unavailable.not_held"),
            ("2.没有现成信息需要另行制作", "unavailable.needs_creation"),
            ("3.补正后申请内容仍不明确", "unavailable.unclear"),
        ),
    ),
    (
        "（五）不予处理",
        (
            ("1.信访举报投诉类申请", "not_processed.petition"),
            ("2.重复申请", "not_processed.duplicate"),
            ("3.要求提供公开出版物", "not_processed.publication"),
            ("4.无正当理由大量反复申请", "not_processed.excessive"),
            ("5.要求行政机关确认或重新出具已获取信息", "not_processed.confirmation"),
        ),
    ),
)
_OTHER_OUTCOME: dict[str, _Outcome] = {
    "2019": ("（六）其他处理", "other.all"),
    "2021": (
        "（六）其他处理",
        (
            (
                "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                "other.no_correction",
            ),
            (
                "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                "other.unpaid_fee",
            ),
            ("3.其他", "other.other"),
        ),
    ),
}

APPEAL_OUTCOMES = ("upheld", "corrected", "other", "pending", "total")
APPEAL_GROUPS = ("review", "litigation_direct", "litigation_after_review")
_APPEAL_LABELS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")


def _values(prefix: str, suffixes: Iterable[str], noise: str = "") -> Row:
    return [Cell(key=f"{prefix}.{s}", noise=noise) for s in suffixes]


def active_table(seed: Seed) -> Table:
    """主动公开 table; a block or row is present only if the seed has values for it."""
    table: Table = []
    for item, columns, rows in _ACTIVE[seed.format]:
        present = [r for r in rows if any(f"{r[1]}.{s}" in seed.values for s in r[2])]
        if not present:
            continue
        spans = _ACTIVE_VALUE_SPANS[len(columns)]
        table.append([Cell(f"第二十条第{item}项", colspan=4)])
        table.append(
            [Cell("信息内容", noise="pad")]
            + [Cell(c, colspan=n) for c, n in zip(columns, spans, strict=True)]
        )
        for label, prefix, suffixes in present:
            cells = [
                Cell(key=f"{prefix}.{s}", colspan=n) for s, n in zip(suffixes, spans, strict=True)
            ]
            table.append([Cell(label, noise="style")] + cells)
    return table


def _outcomes(fmt: str) -> tuple[_Outcome, ...]:
    return _OUTCOMES_HEAD + (_OTHER_OUTCOME[fmt], ("（七）总计", "total"))


def applications_table(seed: Seed) -> Table:
    """收到和处理政府信息公开申请 table with the official three-row header."""
    outcomes = _outcomes(seed.format)
    n_outcome_rows = sum(1 if isinstance(k, str) else len(k) for _, k in outcomes)
    table: Table = [
        [Cell(_CHECK_NOTE, colspan=3, rowspan=3), Cell("申请人情况", colspan=7)],
        [
            Cell("自然人", rowspan=2),
            Cell("法人或其他组织", colspan=5),
            Cell("总计", rowspan=2, noise="pad"),
        ],
        [Cell(t) for t in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")],
    ]
    prefix = "applications"
    for label, row_key in (
        ("一、本年新收政府信息公开申请数量", "received"),
        ("二、上年结转政府信息公开申请数量", "carried_over"),
    ):
        table.append([Cell(label, colspan=3)] + _values(f"{prefix}.{row_key}", APPLICANT_COLUMNS))
    first = True
    for label, keys in outcomes:
        lead = [Cell("三、本年度办理结果", rowspan=n_outcome_rows)] if first else []
        first = False
        if isinstance(keys, str):
            row = [Cell(label, colspan=2, noise="word")]
            table.append(lead + row + _values(f"{prefix}.{keys}", APPLICANT_COLUMNS))
            continue
        for i, (sub_label, key) in enumerate(keys):
            group = [Cell(label, rowspan=len(keys), noise="word")] if i == 0 else []
            row = (lead if i == 0 else []) + group + [Cell(sub_label, noise="word")]
            table.append(row + _values(f"{prefix}.{key}", APPLICANT_COLUMNS))
    table.append(
        [Cell("四、结转下年度继续办理", colspan=3)]
        + _values(f"{prefix}.carried_forward", APPLICANT_COLUMNS, noise="pad")
    )
    return table


def appeals_table(seed: Seed) -> Table:
    """行政复议、行政诉讼 table: 5 review columns, 10 litigation columns."""
    return [
        [Cell("行政复议", colspan=5), Cell("行政诉讼", colspan=10)],
        [Cell(t, rowspan=2) for t in _APPEAL_LABELS]
        + [Cell("未经复议直接起诉", colspan=5), Cell("复议后起诉", colspan=5)],
        [Cell(t) for t in _APPEAL_LABELS * 2],
        [
            Cell(key=f"appeals.{g}.{o}", noise="style")
            for g in APPEAL_GROUPS
            for o in APPEAL_OUTCOMES
        ],
    ]


def report_tables(seed: Seed) -> list[tuple[str, Table]]:
    """The three statistical tables, each with the section heading it sits under."""
    return [
        (SECTION_ACTIVE, active_table(seed)),
        (SECTION_APPLICATIONS, applications_table(seed)),
        (SECTION_APPEALS, appeals_table(seed)),
    ]


def format_value(value: Number | None) -> str:
    """A value as a report prints it: ints plainly, decimals without a trailing ".0"."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def report_title(seed: Seed) -> str:
    """The report title as portals list it."""
    return f"{seed.agency}{seed.year}年政府信息公开工作年度报告"


# --------------------------------------------------------------------------- s2t


@lru_cache(maxsize=1)
def _s2t():
    """OpenCC simplified→traditional converter.

    Uses the official binding (``opencc.OpenCC``).  Some installs ship the compiled module
    without the package's ``__init__.py``; then the same C library is driven directly with
    its bundled ``s2t.json`` so the demo still works.
    """
    import opencc

    if hasattr(opencc, "OpenCC"):
        converter = opencc.OpenCC("s2t")
        return converter.convert
    from opencc.clib import opencc_clib  # type: ignore[attr-defined]

    config = os.path.join(os.path.dirname(opencc_clib.__file__), "share", "opencc", "s2t.json")
    raw = opencc_clib._OpenCC(config)
    return lambda text: raw.convert(text, len(text.encode("utf-8")))


def to_traditional(text: str) -> str:
    """Simplified → traditional Chinese (OpenCC s2t)."""
    return _s2t()(text) if text else text


# --------------------------------------------------------------------------- HTML

_TABLE_ATTRS = (
    'border="1" cellspacing="0" cellpadding="0" align="center" '
    'style="border-collapse:collapse;width:100%;border:none"'
)
_LABEL_TD_STYLE = "border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt"
_WORD_P = '<p class="MsoNormal" align="center" style="text-align:center">'
_WORD_SPAN = '<span style="font-size:10.5pt;font-family:宋体">'


def _label_html(text: str, noise: str, traditional: bool) -> str:
    convert = to_traditional if traditional else (lambda t: t)
    parts = _BREAKS.get(text, (text,))
    inner = "<br>".join(html.escape(convert(p)) for p in parts)
    if noise == "word":
        return f"{_WORD_P}{_WORD_SPAN}{inner}</span></p>"
    if noise == "pad":
        return f"&nbsp;{inner}&nbsp;"
    if noise == "style":
        return f'<span style="font-family:仿宋_GB2312;font-size:16px">{inner}</span>'
    return inner


def _value_html(value: str, noise: str) -> str:
    if noise == "pad":
        return f"{value}&nbsp;"
    if noise == "style":
        return f'<p style="text-align:center"><span style="font-size:12px">{value}</span></p>'
    return value


def _td(cell: Cell, values: dict[str, Number], traditional: bool) -> str:
    attrs = []
    if cell.colspan > 1:
        attrs.append(f'colspan="{cell.colspan}"')
    if cell.rowspan > 1:
        attrs.append(f'rowspan="{cell.rowspan}"')
    if cell.key is None:
        attrs.append(f'style="{_LABEL_TD_STYLE}"')
        body = _label_html(cell.text, cell.noise, traditional)
    else:
        attrs.append('align="center" valign="middle"')
        body = _value_html(html.escape(format_value(values.get(cell.key))), cell.noise)
    return f"<td {' '.join(attrs)}>{body}</td>"


def table_html(table: Table, values: dict[str, Number], *, traditional: bool = False) -> str:
    """One table model as an HTML <table>."""
    rows = "\n".join(
        "<tr>" + "".join(_td(c, values, traditional) for c in row) + "</tr>" for row in table
    )
    return f"<table {_TABLE_ATTRS}>\n<tbody>\n{rows}\n</tbody>\n</table>"


def _heading_html(text: str) -> str:
    return f'<p style="text-indent:2em"><strong>{html.escape(text)}</strong></p>'


def _paragraphs_html(paragraphs: Iterable[str]) -> list[str]:
    return [f'<p style="text-indent:2em">{html.escape(p)}</p>' for p in paragraphs]


def _narrative_split(seed: Seed) -> tuple[list[tuple[str, list[str]]], list[tuple[str, list[str]]]]:
    """Prose before the tables (intro, 一) and after them (五, 六)."""
    before, after = [], []
    for heading, paragraphs in seed.narrative:
        (after if heading.startswith(("五", "六")) else before).append((heading, paragraphs))
    return before, after


def render_report_html(seed: Seed, *, traditional: bool = False) -> str:
    """The report body as an HTML fragment: prose, then the three tables, then prose.

    With ``traditional=True`` every generated label and heading is converted with OpenCC s2t
    (the seed's own prose is kept verbatim: seed 002 is already traditional).
    """
    before, after = _narrative_split(seed)
    convert = to_traditional if traditional else (lambda t: t)
    parts: list[str] = []
    for heading, paragraphs in before:
        if heading:
            parts.append(_heading_html(heading))
        parts.extend(_paragraphs_html(paragraphs))
    for heading, table in report_tables(seed):
        parts.append(_heading_html(convert(heading)))
        parts.append(table_html(table, seed.values, traditional=traditional))
    for heading, paragraphs in after:
        parts.append(_heading_html(heading))
        parts.extend(_paragraphs_html(paragraphs))
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- docx


def _grid(table: Table) -> tuple[int, list[tuple[int, int, Cell]]]:
    """Place HTML-style cells on a grid: (n columns, [(row, col, cell)])."""
    taken: set[tuple[int, int]] = set()
    placed = []
    width = 0
    for r, row in enumerate(table):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            placed.append((r, c, cell))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
            width = max(width, c)
    return width, placed


def _set_east_asian_font(run, name: str) -> None:
    """Word needs w:eastAsia on rFonts for CJK text; python-docx only sets the Latin font."""
    from docx.oxml.ns import qn

    run.font.name = name
    rpr = run._element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _write_cell(docx_cell, text: str, convert) -> None:
    paragraph = docx_cell.paragraphs[0]
    parts = _BREAKS.get(text, (text,))
    for i, part in enumerate(parts):
        run = paragraph.add_run(convert(part))
        if i < len(parts) - 1:
            run.add_break()


def _add_docx_table(document, table: Table, values: dict[str, Number], convert) -> None:
    from docx.table import _Cell as _DocxCell

    width, placed = _grid(table)
    docx_table = document.add_table(rows=len(table), cols=width)
    docx_table.style = "Table Grid"
    # Take every cell once, before merging: Table.cell() re-walks the whole grid on each call
    # (quadratic), while the w:tc elements taken here stay valid because merged regions never
    # overlap.
    grid = [[_DocxCell(tc, docx_table) for tc in tr.tc_lst] for tr in docx_table._tbl.tr_lst]
    for r, c, cell in placed:
        target = grid[r][c]
        if cell.rowspan > 1 or cell.colspan > 1:
            target = target.merge(grid[r + cell.rowspan - 1][c + cell.colspan - 1])
        if cell.key is None:
            _write_cell(target, cell.text, convert)
        else:
            target.paragraphs[0].add_run(format_value(values.get(cell.key)))


def render_report_docx(
    seed: Seed, *, signed_on: str | None = None, traditional: bool = False
) -> bytes:
    """The report as a Word document with the tables' merged cells as real Word merges.

    ``signed_on`` is the date printed under the agency's signature (e.g. "2022年1月24日");
    by default late January of the following year, when most reports are published.
    """
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    convert = to_traditional if traditional else (lambda t: t)
    document = Document()
    document.core_properties.title = report_title(seed)
    document.core_properties.author = seed.agency

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(convert(seed.agency))
    run.add_break()
    title.add_run(convert(f"{seed.year}年政府信息公开工作年度报告"))
    for r in title.runs:
        r.bold = True
        r.font.size = Pt(22)
        _set_east_asian_font(r, "方正小标宋简体")

    def prose(heading: str, paragraphs: list[str]) -> None:
        if heading:
            document.add_paragraph().add_run(heading).bold = True
        for text in paragraphs:
            p = document.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(32)
            _set_east_asian_font(p.add_run(text), "仿宋_GB2312")

    before, after = _narrative_split(seed)
    for heading, paragraphs in before:
        prose(heading, paragraphs)
    for heading, table in report_tables(seed):
        document.add_paragraph().add_run(convert(heading)).bold = True
        _add_docx_table(document, table, seed.values, convert)
    for heading, paragraphs in after:
        prose(heading, paragraphs)

    for line in (seed.agency, signed_on or f"{seed.year + 1}年1月20日"):
        p = document.add_paragraph(convert(line))
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip_times(buffer.getvalue())


def _fixed_zip_times(docx: bytes) -> bytes:
    """The same bytes on every run: the zip entries carry the time they were written, and
    a demo portal serving a changed file each run would make a re-crawl store it again."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 20, 0, 0, 0))
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
