"""A page's archived resources by URL: what the parser needs to re-read a report page whose
tables are pictures (their bytes come from the WARC, never from the network)."""

from __future__ import annotations

from pathlib import Path

from .index import ArchiveIndex
from .reader import load_payload


class ArchivedBodies:
    """url -> the payload of its newest successful capture in the archive, or None.

    Picklable (it holds only the directory), so reparse's worker processes each open the
    index themselves, on their first picture.
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self._index: ArchiveIndex | None = None

    def __getstate__(self) -> dict:
        return {"directory": self.directory, "_index": None}

    def __call__(self, url: str) -> bytes | None:
        if self._index is None:
            self._index = ArchiveIndex(self.directory)
        entry = self._index.latest(url)
        if entry is None or (entry.status and not entry.status.startswith("2")
                             and entry.record_type != "revisit"):
            return None
        try:
            stored = load_payload(self.directory, entry.filename, entry.offset, self._index)
        except (OSError, LookupError, StopIteration, ValueError):
            return None
        if stored.status is not None and not 200 <= stored.status < 300:
            return None
        return stored.decoded
