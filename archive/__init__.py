"""The WARC archive: every fetch written as it was received (warcio)."""

from .index import ArchiveIndex
from .reader import iter_records, load_payload, read_record, scan_file, warc_files
from .records import IndexEntry
from .writer import BrowserCapture, HttpExchange, RecordLocation, WarcFileWriter

__all__ = ["ArchiveIndex", "BrowserCapture", "HttpExchange", "IndexEntry", "RecordLocation",
           "WarcFileWriter", "iter_records", "load_payload", "read_record", "scan_file",
           "warc_files"]
