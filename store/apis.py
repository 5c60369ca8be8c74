"""Learned list APIs per portal (crawler.listapi): read before a crawl, kept after it."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import LearnedApi, utcnow


def load_apis(session: Session, portal_ids: dict[str, int]) -> dict[str, list[dict]]:
    """portal name -> the API specs learned for it."""
    names = {v: k for k, v in portal_ids.items()}
    out: dict[str, list[dict]] = {}
    rows = session.scalars(select(LearnedApi).where(LearnedApi.portal_id.in_(list(names))))
    for row in rows:
        out.setdefault(names[row.portal_id], []).append(row.spec)
    return out


def save_apis(session: Session, portal_ids: dict[str, int], learned: dict[str, dict[str, dict]],
              run_id: int | None = None, forgotten: dict[str, set[str]] | None = None) -> int:
    """Insert or refresh what a crawl learned, and drop the APIs it found dead (unless it
    learned them again); returns how many APIs were written."""
    for name, keys in (forgotten or {}).items():
        portal_id = portal_ids.get(name)
        dead = set(keys) - set(learned.get(name, {}))
        if portal_id is not None and dead:
            session.execute(delete(LearnedApi).where(LearnedApi.portal_id == portal_id,
                                                     LearnedApi.api_key.in_(dead)))
    written = 0
    for name, apis in learned.items():
        portal_id = portal_ids.get(name)
        if portal_id is None:
            continue
        for key, spec in apis.items():
            row = session.scalar(select(LearnedApi).where(LearnedApi.portal_id == portal_id,
                                                          LearnedApi.api_key == key))
            if row is None:
                session.add(LearnedApi(portal_id=portal_id, api_key=key,
                                       page_url=spec.get("page_url", ""), spec=spec,
                                       crawl_run_id=run_id))
            else:
                row.spec, row.page_url, row.crawl_run_id = spec, spec.get("page_url", ""), run_id
                row.learned_at = utcnow()
            written += 1
    session.commit()
    return written
