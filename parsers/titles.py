"""The one vocabulary of titles: what an annual report calls itself, what its look-alikes
call themselves, and which words lead from a portal's home page to the reports.

The crawler (``crawler.links``) reads a link's text with it to decide what to fetch, and the
parser (``parsers.classify``) reads a document's title with it to decide what is not a
report; both ask this module, so a wording learned once counts on both sides.

Title forms portals use (see docs/discovery.md):

- "…2023年政府信息公开工作年度报告", "…2023年度政府信息公开工作报告" (no "年度报告"),
- "…政务公开工作年度报告（2022年）", "…2023年信息公开年报", "…政务信息公开年度报告",
- no year at all: "福田区工业和信息化局政府信息公开工作年度报告",
- announcements "关于…年度报告的公告" whose body links the report as "附件1.pdf".

Look-alikes (decoys) name another kind of document: 通知, 图解, 解读, 要点, 指南, 计划 ….
A title that is neither clearly a report nor clearly a decoy is *ambiguous*: the crawler
fetches it and the parser decides by content.
"""

from __future__ import annotations

import re
from enum import Enum

from .text import clean


class TitleKind(Enum):
    REPORT = "report"  # reads as one annual report
    AMBIGUOUS = "ambiguous"  # may hold or link one (an announcement, "2023年度报告"): fetch
    COLUMN = "column"  # names a column of reports (no year): a list page
    DECOY = "decoy"  # names another kind of document that mentions reports
    OTHER = "other"  # nothing to do with reports


# "公开" followed closely by a report word covers 政府信息公开工作年度报告, 年度政府信息公开
# 工作报告, 政务公开工作年度报告, 信息公开年报, 政务信息公开年度报告, 公开工作的年度报告.
_REPORT = re.compile(r"公开.{0,10}?(年度报告|年报|报告)|年度报告|年报")
_DISCLOSURE = re.compile(r"公开")
YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")

# Words that make a title another kind of document, wherever they stand in it.
DECOY_WORDS = (
    "通知", "通告", "图解", "一图读懂", "图说", "解读", "要点", "指南", "计划", "方案", "总结",
    "意见", "办法", "规定", "制度", "目录", "模板", "样本", "样式", "格式", "编制", "报送",
    "发布工作", "公布情况", "督查", "考核", "测评", "评估", "培训", "会议", "申请表", "问答",
    "汇总表", "一览表", "的函", "批复", "统计表", "决算", "预算", "专栏",
)
_DECOY = re.compile("|".join(map(re.escape, DECOY_WORDS)))
# Agency names that hold a decoy word ("卫生和计划生育委员会", "绩效评估中心"): taken out
# before the decoy words are looked for.
_AGENCY_PARTS = re.compile(r"计划生育|评估中心|考核办|统计局|会议中心|规划和自然资源|方案办")
# An announcement (公告, 公示, 发布) may carry the report in its body or as an attachment.
_ANNOUNCEMENT = re.compile(r"公告|公示|发布|关于")
# A column of reports names the kind without a year: "政府信息公开年报", "年度报告专栏".
_COLUMN = re.compile(r"(信息公开|政务公开).{0,6}(年度报告|年报)|^年报$|^年度报告$|年度报告专栏|"
                     r"年报专栏")
# A file's extension is not part of its title; "附件1" says nothing about what it holds.
_EXTENSION = re.compile(r"\.(pdf|docx?|wps|ofd|xlsx?|rtf|txt)$", re.I)
_BARE_ATTACHMENT = re.compile(r"^附件\s*\d*$")


def normalise(title: str | None) -> str:
    """A title as compared: cleaned, brackets unified, suffixes like "（图片版）" kept."""
    return clean(title or "").replace("(", "（").replace(")", "）")


def is_decoy(title: str | None) -> bool:
    """Whether a title names another kind of document (a notice, an infographic …)."""
    return bool(_DECOY.search(_AGENCY_PARTS.sub("", normalise(title))))


