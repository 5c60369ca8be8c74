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
from collections.abc import Callable, Iterable
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

#: ``(host, port) -> addresses``, blocking (run off the event loop); tests replace it, so
#: no test resolves a real name.
Resolver = Callable[[str, int], list[IPAddress]]


def system_resolve(host: str, port: int) -> list[IPAddress]:
    addresses: list[IPAddress] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
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


def _netloc(url: str) -> tuple[str, int | None] | None:
    """(host, port) of an http(s) URL, the host lower case and an IPv6 address in
    brackets; None for anything else."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    return (f"[{host}]" if ":" in host else host), port


def _entry(entry: str) -> tuple[str, int | None]:
    """An allowed_hosts entry as (host, port or None)."""
    entry = entry.lower()
    if entry.startswith("["):
        host, _, rest = entry.partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host + "]", int(port) if port.isdigit() else None
    host, _, port = entry.partition(":")
    return host, int(port) if port.isdigit() else None


def _named_address(entry: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(_entry(entry)[0].strip("[]"))
    except ValueError:
        return None


class Scope:
    """Each portal's allowed hosts, by portal name."""

    def __init__(self, allowed_hosts: dict[str, Iterable[str]]) -> None:
        self.allowed = {name: tuple(_entry(h) for h in hosts)
                        for name, hosts in allowed_hosts.items()}
        self.named = {name: {a for h in hosts if (a := _named_address(h)) is not None}
                      for name, hosts in allowed_hosts.items()}

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
        host, port = netloc
        for name in self._portals(portal):
            for allowed_host, allowed_port in self.allowed[name]:
                # a bare host is its default ports (http and https), nothing else on it
                if allowed_host == host and (port == allowed_port or allowed_port is None
                                             and port in (None, 80, 443)):
                    return None
        return f"{host}:{port} is not in allowed_hosts" if port else \
            f"{host} is not in allowed_hosts"

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

    def permitted(self, portal: str | None, host: str, port: int) -> list[IPAddress]:
        """The addresses of ``host`` this portal may connect to (blocking: it may resolve
        the name); OutOfScope when it resolves only to addresses it may not reach."""
        try:
            found = [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            found = resolve(host, port)
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

    async def addresses(self, portal: str | None, host: str, port: int) -> list[IPAddress]:
        """:meth:`permitted`, with the name resolved off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.permitted, portal, host, port)

    def refusal(self, portal: str | None, url: str) -> str | None:
        """Why a URL may not be fetched (its host, then its addresses), or None. Blocking;
        for the browser, whose own network stack connects."""
        reason = self.url_refusal(portal, url)
        if reason is not None:
            return reason
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            self.permitted(portal, parts.hostname or "", port)
        except OutOfScope as exc:
            return str(exc)
        except OSError:
            return None  # an unknown name: the browser's own lookup fails the same way
        return None


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
