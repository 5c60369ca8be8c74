"""The WARC archive: every fetch written as it was received (warcio)."""

from .reader import iter_records, read_record
from .writer import BrowserCapture, HttpExchange, RecordLocation, WarcFileWriter

__all__ = ["BrowserCapture", "HttpExchange", "RecordLocation", "WarcFileWriter", "iter_records",
           "read_record"]
