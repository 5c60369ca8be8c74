"""Is a document an annual report at all, and how far could it be read?

Portals file notices about compiling the reports, disclosure guides, work plans and
summaries, and list pages under the same column as the reports, often with 年度报告 in
the title. The title decides first (what a document calls itself: 通知, 指南, 要点 …);
then whether it prints the report's tables or, failing that, its prose.
"""

from __future__ import annotations

import re

from . import labels
from .document import Document
from .text import label_key
from .titles import is_decoy, is_report_title

PARSED = "parsed"  # tables found and read
NO_TABLE = "no-table"  # a report that prints no statistical table (values null, a note says why)
IMAGE_ONLY = "image-only"  # a scan (图片版): pictures of pages, no text to read
UNMAPPED_TEXT = "unmapped-text"  # a PDF whose fonts have no Unicode map: text unreadable
NOT_A_REPORT = "not-a-report"
STATUSES = (PARSED, NO_TABLE, IMAGE_ONLY, UNMAPPED_TEXT, NOT_A_REPORT)

_PAGINATION = re.compile(r"(下一页|上一页|尾页|首页\s*\d|共\s*\d+\s*页|第\s*\d+\s*页\s*/)")
_REPORT_PROSE = ("总体情况", "主动公开", "依申请公开", "行政复议")


def classify(doc: Document, title: str | None, has_tables: bool) -> tuple[bool, str]:
    """(is it a report, status)."""
    if title and is_decoy(title):  # the title vocabulary is parsers.titles, shared
        return False, NOT_A_REPORT
    titled = is_report_title(title)
    if doc.unmapped_text:
        return True, UNMAPPED_TEXT  # what it is cannot be read, like a scan's
    if has_tables:
        return True, PARSED
    if doc.image_only:
        return True, IMAGE_ONLY
    report_titles = sum(1 for line in doc.lines if len(line) < 60 and is_report_title(line))
    if _PAGINATION.search("\n".join(doc.lines)) and report_titles >= 3:
        return False, NOT_A_REPORT  # a list of reports, not one
    prose = "\n".join(doc.lines)
    if (titled or template_sections(doc.lines) >= 3) \
            and sum(1 for word in _REPORT_PROSE if word in prose) >= 2:
        return True, NO_TABLE
    return False, NOT_A_REPORT


def template_sections(lines: list[str]) -> int:
    """How many of the template's numbered sections (一、总体情况 … 五、存在的主要问题)
    the document prints as headings: a report is known by its content, title or not."""
    found = {labels.section_heading(label_key(line)) for line in lines if len(line) <= 40}
    overview = any(_OVERVIEW.match(line) for line in lines)
    return len(found - {None}) + overview


_OVERVIEW = re.compile(r"^\s*一\s*[、.]\s*总体情况")
