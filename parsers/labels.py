"""What a label cell means: which section, row or column of the official tables.

Every function takes the matching form of a label (`text.label_key`) and answers by
meaning, so line breaks inside labels, abbreviations, traditional script and numbering
variants all land on the same canonical name. Answers are cached: the same labels recur
in every report.
"""

from __future__ import annotations

import re
from functools import lru_cache

ACTIVE, APPLICATIONS, APPEALS, END = "active", "applications", "appeals", "end"

_HEADING = re.compile(r"^[一二三四五六七八九十]+[、.]")


@lru_cache(maxsize=16384)
def section_heading(t: str) -> str | None:
    """The section a heading line opens (二、主动公开政府信息情况 …), or None."""
    if len(t) > 32 or not _HEADING.match(t):
        return None
    if "主动公开" in t:
        return ACTIVE
    if "收到和处理" in t or "依申请" in t:
        return APPLICATIONS
    if "复议" in t and "诉讼" in t:
        return APPEALS
    if "存在的主要问题" in t or "其他需要报告" in t or "其它需要报告" in t or "收费" in t:
        return END
    return None


@lru_cache(maxsize=16384)
def section_marker(t: str) -> str | None:
    """A cell that only appears in one table (used where there is no heading, as in HTML)."""
    if len(t) > 40:
        return None
    if t.startswith("第二十条") or t == "信息内容":
        return ACTIVE
    if "申请人情况" in t or "本年新收" in t:
        return APPLICATIONS
    if t == "行政复议":
        return APPEALS
    return section_heading(t)


# -- 主动公开 -------------------------------------------------------------------------

_ACTIVE_ROWS = (
    ("规章", "rules"),
    ("规范性文件", "normative_docs"),
    ("行政许可", "licensing"),
    ("其他对外管理服务事项", "other_services"),
    ("行政处罚", "penalty"),
    ("行政强制", "coercion"),
    ("行政事业性收费", "fees"),
    ("政府集中采购", "procurement"),
)


@lru_cache(maxsize=16384)
def active_row(t: str) -> str | None:
    if len(t) > 14:
        return None
    for label, row in _ACTIVE_ROWS:
        if t.endswith(label) or t == label:
            return row
    return None


@lru_cache(maxsize=16384)
def active_column(t: str) -> str | None:
    if len(t) > 20:
        return None
    if "制发" in t:
        return "issued"
    if "废止" in t:
        return "repealed"
    if "现行有效" in t:
        return "in_force"
    if "处理决定" in t:
        return "decisions"
    if "新制作" in t:
        return "made"
    if "新公开" in t:
        return "published"
    if "公开总数" in t:
        return "total"
    if "上一年" in t or "上年项目" in t:
        return "prev_items"
    if t.startswith("本年增") or "增/减" in t or "增减" in t:
        return "change"
    if "采购项目" in t:
        return "items"
    if "金额" in t:
        return "amount"
    return None


# -- 收到和处理政府信息公开申请 ------------------------------------------------------

APPLICANT_COLUMNS = (
    "natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org",
    "total",
)
ORG_GROUP = "org_group"  # 法人或其他组织: a header over five of the columns


@lru_cache(maxsize=16384)
def applicant_column(t: str) -> str | None:
    if len(t) > 12:
        return None
    if "自然人" in t:
        return "natural_person"
    if "法人或其他组织" in t or "法人或其它组织" in t:
        return ORG_GROUP
    if "商业企业" in t or t == "企业":
        return "commercial"
    if "科研" in t:
        return "research"
    if "公益" in t:
        return "social_welfare"
    if "法律服务" in t:
        return "legal_service"
    if t in ("其他", "其它"):
        return "other_org"
    if t in ("总计", "合计"):
        return "total"
    return None


# Groups of outcome rows whose numbered sub-rows share one label cell.
GROUP_RESULTS, GROUP_WITHHELD, GROUP_UNAVAILABLE, GROUP_NOT_PROCESSED, GROUP_OTHER = (
    "results", "withheld", "unavailable", "not_processed", "other")

_APPLICATION_ROWS = (
    (("本年新收",), "received"),
    (("上年结转",), "carried_over"),
    (("结转下年", "下年度继续办理"), "carried_forward"),
    (("部分公开",), "partially_granted"),
    (("国家秘密",), "withheld.state_secret"),
    (("禁止公开",), "withheld.prohibited_by_law"),
    (("一稳定",), "withheld.security_stability"),
    (("第三方",), "withheld.third_party"),
    (("内部事务",), "withheld.internal_affairs"),
    (("过程性",), "withheld.process_info"),
    (("执法案卷",), "withheld.enforcement_file"),
    (("行政查询",), "withheld.admin_query"),
    (("不掌握",), "unavailable.not_held"),
    (("另行制作",), "unavailable.needs_creation"),
    (("不明确",), "unavailable.unclear"),
    (("信访", "举报投诉"), "not_processed.petition"),
    (("重复申请",), "not_processed.duplicate"),
    (("出版物",), "not_processed.publication"),
    (("大量反复",), "not_processed.excessive"),
    (("重新出具", "确认或重新"), "not_processed.confirmation"),
    (("逾期不补正", "不补正"), "other.no_correction"),
    (("缴纳费用", "收费通知"), "other.unpaid_fee"),
)
_NUMBERED_OTHER = re.compile(r"^\(?\d+\)?[.、]?其[他它]$")


@lru_cache(maxsize=16384)
def application_row(t: str, group: str | None) -> str | None:
    """The canonical row of an outcome label (given the group label above it), or None."""
    if len(t) > 60:
        return None
    for needles, row in _APPLICATION_ROWS:
        if any(n in t for n in needles):
            return row
    if "予以公开" in t and "不予" not in t:
        return "granted"
    if _NUMBERED_OTHER.match(t) and group == GROUP_OTHER:
        return "other.other"
    if "(七)" in t and ("总计" in t or "合计" in t):
        return "total"
    return None


@lru_cache(maxsize=16384)
def application_group(t: str) -> str | None:
    if len(t) > 16:
        return None
    if "办理结果" in t:
        return GROUP_RESULTS
    if "不予公开" in t:
        return GROUP_WITHHELD
    if "无法提供" in t:
        return GROUP_UNAVAILABLE
    if "不予处理" in t:
        return GROUP_NOT_PROCESSED
    if "其他处理" in t or "其它处理" in t:
        return GROUP_OTHER
    return None


# -- 行政复议、行政诉讼 ---------------------------------------------------------------

APPEAL_GROUPS = ("review", "litigation_direct", "litigation_after_review")
APPEAL_OUTCOMES = ("upheld", "corrected", "other", "pending", "total")
LITIGATION = "litigation"  # 行政诉讼: a header over the two litigation groups


@lru_cache(maxsize=16384)
def appeal_group(t: str) -> str | None:
    if len(t) > 12:
        return None
    if "直接起诉" in t:
        return "litigation_direct"
    if "复议后起诉" in t:
        return "litigation_after_review"
    if t == "行政复议" or t == "复议":
        return "review"
    if t == "行政诉讼" or t == "诉讼":
        return LITIGATION
    return None


@lru_cache(maxsize=16384)
def appeal_outcome(t: str) -> str | None:
    if len(t) > 8:
        return None
    if "维持" in t or t.endswith("维"):
        return "upheld"
    if "纠正" in t or t.endswith("纠"):
        return "corrected"
    if t.startswith("其他") or t.startswith("其它"):
        return "other"
    if "尚未" in t or "审结" in t:
        return "pending"
    if t in ("总计", "合计", "小计"):
        return "total"
    return None
