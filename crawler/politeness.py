"""Politeness beyond Scrapy's defaults: AutoThrottle that never goes faster than a
portal's configured rate, and retries that back off exponentially."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response
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
            request.meta["download_slot"] = urlsplit(request.url).netloc.lower()
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (5xx, 429, timeouts, connection errors), each attempt later than
    the last: RETRY_BACKOFF_BASE × 2^(n-1) seconds, at most RETRY_BACKOFF_MAX.

    A server's ``Retry-After`` (seconds or an HTTP date) is honoured up to RETRY_AFTER_MAX
    seconds; a 429 ("too many requests") holds back every request to that host:port, not
    only the one retried.
    """

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 0.5)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 30.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 120.0)
        self.host_not_before: dict[str, float] = {}

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if (response.status in self.retry_http_codes and response.status in (429, 503)
                and not request.meta.get("dont_retry")):
            asked = retry_after(response.headers.get(b"Retry-After"))
            if asked is not None:
                request.meta["retry_after"] = min(asked, self.retry_after_max)
            if response.status == 429:
                attempt = request.meta.get("retry_times", 0) + 1
                wait = request.meta.get("retry_after",
                                        min(self.base * 2 ** (attempt - 1), self.cap))
                self._hold_host(request, wait)
        return super().process_response(request, response)

    def _hold_host(self, request: Request, wait: float) -> None:
        slot_key = request.meta.get("download_slot") or urlsplit(request.url).netloc.lower()
        not_before = time.monotonic() + wait
        self.host_not_before[slot_key] = max(self.host_not_before.get(slot_key, 0), not_before)
        self.crawler.stats.inc_value("nianbao/host_backoffs")
        # requests already queued in the host's download slot wait too
        downloader = getattr(getattr(self.crawler, "engine", None), "downloader", None)
        slot = downloader.slots.get(slot_key) if downloader is not None else None
        if slot is not None:
            # (Scrapy keeps lastseen on the monotonic clock)
            slot.lastseen = max(slot.lastseen, time.monotonic() + wait - slot.delay)

    def _retry(self, request: Request, reason) -> Request | None:
        asked = request.meta.pop("retry_after", None)
        retry = super()._retry(request, reason)
        if retry is not None:
            attempt = retry.meta.get("retry_times", 1)
            wait = min(self.base * 2 ** (attempt - 1), self.cap)
            if asked is not None:
                wait = max(wait, asked)
            retry.meta["retry_not_before"] = time.monotonic() + wait
            self.crawler.stats.inc_value("nianbao/retries")
        return retry

    async def process_request(self, request: Request) -> None:
        not_before = request.meta.pop("retry_not_before", None) or 0.0
        slot_key = request.meta.get("download_slot") or urlsplit(request.url).netloc.lower()
        not_before = max(not_before, self.host_not_before.get(slot_key, 0.0))
        wait = not_before - time.monotonic()
        if wait > 0:
            from twisted.internet import reactor

            await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        return None


def retry_after(value: bytes | None) -> float | None:
    """Seconds a ``Retry-After`` value asks for (delay-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
