"""Scrapy spider, link rules and settings that find annual reports on portals.

The names below load on first use (PEP 562), so a command that only reads a portal's
configuration (``crawler.portal``) does not import Scrapy.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {"DocumentItem": "items", "FailureItem": "items", "Portal": "portal",
            "crawl_settings": "settings", "ReportSpider": "spider"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
