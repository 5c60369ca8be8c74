"""Scope: nothing is fetched outside a portal's ``allowed_hosts``.

Two checks, both before a byte is sent:

- the URL: its host (or host:port) is one of the portal's allowed hosts. Every request
  passes :class:`ScopeMiddleware` on its way to the downloader, so this holds for each
  redirect hop and meta refresh (Scrapy sends those back through the whole chain) and
  every attachment; the browser checks its own navigations, subresources and XHRs with
  the same :class:`Scope` (crawler.browser).
- the address: a name is resolved by :func:`resolve` and each address checked before
  the connection is made to that same address (crawler.wire), so a public name that
  resolves to ``10.0.0.5`` or to a cloud's metadata service is refused too. Loopback,
  link-local, private, shared (CGNAT), reserved and metadata addresses are allowed only
  when the portal's allowed_hosts names the address itself (``127.0.0.1:8080``).

A refused request is counted per portal with its URL (stats ``nianbao/out_of_scope/NAME``
and ``nianbao/out_of_scope_urls/NAME``) and never fetched, archived or stored.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud metadata services. Most are link-local or private already; Alibaba Cloud's sits in
#: the shared (CGNAT) range, which is not "private" to Python's ipaddress either way.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"))
#: URLs kept per portal in the stats (the count is exact, the list is a sample).
MAX_URLS_KEPT = 50

#: ``(host, port) -> addresses``; tests replace it (no test resolves a real name).
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


async def system_resolve(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


resolve: Resolver = system_resolve


def internal(address: IPAddress) -> bool:
    """Whether an address is one a crawler must not reach unless told to by name."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address in METADATA_ADDRESSES or not address.is_global or address.is_multicast


class OutOfScope(IgnoreRequest):
    """A request outside its portal's allowed hosts, or to an address it may not reach."""


def _netloc(url: str) -> tuple[str, str] | None:
    """(host, host:port) of an http(s) URL, lower case; None for anything else."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    return host, f"{host}:{port}" if port else host


def _named_address(entry: str) -> IPAddress | None:
    host = entry.lower()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class Scope:
    """Each portal's allowed hosts, by portal name."""

    def __init__(self, allowed_hosts: dict[str, Iterable[str]]) -> None:
        self.allowed = {name: tuple(h.lower() for h in hosts)
                        for name, hosts in allowed_hosts.items()}
        self.named = {name: {a for h in hosts if (a := _named_address(h)) is not None}
                      for name, hosts in self.allowed.items()}

    @classmethod
    def from_settings(cls, settings) -> Scope:
        return cls(settings.getdict("SCOPE_ALLOWED_HOSTS"))

    def _portals(self, portal: str | None) -> list[str]:
        # a request of no portal (robots.txt) is in scope where any portal's is
        return [portal] if portal in self.allowed else list(self.allowed)

    def url_refusal(self, portal: str | None, url: str) -> str | None:
        """Why the URL is out of the portal's scope, or None when it is in it."""
        netloc = _netloc(url)
        if netloc is None:
            return "not an http(s) URL with a host and a valid port"
        host, with_port = netloc
        for name in self._portals(portal):
            for allowed in self.allowed[name]:
                if allowed == with_port or (":" not in allowed.strip("[]") and allowed == host):
                    return None
                if allowed.startswith("[") and allowed in (host, with_port):
                    return None
        return f"{with_port} is not in allowed_hosts"

    def address_refusal(self, portal: str | None, address: IPAddress) -> str | None:
        """Why the portal may not connect to this address, or None when it may."""
        if not internal(address):
            return None
        mapped = (address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address)
                  and address.ipv4_mapped is not None else address)
        for name in self._portals(portal):
            if address in self.named[name] or mapped in self.named[name]:
                return None
        return (f"{address} is a loopback, private, link-local or metadata address "
                f"not named in allowed_hosts")

    async def addresses(self, portal: str | None, host: str, port: int) -> list[IPAddress]:
        """The addresses of ``host`` this portal may connect to; OutOfScope if none."""
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            found = await resolve(host, port)
        else:
            found = [literal]
        allowed, reasons = [], []
        for address in found:
            reason = self.address_refusal(portal, address)
            if reason is None:
                allowed.append(address)
            else:
                reasons.append(reason)
        if not allowed and reasons:
            raise OutOfScope(f"{host} resolves to {reasons[0]}")
        return allowed


def count_refusal(crawler: Crawler, portal: str | None, url: str, reason: str) -> None:
    """Count a refused URL (stats, a sample of URLs) and log it."""
    name = portal or "-"
    stats = crawler.stats
    stats.inc_value(f"nianbao/out_of_scope/{name}")
    urls = stats.get_value(f"nianbao/out_of_scope_urls/{name}") or []
    if len(urls) < MAX_URLS_KEPT:
        stats.set_value(f"nianbao/out_of_scope_urls/{name}", [*urls, url])
    logger.warning("portal %s: out of scope, not fetched: %s (%s)", name, url, reason)


class ScopeMiddleware:
    """The URL check on every request before it reaches the downloader (redirect hops and
    meta refreshes come back through here as new requests)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.scope = Scope.from_settings(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not self.scope.allowed:
            return None  # no portals configured (a bare Scrapy run): nothing to enforce
        portal = request.meta.get("portal")
        reason = self.scope.url_refusal(portal, request.url)
        if reason is not None:
            count_refusal(self.crawler, portal, request.url, reason)
            request.meta["scope_counted"] = True
            raise OutOfScope(f"{request.url}: {reason}")
        return None

    def process_exception(self, request: Request, exception: Exception) -> None:
        # the address check happens in the download handler, at connect time
        if isinstance(exception, OutOfScope) and not request.meta.get("scope_counted"):
            request.meta["scope_counted"] = True
            count_refusal(self.crawler, request.meta.get("portal"), request.url,
                          str(exception))
        return None
