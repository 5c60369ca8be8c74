"""PNG charts of the collected database, drawn with matplotlib (Agg, no display).

Chinese labels need a CJK font: the set-up installs ``fonts-wqy-zenhei`` (tools/system-deps.sh)
and we use the first of the known CJK families matplotlib can find.
"""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
# findfont reports every weight it substitutes; the substitution is fine.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

from matplotlib import font_manager  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from sqlalchemy import Connection  # noqa: E402

from nianbao.store.questions import Query  # noqa: E402
from nianbao.store.rates import APPEAL_GROUPS, OUTCOMES, YearRow, yearly  # noqa: E402

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                "WenQuanYi Micro Hei", "Droid Sans Fallback", "AR PL UMing CN")
CHARTS = ("received", "outcomes", "corrections")
OUTCOME_COLOURS = ("#2e7d32", "#9ccc65", "#c62828", "#ef6c00", "#8e24aa", "#90a4ae")


def cjk_font() -> str | None:
    """The first CJK font family installed, or None (Chinese text would show as boxes)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


def _figure(title: str):
    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["axes.unicode_minus"] = False
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    ax.set_title(title)
    return fig, ax


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def _empty(ax, message: str = "没有数据 / no data") -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_received(rows: list[YearRow], region_label: str, path: Path) -> Path:
    fig, ax = _figure(f"{region_label} 新收政府信息公开申请 / applications received")
    data = [r for r in rows if r.received is not None]
    if not data:
        _empty(ax)
    else:
        years = [str(r.year) for r in data]
        bars = ax.bar(years, [r.received for r in data], color="#1565c0")
        ax.bar_label(bars, labels=[f"{r.received:g}\n({r.reports} 份报告)" for r in data],
                     fontsize=8)
        ax.set_xlabel("年度 / year")
        ax.set_ylabel("申请数 / applications")
        ax.margins(y=0.2)
    return _save(fig, path)


def plot_outcomes(rows: list[YearRow], region_label: str, path: Path) -> Path:
    fig, ax = _figure(f"{region_label} 办理结果构成 / outcome mix")
    # A year whose reports print no (or a zero) 三(七)总计 has no shares: no bar, not a
    # bar made up from the outcome rows.
    data = [r for r in rows if any(v is not None for v in r.shares.values())]
    if not data:
        _empty(ax, "没有办理结果总计 / no printed totals")
    else:
        years = [str(r.year) for r in data]
        bottom = [0.0] * len(data)
        for (outcome, label), colour in zip(OUTCOMES, OUTCOME_COLOURS, strict=True):
            shares = [r.shares[outcome] or 0.0 for r in data]
            ax.bar(years, shares, bottom=bottom, color=colour, label=f"{label} {outcome}")
            bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
        ax.set_ylim(0, max(1.0, *bottom))
        ax.set_ylabel("占办理结果总计比例 / share of 三(七)总计")
        ax.set_xlabel("年度 / year")
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _save(fig, path)


def plot_corrections(rows: list[YearRow], region_label: str, path: Path) -> Path:
    fig, ax = _figure(f"{region_label} 复议、诉讼纠正率 / correction rate")
    width = 0.25
    plotted = False
    for i, (group, label) in enumerate(APPEAL_GROUPS):
        points = [(r.year, r.rates[group], r.appeals[group])
                  for r in rows if r.rates[group] is not None]
        if not points:
            continue
        plotted = True
        xs = [p[0] + (i - 1) * width for p in points]
        bars = ax.bar(xs, [p[1] for p in points], width=width, label=label)
        ax.bar_label(bars, labels=[f"{c:g}/{d:g}" for _, _, (c, d) in points], fontsize=8)
    if not plotted:
        _empty(ax, "没有已审结的复议或诉讼 / no decided appeals")
    else:
        years = sorted({r.year for r in rows})
        ax.set_xticks(years, [str(y) for y in years])
        ax.set_ylim(0, 1.1)
        ax.set_ylabel("纠正 / (总计 - 尚未审结)")
        ax.set_xlabel("年度 / year")
        ax.legend(fontsize=8)
    return _save(fig, path)


def draw(connection: Connection, query: Query, out_dir: Path,
         charts: tuple[str, ...] = CHARTS, table: str = "report_rates") -> list[Path]:
    """Draw the charts named for the reports the query's filters select; the PNG paths.
    `table` holds the per-report rates: the view, or serve's copy of it (``reports``)."""
    rows = yearly(connection, query, table)
    label = query.region or "全部地区"
    if query.agency:
        label += f" {query.agency}"
    drawers = {"received": plot_received, "outcomes": plot_outcomes,
               "corrections": plot_corrections}
    return [drawers[name](rows, label, out_dir / f"{name}.png") for name in charts]
