"""Scrapy spider, link rules and settings that find annual reports on portals."""

from .items import DocumentItem, FailureItem
from .portal import Portal
from .settings import crawl_settings
from .spider import ReportSpider

__all__ = ["DocumentItem", "FailureItem", "Portal", "ReportSpider", "crawl_settings"]
