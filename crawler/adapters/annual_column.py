"""年报专栏: one column for all units of a district, with folders per year and department.

The column page links year folders (``2023年``, ``2022年度``); a year folder links one
folder per unit (``区教育局``, ``XX街道办事处``); a unit folder links the report itself,
often titled just ``2023年度报告``. None of those folder names reads like a report, so
the generic rules would stop at the column: this adapter follows the folders.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree
from nianbao.parsers.text import clean
from scrapy.http import HtmlResponse, TextResponse

from ..links import LinkKind, classify
from .base import Found, response_anchors

_COLUMN = re.compile(r"年报专栏|年度报告专栏|(信息公开|政务公开)(工作)?(年度报告|年报)")
_YEAR_FOLDER = re.compile(r"^(19|20)\d{2}\s*(年|年度)?$")
_UNIT = re.compile(r"(局|委|办|院|所|街道|镇|乡|中心|办公室|政府|委员会|管委会|法院|检察院|站|队)$")
_REPORTISH = re.compile(r"年度报告|年报")
_YEAR = re.compile(r"(19|20)\d{2}")
# What a column's name is printed in (compiled once: this runs on every HTML page).
_TITLES = etree.XPath(
    "//title/text() | //h1/text() | //h2/text()"
    " | //*[contains(concat(' ', normalize-space(@class), ' '), ' column-title ')]/text()",
    smart_strings=False)


class AnnualColumnAdapter:
    name = "annual_column"

    def matches(self, response: TextResponse) -> bool:
        if not isinstance(response, HtmlResponse):
            return False
        if response.meta.get("annual_level"):
            return True
        title = clean(" ".join(_TITLES(response.selector.root)))
        # A column has no year in its name; "…2023年政府信息公开工作年度报告" is one report.
        return bool(_COLUMN.search(title)) and not _YEAR.search(title)

    def discover(self, response: TextResponse) -> Iterator[Found]:
        level = int(response.meta.get("annual_level") or 0)
        for url, text in response_anchors(response):
            text = clean(text)
            if level == 0 and _YEAR_FOLDER.match(text):
                yield Found(url, text, LinkKind.LISTING, meta={"annual_level": 1})
            elif level == 1 and _UNIT.search(text) and len(text) <= 30:
                yield Found(url, text, LinkKind.LISTING, meta={"annual_level": 2})
            elif level >= 1 and classify(url, text) is LinkKind.LISTING and _REPORTISH.search(
                    text) and not _YEAR_FOLDER.match(text):
                # "年度报告" with no year, under a unit folder, is that unit's report.
                yield Found(url, text, LinkKind.REPORT)
