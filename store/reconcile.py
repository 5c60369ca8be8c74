"""Which archived records have no fetch row yet (store.retry): the WARC files are the
source of truth, and a crawl that lost its database before a row was written leaves a
record behind without one. The next crawl adds the missing rows (nianbao.crawl)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import models


def fetch_rows_per_file(session: Session) -> dict[str, int]:
    """How many fetch rows name each WARC file."""
    rows = session.execute(select(models.Fetch.warc_file, func.count())
                           .where(models.Fetch.warc_file.is_not(None))
                           .group_by(models.Fetch.warc_file))
    return {name: count for name, count in rows}


def fetched_offsets(session: Session, warc_file: str) -> set[int]:
    """The offsets of one WARC file's records that have a fetch row."""
    return set(session.scalars(select(models.Fetch.warc_offset)
                               .where(models.Fetch.warc_file == warc_file)))
