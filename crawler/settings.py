"""Scrapy settings for a polite, archived crawl of a list of portals."""

from __future__ import annotations

from urllib.parse import urlsplit

from .portal import Portal

USER_AGENT_TEMPLATE = "nianbao/{version} (+{contact}; annual-report archiver)"


def crawl_settings(portals: list[Portal], *, warc_dir: str, version: str, contact: str,
                   warcinfo: dict[str, str] | None = None) -> dict:
    """Settings for the archive middleware and the politeness of each portal's hosts."""
    slots = {}
    for portal in portals:
        delay = 1.0 / portal.requests_per_second if portal.requests_per_second > 0 else 1.0
        for url in portal.start_urls:
            slots[urlsplit(url).netloc.lower()] = {"delay": delay, "concurrency": 1, "jitter": 0}
        for host in portal.allowed_hosts:
            slots.setdefault(host.lower(), {"delay": delay, "concurrency": 1, "jitter": 0})
    return {
        "USER_AGENT": USER_AGENT_TEMPLATE.format(version=version, contact=contact),
        "ROBOTSTXT_OBEY": True,
        "DOWNLOAD_DELAY": 1.0,
        "DOWNLOAD_SLOTS": slots,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "DOWNLOAD_TIMEOUT": 60,
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "DOWNLOADER_MIDDLEWARES": {"archive.middleware.WarcArchiveMiddleware": 950},
        "ARCHIVE_DIR": warc_dir,
        "ARCHIVE_WARCINFO": warcinfo or {},
    }
