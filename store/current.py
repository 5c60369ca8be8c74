"""``report_current`` kept up to date: after a write adds versions or moves when a payload
was last seen, the reports it touched are computed again and their rows replaced, in the
writer's transaction.

Which copy and version count is decided once, by ``latest_report``'s SQL (store/views.py);
here the same SQL runs over only the rows that can matter (every version at the URLs of
the reports touched), so the cost of a batch does not grow with the table.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, delete, text

from . import bulk, models
from .views import identity_sql, latest_of

_COLUMNS = [c.name for c in models.report_current.columns]
_META = [c for c in _COLUMNS if "." not in c]
_KEYS = [c for c in _COLUMNS if "." in c]
_ORDER = (*_META, *_KEYS)
_CHUNK = 500


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def refresh(connection: Connection, *, urls: Iterable[str] = (), ids: Iterable[int] = (),
            cells: dict[int, list[tuple]] | None = None) -> int:
    """Compute again the reports of the versions at ``urls`` and of the versions ``ids``
    (old and new identities alike: a URL's new version may read another agency or year);
    ``cells`` gives the (key, value, ...) rows of versions the caller has in hand. Returns
    how many reports were written."""
    urls, ids = sorted({u for u in urls if u}), sorted(set(ids))
    identity = identity_sql()
    touched: set[str] = set()
    for chunk in _chunks(urls):
        touched.update(connection.execute(text(
            f"SELECT {identity} FROM report WHERE url IN :urls")
            .bindparams(bindparam("urls", expanding=True)), {"urls": chunk}).scalars())
    for chunk in _chunks(ids):
        touched.update(connection.execute(text(
            f"SELECT {identity} FROM report WHERE id IN :ids")
            .bindparams(bindparam("ids", expanding=True)), {"ids": chunk}).scalars())
    if not touched:
        return 0
    # every version of every URL holding a copy of a touched report (and the versions with
    # no URL, each a copy of its own): what latest_report's rule needs to decide them
    agencies = sorted({t.rsplit("|", 1)[0] for t in touched if not t.startswith("id:")})
    own = sorted({int(t[3:]) for t in touched if t.startswith("id:")})
    source_urls: set[str] = set(urls)
    source_ids: set[int] = set(own)
    for chunk in _chunks(agencies):
        for url, report_id, found in connection.execute(text(
                f"SELECT url, id, {identity} AS identity FROM report WHERE agency IN :a")
                .bindparams(bindparam("a", expanding=True)), {"a": chunk}):
            if found in touched:
                if url is None:
                    source_ids.add(report_id)
                else:
                    source_urls.add(url)
    # one query: a report's copies at several URLs must be decided together
    source = "(SELECT * FROM report WHERE url IN :urls OR id IN :ids) s"
    statement = text(f"SELECT * FROM ({latest_of(source)}) l").bindparams(
        bindparam("urls", expanding=True), bindparam("ids", expanding=True))
    rows = [dict(r._mapping) for r in connection.execute(
        statement, {"urls": sorted(source_urls) or [""], "ids": sorted(source_ids) or [-1]})
        if r.identity in touched]
    values = _values(connection, [r["report_id"] for r in rows], cells or {})
    table = models.report_current
    for chunk in _chunks(sorted(touched)):
        connection.execute(delete(table).where(table.c.identity.in_(chunk)))
    bulk.insert_rows(connection, "report_current", _ORDER, [
        (*map(row.get, _META), *map(values.get(row["report_id"], {}).get, _KEYS))
        for row in rows])
    return len(rows)


def _values(connection: Connection, report_ids: list[int],
            cells: dict[int, list[tuple]]) -> dict[int, dict[str, float | None]]:
    keys = set(_KEYS)
    out: dict[int, dict[str, float | None]] = {}
    wanted = []
    for report_id in report_ids:
        if report_id in cells:
            # every key, known or not: the row is read by the known keys only
            out[report_id] = {cell[0]: cell[1] for cell in cells[report_id]}
        else:
            wanted.append(report_id)
    for chunk in _chunks(wanted):
        for report_id, key, value in connection.execute(text(
                'SELECT report_id, "key", value FROM report_value WHERE report_id IN :ids')
                .bindparams(bindparam("ids", expanding=True)), {"ids": chunk}):
            if key in keys:
                out.setdefault(report_id, {})[key] = value
    return out