def is_report_title(title: str | None) -> bool:
    """Whether a title reads as an annual report (or a column of them), decoys included."""
    return bool(_REPORT.search(normalise(title)))


def title_kind(title: str | None) -> TitleKind:
    """What a title says a link or document is."""
    text = _EXTENSION.sub("", normalise(title))
    if not text or _BARE_ATTACHMENT.match(text):
        return TitleKind.OTHER
    if not _REPORT.search(text):
        return TitleKind.OTHER
    if is_decoy(text):
        return TitleKind.DECOY
    has_year = bool(YEAR.search(text))
    if _ANNOUNCEMENT.search(text) and ("的公告" in text or "公示" in text or
                                       text.startswith(("关于", "发布"))):
        return TitleKind.AMBIGUOUS
    if _COLUMN.search(text) and not has_year and len(text) <= 12:
        return TitleKind.COLUMN
    if _DISCLOSURE.search(text):
        # "…局政府信息公开工作年度报告" with no year is still one unit's report.
        return TitleKind.REPORT
    # "2023年度报告" under a unit folder, "XX局2023年报": maybe a report, maybe a company's
    # annual report; the content decides.
    return TitleKind.AMBIGUOUS if has_year or len(text) > 6 else TitleKind.COLUMN


# -------------------------------------------------------------------------- navigation

# Hub words, scored: the higher, the likelier the link leads towards the report column.
HUB_WORDS: tuple[tuple[str, float], ...] = (
    ("政府信息公开年报", 9), ("信息公开年报", 9), ("年度报告", 8), ("年报", 8),
    ("法定主动公开内容", 6), ("法定主动公开", 6), ("信息公开目录", 5), ("政府信息公开", 5),
    ("政务公开", 4), ("信息公开", 4), ("主动公开", 3), ("公开目录", 3), ("部门信息公开", 4),
    ("政府部门", 2), ("部门", 1.5), ("街道", 1.5), ("乡镇", 1.5), ("镇", 1), ("乡", 1),
)
# Words of the parts of a portal that never lead to reports: news, services, interaction.
AWAY_WORDS = ("新闻", "动态", "要闻", "图片", "视频", "办事", "服务", "互动", "留言", "信箱",
              "招聘", "招考", "English", "登录", "注册", "无障碍", "网站地图", "搜索", "天气",
              "旅游", "投资", "通知公告", "政策解读", "政策文件", "人事", "采购", "招标")
_HUB_DECOYS_OK = {"目录", "专栏"}
_YEAR_FOLDER = re.compile(r"^(19|20)\d{2}\s*(年度?)?\s*(报告|年报)?$")
_UNIT_FOLDER = re.compile(r"(区政府部门|县政府部门|市政府部门|政府工作部门|部门|街道|镇|乡|"
                          r"区县|县区|单位|直属|委办局)$")


def hub_score(text: str | None, *, in_reports: bool = False) -> float:
    """How promising a navigation link's text is on the way to the reports (0: not at all).

    ``in_reports`` says the page holding the link is already about reports (a column of
    them): there year folders ("2022年") and unit folders ("街道", "区政府部门") lead on.
    """
    text = normalise(text)
    if not text or len(text) > 30:
        return 0.0
    # A guide, a plan, an explainer is a document, not a way on; a 目录 or 专栏 is a way on.
    if any(m.group(0) not in _HUB_DECOYS_OK for m in _DECOY.finditer(text)):
        return 0.0
    if any(word in text for word in AWAY_WORDS):
        return 0.0
    score = max((weight for word, weight in HUB_WORDS if word in text), default=0.0)
    if in_reports:
        if _YEAR_FOLDER.match(text):
            score = max(score, 7.0)
        elif _UNIT_FOLDER.search(text):
            score = max(score, 6.0)
    elif score < 3:
        return 0.0  # 部门, 镇 … are only promising inside a column of reports
    return score


def is_year_folder(text: str | None) -> bool:
    return bool(_YEAR_FOLDER.match(normalise(text)))
