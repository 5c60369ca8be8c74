"""A report with known values, laid out as the official template's three tables.

Everything here is written from the templates (国办公开办函〔2019〕60号 and 〔2021〕30号),
not from ``parsers``: the corpus must be an independent statement of what a report says.
Values are drawn so every accounting identity holds, then a report may break one on
purpose (recorded in ``violations``); cells a quirk leaves empty are expected as None.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

APPLICANTS = ("natural_person", "commercial", "research", "social_welfare", "legal_service",
              "other_org")
ORG_LABELS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")

# (agency, province, city, district, division code)
AGENCIES = (
    ("天津市东丽区人力资源和社会保障局", "天津市", None, "东丽区", "120110"),
    ("枣庄市台儿庄区人力资源和社会保障局", "山东省", "枣庄市", "台儿庄区", "370405"),
    ("朔州市平鲁区人力资源和社会保障局", "山西省", "朔州市", "平鲁区", "140603"),
    ("杭州市西湖区卫生健康局", "浙江省", "杭州市", "西湖区", "330106"),
    ("成都市武侯区住房和城乡建设局", "四川省", "成都市", "武侯区", "510107"),
    ("广州市天河区市场监督管理局", "广东省", "广州市", "天河区", "440106"),
    ("西安市雁塔区教育局", "陕西省", "西安市", "雁塔区", "610113"),
    ("北京市海淀区财政局", "北京市", None, "海淀区", "110108"),
    ("上海市浦东新区民政局", "上海市", None, "浦东新区", "310115"),
    ("重庆市渝中区司法局", "重庆市", None, "渝中区", "500103"),
    ("武汉市江岸区交通运输局", "湖北省", "武汉市", "江岸区", "420102"),
    ("贵阳市南明区生态环境局", "贵州省", "贵阳市", "南明区", "520102"),
    # Special areas that administer as a county: their own name stands without the city's.
    ("平潭综合实验区财政金融局", "福建省", "福州市", "平潭综合实验区", "350128"),
    ("青岛西海岸新区教育和体育局", "山东省", "青岛市", "青岛西海岸新区", "370211"),
    ("郑州航空港经济综合实验区财政局", "河南省", "郑州市", "郑州航空港经济综合实验区", "410173"),
)

# Outcome rows of 三、本年度办理结果: (group label, [(sub-row label, short label, key)]).
_WITHHELD = [("1.属于国家秘密", "1.国家秘密", "withheld.state_secret"),
             ("2.其他法律行政法规禁止公开", "2.法律法规禁止公开", "withheld.prohibited_by_law"),
             ("3.危及“三安全一稳定”", "3.危及“三安全一稳定”", "withheld.security_stability"),
             ("4.保护第三方合法权益", "4.保护第三方合法权益", "withheld.third_party"),
             ("5.属于三类内部事务信息", "5.内部事务信息", "withheld.internal_affairs"),
             ("6.属于四类过程性信息", "6.过程性信息", "withheld.process_info"),
             ("7.属于行政执法案卷", "7.行政执法案卷", "withheld.enforcement_file"),
             ("8.属于行政查询事项", "8.行政查询事项", "withheld.admin_query")]
_UNAVAILABLE = [("1.本机关不掌握相关政府信息", "1.本机关不掌握", "unavailable.not_held"),
                ("2.没有现成信息需要另行制作", "2.需要另行制作", "unavailable.needs_creation"),
                ("3.补正后申请内容仍不明确", "3.补正后仍不明确", "unavailable.unclear")]
_NOT_PROCESSED = [("1.信访举报投诉类申请", "1.信访举报投诉", "not_processed.petition"),
                  ("2.重复申请", "2.重复申请", "not_processed.duplicate"),
                  ("3.要求提供公开出版物", "3.公开出版物", "not_processed.publication"),
                  ("4.无正当理由大量反复申请", "4.大量反复申请", "not_processed.excessive"),
                  ("5.要求行政机关确认或重新出具已获取信息", "5.确认或重新出具",
                   "not_processed.confirmation")]
_OTHER_2021 = [("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                "1.逾期不补正", "other.no_correction"),
               ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                "2.逾期未缴纳费用", "other.unpaid_fee"),
               ("3.其他", "3.其他", "other.other")]

APPEAL_GROUPS = ("review", "litigation_direct", "litigation_after_review")
APPEAL_OUTCOMES = (("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"),
                   ("pending", "尚未审结"), ("total", "总计"))


@dataclass
class Cell:
    """A template cell: a label, or the printed value of a key."""

    text: str = ""
    key: str | None = None
    colspan: int = 1
    rowspan: int = 1
    header: bool = False


Row = list[Cell]


@dataclass
class Spec:
    """One report to render: its values, layout choices and the answer key."""

    id: str
    form: str
    fmt: str  # "2019" | "2021"
    agency: tuple
    year: int
    values: dict[str, int | float]  # every key of the format, as drawn
    printed: dict[str, str] = field(default_factory=dict)  # key -> text in the cell
    expected: dict[str, int | float | None] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    quirks: set[str] = field(default_factory=set)
    published: str = ""
    misprinted: list[str] = field(default_factory=list)  # row labels printed with a misprint


def outcome_rows(fmt: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    groups = [("（三）不予公开", list(_WITHHELD)), ("（四）无法提供", list(_UNAVAILABLE)),
              ("（五）不予处理", list(_NOT_PROCESSED))]
    if fmt == "2021":
        groups.append(("（六）其他处理", list(_OTHER_2021)))
    return groups


def application_rows(fmt: str) -> list[str]:
    rows = ["received", "carried_over", "granted", "partially_granted"]
    rows += [key for _g, subs in outcome_rows(fmt) for _l, _s, key in subs]
    if fmt == "2019":
        rows.append("other.all")
    return rows + ["total", "carried_forward"]


def draw(rng: random.Random, fmt: str, big: bool = False) -> dict[str, int | float]:
    """Values for every key of the format, with all identities holding."""
    v: dict[str, int | float] = {}
    if fmt == "2021":
        for row in ("rules", "normative_docs"):
            for col in ("issued", "repealed", "in_force"):
                v[f"active.{row}.{col}"] = rng.choice([0, 0, 1, 3, 12, 41])
        for row in ("licensing", "penalty", "coercion"):
            v[f"active.{row}.decisions"] = rng.choice([0, 2, 17, 356, 1309, 24871])
        v["active.fees.amount"] = rng.choice([0, 0, 29.313, 1.5, 120.08])
    else:
        for row in ("rules", "normative_docs"):
            for col in ("made", "published", "total"):
                v[f"active.{row}.{col}"] = rng.choice([0, 0, 1, 5, 23])
        for row in ("licensing", "other_services", "penalty", "coercion"):
            v[f"active.{row}.prev_items"] = rng.choice([0, 3, 14, 120])
            v[f"active.{row}.change"] = rng.choice([0, 0, 3, -14, -4, 2])
            v[f"active.{row}.decisions"] = rng.choice([0, 7, 256, 1309])
        v["active.fees.prev_items"] = rng.choice([0, 2, 5])
        v["active.fees.change"] = rng.choice([0, -1, 1])
        v["active.procurement.items"] = rng.choice([0, 3, 12])
        v["active.procurement.amount"] = rng.choice([0, 15.2, 1024.5])
    outcomes = [r for r in application_rows(fmt)
                if r not in ("received", "carried_over", "total", "carried_forward")]
    scale = 400 if big else 4
    for col in APPLICANTS:
        per = {r: (rng.randint(0, scale) if rng.random() < 0.35 else 0) for r in outcomes}
        total = sum(per.values())
        forward = rng.randint(0, 2)
        carried = rng.randint(0, forward + 1)
        received = total + forward - carried
        if received < 0:
            forward -= received
            received = 0
        for r, n in per.items():
            v[f"applications.{r}.{col}"] = n
        v[f"applications.total.{col}"] = total
        v[f"applications.received.{col}"] = received
        v[f"applications.carried_over.{col}"] = carried
        v[f"applications.carried_forward.{col}"] = forward
    for r in application_rows(fmt):
        v[f"applications.{r}.total"] = sum(v[f"applications.{r}.{c}"] for c in APPLICANTS)
    for g in APPEAL_GROUPS:
        parts = {o: rng.choice([0, 0, 0, 1, 2]) for o, _ in APPEAL_OUTCOMES[:4]}
        for o, n in parts.items():
            v[f"appeals.{g}.{o}"] = n
        v[f"appeals.{g}.total"] = sum(parts.values())
    return v


# -- the three tables as rows of cells ---------------------------------------------------


def active_table(fmt: str, short: bool) -> list[Row]:
    def block(item: str, headers: list[str], rows: list[tuple[str, str, list[str]]]) -> list[Row]:
        out = [[Cell(f"第二十条第（{item}）项", colspan=4, header=True)]]
        pad = 4 - (1 + len(headers))
        head = [Cell("信息内容", header=True)] + [Cell(h, header=True) for h in headers]
        head[-1].colspan += pad
        out.append(head)
        for label, prefix, cols in rows:
            row = [Cell(label)] + [Cell(key=f"active.{prefix}.{c}") for c in cols]
            row[-1].colspan += pad
            out.append(row)
        return out

    if fmt == "2021":
        return (block("一", ["本年制发件数", "本年废止件数", "现行有效件数"],
                      [("规章", "rules", ["issued", "repealed", "in_force"]),
                       ("行政规范性文件", "normative_docs", ["issued", "repealed", "in_force"])])
                + block("五", ["本年处理决定数量"], [("行政许可", "licensing", ["decisions"])])
                + block("六", ["本年处理决定数量"], [("行政处罚", "penalty", ["decisions"]),
                                                   ("行政强制", "coercion", ["decisions"])])
                + block("八", ["本年收费金额（单位：万元）"],
                        [("行政事业性收费", "fees", ["amount"])]))
    services = ["prev_items", "change", "decisions"]
    heads = ["上一年项目数量", "本年增/减", "处理决定数量"]
    return (block("一", ["本年新制作数量", "本年新公开数量", "对外公开总数量"],
                  [("规章", "rules", ["made", "published", "total"]),
                   ("规范性文件", "normative_docs", ["made", "published", "total"])])
            + block("五", heads, [("行政许可", "licensing", services),
                                  ("其他对外管理服务事项", "other_services", services)])
            + block("六", heads, [("行政处罚", "penalty", services),
                                  ("行政强制", "coercion", services)])
            + block("八", heads[:2], [("行政事业性收费", "fees", ["prev_items", "change"])])
            + block("九", ["采购项目数量", "采购总金额"],
                    [("政府集中采购", "procurement", ["items", "amount"])]))


def application_header(subtotal: bool) -> list[Row]:
    org = len(ORG_LABELS) + (1 if subtotal else 0)
    labels = list(ORG_LABELS) + (["小计"] if subtotal else [])
    return [
        [Cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", colspan=3,
              rowspan=3, header=True), Cell("申请人情况", colspan=org + 2, header=True)],
        [Cell("自然人", rowspan=2, header=True),
         Cell("法人或其他组织", colspan=org, header=True), Cell("总计", rowspan=2, header=True)],
        [Cell(label, header=True) for label in labels],
    ]


def application_table(fmt: str, short: bool, subtotal: bool, rng: random.Random | None,
                      drop: set[str], extra: bool) -> list[Row]:
    """The body rows (header separate); ``rng`` shuffles sub-rows within their group."""

    def values(row: str) -> list[Cell]:
        cells = [Cell(key=f"applications.{row}.natural_person")]
        cells += [Cell(key=f"applications.{row}.{c}") for c in APPLICANTS[1:]]
        if subtotal:
            cells.append(Cell(key=f"subtotal:{row}"))
        return cells + [Cell(key=f"applications.{row}.total")]

    received = "一、本年新收申请数量" if short else "一、本年新收政府信息公开申请数量"
    carried = "二、上年结转申请数量" if short else "二、上年结转政府信息公开申请数量"
    rows: list[Row] = [[Cell(received, colspan=3)] + values("received"),
                       [Cell(carried, colspan=3)] + values("carried_over")]
    if extra:
        rows.append([Cell("其中：网上申请", colspan=3)] + [Cell("1") for _ in values("x")])
    results: list[Row] = [
        [Cell("（一）予以公开", colspan=2)] + values("granted"),
        [Cell("（二）部分公开" if short else
              "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", colspan=2)]
        + values("partially_granted"),
    ]
    for group, subs in outcome_rows(fmt):
        subs = [s for s in subs if s[2] not in drop]
        if rng:
            rng.shuffle(subs)
        for n, (label, short_label, key) in enumerate(subs):
            row = [Cell(short_label if short else label)] + values(key)
            if n == 0:
                row.insert(0, Cell(group, rowspan=len(subs)))
            results.append(row)
    if fmt == "2019":
        results.append([Cell("（六）其他处理", colspan=2)] + values("other.all"))
    results.append([Cell("（七）总计", colspan=2)] + values("total"))
    results[0].insert(0, Cell("三、本年度办理结果", rowspan=len(results)))
    rows += results
    rows.append([Cell("四、结转下年度继续办理", colspan=3)] + values("carried_forward"))
    return rows


def appeals_table() -> list[Row]:
    outcomes = [Cell(label, header=True) for _k, label in APPEAL_OUTCOMES]
    return [
        [Cell("行政复议", colspan=5, header=True), Cell("行政诉讼", colspan=10, header=True)],
        [Cell(label, rowspan=2, header=True) for _k, label in APPEAL_OUTCOMES]
        + [Cell("未经复议直接起诉", colspan=5, header=True),
           Cell("复议后起诉", colspan=5, header=True)],
        [Cell(c.text, header=True) for c in outcomes]
        + [Cell(c.text, header=True) for c in outcomes],
        [Cell(key=f"appeals.{g}.{o}") for g in APPEAL_GROUPS for o, _l in APPEAL_OUTCOMES],
    ]
