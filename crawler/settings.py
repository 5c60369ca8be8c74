"""Scrapy settings for a polite, archived crawl of a list of portals."""

from __future__ import annotations

from urllib.parse import urlsplit

from .portal import Portal

USER_AGENT_TEMPLATE = "nianbao/{version} (+{contact}; annual-report archiver)"
RATE_MARGIN = 1.05  # a host limited to 2 requests/s is asked at most every 525 ms
DOWNLOAD_MAXSIZE = 128 * 1024 * 1024


def crawl_settings(portals: list[Portal], *, warc_dir: str, version: str, contact: str,
                   warcinfo: dict[str, str] | None = None, browser: bool = True) -> dict:
    """Settings for the archive middleware and the politeness of each portal's hosts.

    Each host (host:port) is its own download slot, one request at a time, at most the
    portal's ``requests_per_second``; AutoThrottle may slow a struggling host further but
    never speeds one past its rate.
    """
    slots = {}
    for portal in portals:
        rate = portal.requests_per_second if portal.requests_per_second > 0 else 1.0
        # The rate is a ceiling as the server sees it: arrivals jitter by a few ms (event
        # loop, network), and two requests exactly 1/rate apart would put rate + 1 of them
        # into some one-second window; the margin keeps every window within the rate.
        delay = RATE_MARGIN / rate
        for url in portal.start_urls:
            slots[urlsplit(url).netloc.lower()] = {"delay": delay, "concurrency": 1, "jitter": 0}
        for host in portal.allowed_hosts:
            slots.setdefault(host.lower(), {"delay": delay, "concurrency": 1, "jitter": 0})
    fastest = min((s["delay"] for s in slots.values()), default=1.0)
    return {
        "USER_AGENT": USER_AGENT_TEMPLATE.format(version=version, contact=contact),
        "ROBOTSTXT_OBEY": True,
        # the floor for hosts with no slot of their own; each slot has its own delay
        "DOWNLOAD_DELAY": min(1.0, fastest),
        "DOWNLOAD_SLOTS": slots,
        "CONCURRENT_REQUESTS": max(16, 2 * len(slots)),
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        # Scrapy starts this many asyncio workers for every callback's output; a page
        # yields a handful of requests and at most a document, and the store pipeline is
        # synchronous, so the default 100 only costs (~200 tasks a page).
        "CONCURRENT_ITEMS": 8,
        # Hand the downloader requests of the least busy hosts first: with the default
        # queue the concurrency budget fills up with one host's backlog while others idle.
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": min(1.0, fastest),
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "RETRY_BACKOFF_BASE": 0.5,
        "RETRY_BACKOFF_MAX": 30.0,
        # a server's Retry-After is honoured up to this many seconds (crawler.politeness)
        "RETRY_AFTER_MAX": 120.0,
        # Bodies over this size are cut, on the wire and while decompressing (Scrapy's
        # HttpCompressionMiddleware inflates 64 KiB at a time and stops past the limit), so a
        # gzip bomb costs at most about this much memory. Scrapy's default is 1 GiB; the
        # largest report PDFs (scans) are tens of MB.
        "DOWNLOAD_MAXSIZE": DOWNLOAD_MAXSIZE,
        "DOWNLOAD_WARNSIZE": DOWNLOAD_MAXSIZE // 4,
        # crawler.scope: every request and every address it connects to is checked
        "SCOPE_ALLOWED_HOSTS": {p.name: list(p.allowed_hosts) for p in portals},
        "DOWNLOAD_TIMEOUT": 60,
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        # HTTP/1.1 on the asyncio loop, keeping the heads verbatim for the archive
        "DOWNLOAD_HANDLERS": {"http": "nianbao.crawler.wire.WireDownloadHandler",
                              "https": "nianbao.crawler.wire.WireDownloadHandler"},
        "DOWNLOADER_MIDDLEWARES": {
            # first of all, before robots.txt is asked for a host that is out of scope
            "nianbao.crawler.scope.ScopeMiddleware": 40,
            "nianbao.crawler.politeness.HostPortSlotMiddleware": 50,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "nianbao.crawler.politeness.BackoffRetryMiddleware": 550,
            "nianbao.archive.middleware.WarcArchiveMiddleware": 950,
            # closer to the downloader than the archive: the archive sees the capture
            "nianbao.crawler.browser.BrowserMiddleware": 960,
        },
        "EXTENSIONS": {"scrapy.extensions.throttle.AutoThrottle": None,
                       "nianbao.crawler.politeness.PortalAutoThrottle": 0},
        "BROWSER_ENABLED": browser,
        # report pages' stylesheets, images, scripts (crawler.requisites, docs/ocr.md)
        "REQUISITES_ENABLED": True,
        "REQUISITES_PER_PAGE": 100,
        "REQUISITES_PER_PORTAL": 5000,
        "REQUISITES_MAX_IMAGE_BYTES": 64 << 20,
        "ARCHIVE_DIR": warc_dir,
        "ARCHIVE_WARCINFO": warcinfo or {},
    }
