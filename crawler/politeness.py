"""Politeness beyond Scrapy's defaults: AutoThrottle that never goes faster than a
portal's configured rate, and retries that back off exponentially."""

from __future__ import annotations

import time

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.extensions.throttle import AutoThrottle
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task


class PortalAutoThrottle(AutoThrottle):
    """AutoThrottle slows a slow host down; each host's configured delay stays its floor
    (Scrapy's own floor is the one global DOWNLOAD_DELAY)."""

    def _adjust_delay(self, slot, latency: float, response) -> None:
        super()._adjust_delay(slot, latency, response)
        floors = self.crawler.settings.getdict("DOWNLOAD_SLOTS")
        key = response.request.meta.get("download_slot") if response.request else None
        floor = floors.get(key, {}).get("delay") if key else None
        if floor is not None and slot.delay < floor:
            slot.delay = floor


class HostPortSlotMiddleware:
    """Requests the spider did not make (robots.txt) get the host:port slot too: Scrapy's
    default slot is the bare host name, which would put every port of one address (and so
    every portal behind it) in one queue."""

    def process_request(self, request: Request) -> None:
        if "download_slot" not in request.meta:
            from urllib.parse import urlsplit

            request.meta["download_slot"] = urlsplit(request.url).netloc.lower()
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (5xx, timeouts, connection errors), each attempt later than the
    last: RETRY_BACKOFF_BASE × 2^(n-1) seconds, at most RETRY_BACKOFF_MAX."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 0.5)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 30.0)

    def _retry(self, request: Request, reason) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None:
            attempt = retry.meta.get("retry_times", 1)
            wait = min(self.base * 2 ** (attempt - 1), self.cap)
            retry.meta["retry_not_before"] = time.monotonic() + wait
            self.crawler.stats.inc_value("nianbao/retries")
        return retry

    async def process_request(self, request: Request) -> None:
        not_before = request.meta.pop("retry_not_before", None)
        if not_before is None:
            return None
        wait = not_before - time.monotonic()
        if wait > 0:
            from twisted.internet import reactor

            await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        return None
