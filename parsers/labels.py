"""What a label cell means: which section, row or column of the official tables.

Every function takes the matching form of a label (`text.label_key`) and answers by
meaning, so line breaks inside labels, abbreviations, traditional script and numbering
variants all land on the same canonical name. Answers are cached: the same labels recur
in every report.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from .text import label_key

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


# -- labels that survive print: whole-template matching ---------------------------------
#
# The needles above find a row by the words that set it apart. A printed label may lose
# one of those words to a misprint (其他法律行政止公开) or have it cut by a line break. Then
# the label is compared with the template's own labels by edit distance (rapidfuzz's
# Levenshtein: C++, ~1 µs a pair), and taken only when exactly one template row is close
# and the row sits where the template puts it. Anything less certain is reported, never
# guessed.

# The template's row labels per table, in template order, with the block each belongs to
# (a block is a run of rows that may be printed in any order: the numbered sub-rows of a
# group). Full and short forms of a label are alternatives for the same row.
_TEMPLATE_ROWS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    ACTIVE: (
        ("rules", "rules", ("规章",)),
        ("normative_docs", "normative_docs", ("规范性文件", "行政规范性文件")),
        ("licensing", "licensing", ("行政许可",)),
        ("other_services", "other_services", ("其他对外管理服务事项",)),
        ("penalty", "penalty", ("行政处罚",)),
        ("coercion", "coercion", ("行政强制",)),
        ("fees", "fees", ("行政事业性收费",)),
        ("procurement", "procurement", ("政府集中采购",)),
    ),
    APPLICATIONS: (
        ("received", "received", ("本年新收政府信息公开申请数量", "本年新收申请数量")),
        ("carried_over", "carried_over", ("上年结转政府信息公开申请数量", "上年结转申请数量")),
        ("granted", "granted", ("予以公开",)),
        ("partially_granted", "partially_granted",
         ("部分公开区分处理的只计这一情形不计其他情形", "部分公开")),
        ("withheld.state_secret", GROUP_WITHHELD, ("属于国家秘密", "国家秘密")),
        ("withheld.prohibited_by_law", GROUP_WITHHELD,
         ("其他法律行政法规禁止公开", "法律法规禁止公开")),
        ("withheld.security_stability", GROUP_WITHHELD, ("危及三安全一稳定",)),
        ("withheld.third_party", GROUP_WITHHELD, ("保护第三方合法权益",)),
        ("withheld.internal_affairs", GROUP_WITHHELD, ("属于三类内部事务信息", "内部事务信息")),
        ("withheld.process_info", GROUP_WITHHELD, ("属于四类过程性信息", "过程性信息")),
        ("withheld.enforcement_file", GROUP_WITHHELD, ("属于行政执法案卷", "行政执法案卷")),
        ("withheld.admin_query", GROUP_WITHHELD, ("属于行政查询事项", "行政查询事项")),
        ("unavailable.not_held", GROUP_UNAVAILABLE, ("本机关不掌握相关政府信息", "本机关不掌握")),
        ("unavailable.needs_creation", GROUP_UNAVAILABLE,
         ("没有现成信息需要另行制作", "需要另行制作")),
        ("unavailable.unclear", GROUP_UNAVAILABLE, ("补正后申请内容仍不明确", "补正后仍不明确")),
        ("not_processed.petition", GROUP_NOT_PROCESSED, ("信访举报投诉类申请", "信访举报投诉")),
        ("not_processed.duplicate", GROUP_NOT_PROCESSED, ("重复申请",)),
        ("not_processed.publication", GROUP_NOT_PROCESSED, ("要求提供公开出版物", "公开出版物")),
        ("not_processed.excessive", GROUP_NOT_PROCESSED,
         ("无正当理由大量反复申请", "大量反复申请")),
        ("not_processed.confirmation", GROUP_NOT_PROCESSED,
         ("要求行政机关确认或重新出具已获取信息", "确认或重新出具")),
        ("other.no_correction", GROUP_OTHER,
         ("申请人无正当理由逾期不补正行政机关不再处理其政府信息公开申请", "逾期不补正")),
        ("other.unpaid_fee", GROUP_OTHER,
         ("申请人逾期未按收费通知要求缴纳费用行政机关不再处理其政府信息公开申请",
          "逾期未缴纳费用")),
        ("other.other", GROUP_OTHER, ("其他",)),
        ("other.all", "other.all", ("其他处理",)),
        ("total", "total", ("总计",)),
        ("carried_forward", "carried_forward", ("结转下年度继续办理",)),
    ),
}
_BLOCK_ORDER = {table: {block: n for n, block in enumerate(dict.fromkeys(b for _r, b, _l in rows))}
                for table, rows in _TEMPLATE_ROWS.items()}
_ROW_BLOCK = {table: {row: block for row, block, _l in rows}
              for table, rows in _TEMPLATE_ROWS.items()}
# The number a sub-row prints before its label (2.其他法律行政法规禁止公开): its place in its group.
_ROW_NUMBER = {row: n for group in (GROUP_WITHHELD, GROUP_UNAVAILABLE, GROUP_NOT_PROCESSED,
                                    GROUP_OTHER)
               for n, row in enumerate((r for r, b, _l in _TEMPLATE_ROWS[APPLICATIONS]
                                        if b == group), start=1)}
# Leading numbering of a printed label: 一、 (一) 1. 1、 ①
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\(?[一二三四五六七八九十]+\)|"
                        r"\(?(\d{1,2})\)?[.、]?(?=\D)|[①-⑩])")
_NOT_WORD = re.compile(r"[^\u4e00-\u9fff0-9A-Za-z]")
_GROUPS = (GROUP_WITHHELD, GROUP_UNAVAILABLE, GROUP_NOT_PROCESSED, GROUP_OTHER)
FUZZY_SHARE = 0.25  # at most this share of a label's characters may be misprinted
MIN_FUZZY = 4  # labels shorter than this (in characters, numbering left out) are not guessed


@dataclass(frozen=True)
class LabelMatch:
    """What a printed row label means: ``row`` (a canonical row of ``table``), or None with
    ``why`` and the template rows it was close to (``near``)."""

    row: str | None
    how: str  # "exact" | "edit-distance" | "ambiguous" | "out-of-place" | "none"
    near: tuple[str, ...] = ()
    why: str = ""


def _core(t: str) -> tuple[str, int | None]:
    """A label without its leading numbering and punctuation, and the sub-row number it
    printed (2. in 2.其他法律…), if any."""
    match = _NUMBERING.match(t)
    number = int(match.group(1)) if match and match.group(1) else None
    rest = t[match.end():] if match else t
    return _NOT_WORD.sub("", rest), number


@lru_cache(maxsize=16384)
def _fuzzy(table: str, t: str) -> tuple[int | None, tuple[tuple[int, str], ...]]:
    """The sub-row number a label prints, and the template rows close to the rest of it."""
    core, number = _core(t)
    return number, (_close_rows(table, core) if len(core) >= MIN_FUZZY else ())


def _close_rows(table: str, core: str) -> tuple[tuple[int, str], ...]:
    """(distance, row) for every template row within the misprint allowance, closest first."""
    out: dict[str, int] = {}
    for row, _block, forms in _TEMPLATE_ROWS[table]:
        for form in forms:
            allowance = max(1, int(FUZZY_SHARE * max(len(form), len(core))))
            if abs(len(form) - len(core)) > allowance:
                continue
            distance = Levenshtein.distance(core, form, score_cutoff=allowance)
            if distance <= allowance and distance < out.get(row, allowance + 1):
                out[row] = distance
    return tuple(sorted((d, r) for r, d in out.items()))


def match_row(table: str, text: str, group: str | None = None, *, after: str | None = None,
              taken: Collection[str] = ()) -> LabelMatch:
    """The template row a printed label names, in ``table`` (ACTIVE or APPLICATIONS).

    ``text`` is the label as printed (any white space, line breaks, numbering, traditional
    script); ``group`` the group label in force above it (GROUP_WITHHELD …), ``after`` the
    row matched last in the same table and ``taken`` the rows already read: a label read
    by edit distance must name a row not yet taken, in the current group, at or just after
    the block of ``after`` in template order, and with the sub-row number it prints. Exact
    matches (by the words that set a row apart) need none of that.
    """
    t = label_key(text)
    exact = application_row(t, group) if table == APPLICATIONS else active_row(t)
    if exact:
        return LabelMatch(exact, "exact")
    if table not in _TEMPLATE_ROWS:
        return LabelMatch(None, "none")
    number, close = _fuzzy(table, t)
    if not close:
        return LabelMatch(None, "none")
    near = tuple(r for _d, r in close)
    if len(close) > 1 and close[1][0] <= close[0][0] + 1:
        # as close (or one edit less close) to another row: which one is a guess
        return LabelMatch(None, "ambiguous", near, "close to more than one template row")
    row = close[0][1]
    blocks, block_of = _BLOCK_ORDER[table], _ROW_BLOCK[table]
    block = block_of[row]
    if row in taken:
        return LabelMatch(None, "out-of-place", near, f"{row} was read already")
    if number is not None and _ROW_NUMBER.get(row, number) != number:
        return LabelMatch(None, "out-of-place", near, f"{row} is not sub-row {number}")
    if block in _GROUPS and group == block:
        return LabelMatch(row, "edit-distance", near)  # under its own group label
    if block in _GROUPS and group is not None and group in _GROUPS:
        return LabelMatch(None, "out-of-place", near, f"{row} is not a row of the group above")
    previous = blocks[block_of[after]] if after in block_of else -1
    if not previous <= blocks[block] <= previous + 2:
        return LabelMatch(None, "out-of-place", near, f"{row} is out of template order")
    return LabelMatch(row, "edit-distance", near)
