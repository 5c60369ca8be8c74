"""When to (re)build the database `nianbao serve` shows first, and the text its search
reads: the building is the store's (``store.browse``).

The browse database is rebuilt when the collected database is newer. Its full-text index
reads each report's text from the archived document (nianbao.page_text), Han characters one
token each (serve_plugins/nianbao_search.py).
"""

from __future__ import annotations

from pathlib import Path

from nianbao.store import browse as store_browse


def is_stale(db_path: Path, browse_path: Path) -> bool:
    if not browse_path.exists():
        return True
    newest = max(p.stat().st_mtime for p in (db_path, Path(f"{db_path}-wal"))
                 if p.exists())
    return newest > browse_path.stat().st_mtime


def build(db_path: Path, browse_path: Path, warc_dir: Path | None = None) -> Path:
    """Write the browsing database for `db_path` to `browse_path`; returns it."""
    from .serve_plugins.nianbao_search import segment

    return store_browse.build(db_path, browse_path,
                              lambda source: _document_text(warc_dir, source), segment)


def _document_text(warc_dir: Path | None, source: store_browse.Source) -> str:
    if warc_dir is None or not source.warc_file or source.warc_offset is None:
        return ""
    from nianbao.archive import load_payload

    from .page_text import page_text

    try:
        stored = load_payload(warc_dir, source.warc_file, source.warc_offset)
    except (OSError, LookupError, ValueError):
        return ""
    return page_text(stored.decoded, source.content_type, source.url).text
