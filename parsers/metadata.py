"""Agency, statistics year, publication date and region of a report.

Sources are tried in order of trust: the title, the breadcrumb, the body, the signature
at the end, and last the hints the crawl configuration gives.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from .document import Document
from .regions import Region, divisions
from .text import clean, has_cjk

# Short names portals use in titles, and the full names reports are filed under.
ABBREVIATIONS = {
    "人社局": "人力资源和社会保障局",
    "发改委": "发展和改革委员会",
    "发改局": "发展和改革局",
    "住建局": "住房和城乡建设局",
    "住建委": "住房和城乡建设委员会",
    "卫健委": "卫生健康委员会",
    "卫健局": "卫生健康局",
    "市场监管局": "市场监督管理局",
    "规资局": "规划和自然资源局",
    "交通局": "交通运输局",
    "文旅局": "文化和旅游局",
    "教体局": "教育和体育局",
}
# The standard names of local government departments (the State Council's institutional
# reform's names, as counties and cities use them): what an OCR'd agency name is read
# against, since a misread character leaves it close to exactly one of them.
DEPARTMENTS = (*ABBREVIATIONS.values(), "人民政府办公室", "财政局", "司法局", "教育局",
               "公安局", "民政局", "生态环境局", "自然资源局", "农业农村局", "水利局",
               "商务局", "审计局", "统计局", "医疗保障局", "应急管理局", "退役军人事务局",
               "城市管理局", "林业局", "科学技术局", "工业和信息化局", "文化广电旅游局",
               "文化广电和旅游局", "行政审批局", "行政审批服务局", "数据资源管理局",
               "信访局", "粮食和物资储备局", "体育局", "乡村振兴局", "民族宗教事务局",
               "机关事务管理局", "国有资产监督管理委员会", "卫生健康委员会", "教育委员会",
               "市场监督管理委员会", "交通运输委员会", "人民政府")
_AGENCY_END = re.compile(
    r"(局|委员会|委|办公室|人民政府|政府|法院|检察院|中心|厅|署|办|院|馆|站|队|街道办事处|管委会|所)$")
_REPORT_PHRASE = re.compile(r"(\d{4}\s*年度?)?\s*(政府信息公开|政务公开|信息公开)")
_LEADING_YEAR = re.compile(r"^\d{4}\s*年度?")
_TITLE_YEAR = re.compile(r"(\d{4})\s*年度?\s*(?:政府信息公开|政务公开|信息公开)")
_ANY_YEAR = re.compile(r"(20\d{2}|19\d{2})\s*年")
_PERIOD_YEAR = re.compile(r"统计(?:期限|时间|期间|周期|区间)?[^。]{0,16}?(20\d{2})")
_CN_DATE = re.compile(r"(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_PACKED_DATE = re.compile(r"(?<!\d)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)")


@dataclass
class Hints:
    """What the crawl knows about a document before parsing it."""

    agency: str | None = None  # from the portal config
    title: str | None = None  # the link text that led here
    published: str | None = None


@dataclass
class Metadata:
    title: str | None
    agency: str | None
    region: Region | None
    year: int | None
    published: str | None


def title_of(doc: Document, hints: Hints | None = None) -> str | None:
    """The document's own title, else one its first paragraph states, else the link text
    that led to it."""
    title = doc.title if doc.title and has_cjk(doc.title) else None
    if title and ("。" in title or len(title) > 80):
        title = body_title([title])  # a sentence that holds the title, not a title line
    return title or body_title(doc.lines) or (clean(hints.title) if hints and hints.title
                                              else None)


# A report's title inside a sentence (现将北京市海淀区财政局2023年政府信息公开工作年度报告公布如下).
_TITLE_IN_TEXT = re.compile(
    r"([\u4e00-\u9fff（）()]{0,40}?)(\d{4}\s*年度?\s*(?:政府信息公开|政务公开|信息公开)"
    r"(?:工作)?(?:年度)?报告)")
_LEADING_VERB = re.compile(r"^(?:现将|现|特将|兹将|兹|将|特|根据|按照|本报告|本|是|为|即)")
# Who the body says compiled the report (本报告由XX根据《条例》编制).
_COMPILED_BY = re.compile(
    r"由\s*([\u4e00-\u9fff（）()]{3,40}?)\s*(?:根据|依据|按照|依照|负责|组织|编制|编写|制作|发布)")
# Lines of a page's footer, which no signature is: 版权所有、主办单位、备案号 …
_FOOTER = re.compile(r"(版权所有|主办|承办|协办|技术支持|网站标识码|ICP|备案|公网安备|联系我们|"
                     r"网站地图|Copyright|©)", re.I)


def body_title(lines: list[str]) -> str | None:
    """A report title stated in the first paragraphs, when the document prints none."""
    for line in lines[:12]:
        match = _TITLE_IN_TEXT.search(line)
        if match:
            prefix = re.split(r"[，。、《“：:；;\s]", match[1])[-1]
            prefix = _LEADING_VERB.sub("", prefix)
            # Only an agency's name belongs to the title (not 由XX编制的 before it).
            return (prefix if _AGENCY_END.search(prefix) else "") + match[2]
    return None


def _agency_from_body(lines: list[str]) -> str | None:
    for line in lines[:12]:
        match = _COMPILED_BY.search(line)
        if match and _AGENCY_END.search(match[1]):
            return match[1]
    return None


def extract(doc: Document, hints: Hints | None = None, *, title: str | None = None,
            locate: bool = True) -> Metadata:
    """``title``: `title_of` the document, when the caller has it already. ``locate=False``
    skips the region search (pages that are not reports need none)."""
    hints = hints or Hints()
    title = title if title is not None else title_of(doc, hints)
    signature = doc.lines[-8:]
    publisher = doc.publisher if doc.publisher and _AGENCY_END.search(doc.publisher) else None
    # The report's own words first (title, 由XX编制, signature), then the page's metadata.
    agency = (_agency_from_title(title) or _agency_from_body(doc.lines)
              or _agency_from_signature(signature) or publisher
              or _agency_from_crumb(doc.breadcrumb)
              or (clean(hints.agency) if hints.agency else None))
    agency = _expand(agency) if agency else None
    region = None
    sources = (agency, title, publisher, doc.breadcrumb, "\n".join(doc.lines[:40]),
               "\n".join(signature), hints.agency) if locate else ()
    for source in sources:
        if source:
            region = divisions().find(source)
            if region:
                break
    if agency and region:
        agency = _qualify(agency, region)
    published = doc.published or hints.published or _signature_date(signature)
    return Metadata(title=title, agency=agency, region=region,
                    year=_year(title, doc.lines, published), published=published)


def _agency_from_title(title: str | None) -> str | None:
    if not title:
        return None
    match = _REPORT_PHRASE.search(title)
    name = title[: match.start()] if match else title
    name = _LEADING_YEAR.sub("", name).strip(" ：:-—")
    return name if 2 < len(name) <= 40 and _AGENCY_END.search(name) else None


def _agency_from_crumb(crumb: str | None) -> str | None:
    """The deepest breadcrumb step that names an agency (首页 > 部门 > XX区财政局 > 年报)."""
    steps = re.split(r"\s*(?:>|＞|»|›|→|/)\s*", crumb or "")
    return next((s for s in reversed(steps)
                 if 3 < len(s) <= 40 and _AGENCY_END.search(s) and "首页" not in s), None)


def _agency_from_signature(lines: list[str]) -> str | None:
    for line in reversed(lines):
        if _FOOTER.search(line):
            continue
        candidate = line.split()[-1].strip("?？ ") if line.split() else ""
        if 3 < len(candidate) <= 40 and has_cjk(candidate) and _AGENCY_END.search(candidate):
            return candidate
    return None


def mend_read_agency(agency: str | None) -> str | None:
    """An agency name read by OCR, its department part read against the standard names:
    a character misread, dropped or added (市场监1督管理局) leaves it one edit from exactly
    one standard name, which it then takes; a name close to none, or to several, stays as
    read. Only for OCR'd text: a typed name is what the document says."""
    if not agency:
        return agency
    if any(agency.endswith(d) for d in DEPARTMENTS):
        return agency
    near: dict[str, tuple[int, int]] = {}  # standard name -> (cut, distance)
    for name in DEPARTMENTS:
        if len(name) < 5:  # one edit in a short name is another name (财政局, 民政局)
            continue
        for cut in range(len(name) - 1, len(name) + 2):
            if cut >= len(agency):
                continue
            distance = Levenshtein.distance(agency[-cut:], name, score_cutoff=1)
            if distance <= 1 and (name not in near or distance < near[name][1]):
                near[name] = (cut, distance)
    if len(near) != 1:
        return agency
    ((name, (cut, _distance)),) = near.items()
    return agency[:-cut] + name


