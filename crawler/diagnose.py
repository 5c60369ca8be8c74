"""Why a portal yielded no report: the crawl's own counters, read back in one line."""

from __future__ import annotations


def why_nothing(stats: dict, portal: str) -> str | None:
    """A one-line account of a portal's crawl when it found no report (None if it did)."""
    def get(name: str) -> int:
        return int(stats.get(f"nianbao/{name}/{portal}", 0) or 0)

    if get("reports"):
        return None
    reasons = []
    if get("blocked"):
        reasons.append("blocked by a script challenge")
    if get("pages") <= 1:
        reasons.append("only the start page was fetched (nothing on it read as a report, "
                       "a list or a hub)")
    if get("hub_budget_hit"):
        reasons.append(f"hub budget spent ({get('hubs')} navigation pages; raise hub_budget)")
    if get("page_limit_hit"):
        reasons.append("max_pages reached")
    if get("depth_limit_hit"):
        reasons.append("max_depth reached")
    if get("documents") and get("not_reports"):
        reasons.append(f"{get('not_reports')} of {get('documents')} documents fetched were "
                       "read as not a report")
    elif not get("documents"):
        reasons.append("no document was fetched")
    if get("errors"):
        reasons.append(f"{get('errors')} errors (see the error table)")
    if not get("renders") and not get("apis_learned"):
        reasons.append("no page was rendered (render = never, or every list read plainly)")
    return "; ".join(reasons) or "no report among the documents fetched"
