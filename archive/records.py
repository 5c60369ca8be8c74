"""What every WARC record nianbao writes or indexes has in common, defined once.

- the WARC version written everywhere (``WARC/1.0``) and the revisit profiles of that
  version (a profile URI names its version: 1.0 files carry 1.0 profiles);
- the digest: SHA-1 in base32 (``sha1:…``), as pywb, Heritrix and warcio use;
- WARC-Date and the 14-digit CDXJ timestamp made from it;
- the request target (path and query, as in the request line) of a URL;
- the index entry of a record: what ``cdxj-indexer`` writes for it (``SURT timestamp
  {json}``), so pywb replays the archive from our lines as they are.
"""

from __future__ import annotations

import hashlib
import json
from base64 import b32encode
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from surt import surt

WARC_VERSION = "WARC/1.0"
#: the revisit profiles of WARC 1.0 (the version above; WARC 1.1 names its own)
IDENTICAL_PAYLOAD = "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"
SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.0/revisit/server-not-modified"
#: record types that get an index entry (requests and metadata are found through them)
INDEXED_TYPES = ("response", "revisit", "resource")


def sha1_base32(data: bytes) -> str:
    """The WARC digest of ``data``: ``sha1:`` and the base32 SHA-1."""
    return "sha1:" + b32encode(hashlib.sha1(data).digest()).decode("ascii")


def warc_date(moment: datetime | None = None) -> str:
    """WARC-Date of a moment (now by default), to the second, in UTC."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def warc_timestamp(date: str) -> str:
    """'2026-11-22T18:06:08Z' (or with fractions) → '20261122180608'."""
    return "".join(ch for ch in date if ch.isdigit())[:14]


def request_target(url: str) -> str:
    """The request line's target of a URL: its path (``/`` if none) and query."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def url_key(url: str) -> str:
    """The SURT key the index sorts by (a URL surt cannot read is its own key)."""
    try:
        return surt(url)
    except Exception:  # noqa: BLE001 - a URL surt cannot read is still indexed, as itself
        return url


def index_mime(record_type: str, content_type: str | None) -> str | None:
    """The ``mime`` of an index entry: ``warc/revisit`` for a revisit, else the media type
    of the record's HTTP Content-Type (a resource's own content type), lower-cased."""
    if record_type == "revisit":
        return "warc/revisit"
    return content_type.split(";")[0].strip().lower() if content_type else None


@dataclass(frozen=True)
class IndexEntry:
    """One line of the CDXJ index: where a response, revisit or resource record is."""

    url: str
    timestamp: str  # 14 digits, from WARC-Date
    filename: str
    offset: int
    length: int
    digest: str | None  # "sha1:BASE32"
    mime: str | None
    status: str | None
    record_type: str  # response | revisit | resource

    def cdxj_line(self, key: str | None = None) -> str:
        """The CDXJ line (``key``: the URL's SURT key, if already made)."""
        fields = {"url": self.url}
        if self.mime:
            fields["mime"] = self.mime
        if self.status:
            fields["status"] = self.status
        if self.digest:
            fields["digest"] = self.digest
        fields.update(length=str(self.length), offset=str(self.offset), filename=self.filename)
        key = key if key is not None else url_key(self.url)
        return f"{key} {self.timestamp} {json.dumps(fields, ensure_ascii=False)}"

    @classmethod
    def from_line(cls, line: str) -> IndexEntry:
        _key, timestamp, rest = line.split(" ", 2)
        fields = json.loads(rest)
        mime = fields.get("mime")
        record_type = ("revisit" if mime == "warc/revisit"
                       else "response" if "status" in fields else "resource")
        return cls(fields["url"], timestamp, fields["filename"], int(fields["offset"]),
                   int(fields["length"]), fields.get("digest"), mime, fields.get("status"),
                   record_type)