def _expand(agency: str) -> str:
    for short, full in ABBREVIATIONS.items():
        if agency.endswith(short):
            return agency[: -len(short)] + full
    return agency


def _qualify(agency: str, region: Region) -> str:
    """Name the agency the way reports are filed: city (or province) + district + unit."""
    if not region.district or region.district not in agency:
        return agency
    rest = agency[agency.index(region.district):]
    prefix = region.city or region.province or ""
    if region.special or rest.startswith(prefix[:2]):
        return rest  # a name that stands alone (平潭综合实验区…, 郑州航空港…)
    return prefix + rest


def _year(title: str | None, lines: list[str], published: str | None) -> int | None:
    if title:
        match = _TITLE_YEAR.search(title) or _ANY_YEAR.search(title)
        if match:
            return int(match.group(1))
    body = "\n".join(lines[:60])
    match = _PERIOD_YEAR.search(body)
    if match:
        return int(match.group(1))
    years = Counter(int(y) for y in _ANY_YEAR.findall(body))
    if years:
        return years.most_common(1)[0][0]
    if published:
        year, month = int(published[:4]), int(published[5:7])
        return year - 1 if month <= 6 else year
    return None


def _signature_date(lines: list[str]) -> str | None:
    """The date under the signature: a line holding nothing but a date."""
    for line in reversed(lines):
        line = line.strip("?？ ")
        match = _CN_DATE.fullmatch(line) or _PACKED_DATE.fullmatch(line)
        if match:
            return f"{int(match[1]):04d}-{int(match[2]):02d}-{int(match[3]):02d}"
    return None
