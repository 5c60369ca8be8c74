"""A page's archived resources by URL: what the parser needs to re-read a report page whose
tables are pictures (their bytes come from the WARC, never from the network)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .index import ArchiveIndex
from .reader import load_payload


def archived_bodies(directory: Path | str, index: ArchiveIndex) -> Callable[[str], bytes | None]:
    """url -> the payload of its newest successful capture in the archive, or None."""

    def body(url: str) -> bytes | None:
        entry = index.latest(url)
        if entry is None or (entry.status and not entry.status.startswith("2")
                             and entry.record_type != "revisit"):
            return None
        try:
            stored = load_payload(directory, entry.filename, entry.offset, index)
        except (OSError, LookupError, StopIteration, ValueError):
            return None
        if stored.status is not None and not 200 <= stored.status < 300:
            return None
        return stored.decoded

    return body
