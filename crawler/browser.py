"""Headless Chromium for the pages a plain fetch cannot read: script-built lists and script
challenges.

A downloader middleware (closer to the downloader than the archive middleware) takes the
requests the spider marked ``meta["render"] = True`` and loads them in Debian's Chromium,
driven by Playwright (launched by executable path: Playwright's own browser download is
not used). It answers with the rendered DOM, and sets ``meta["browser_capture"]`` so the
archive writes what the browser received (the page, its XHR/fetch responses) and the DOM
as a resource record. The cookies the browser earned (a challenge's script cookie) go to
Scrapy's cookie jar, so the crawl continues with plain requests.

Playwright's sync API runs in one dedicated thread that owns the browser; Scrapy's reactor
awaits it, so other portals keep downloading while a page renders.
"""

from __future__ import annotations

import http.cookiejar
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from nianbao.archive.records import request_target
from nianbao.archive.writer import BrowserCapture, HttpExchange
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads
from twisted.python.threadpool import ThreadPool

from .challenge import is_challenge
from .interact import interact
from .scope import Scope, count_refusal

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
# Without these Chromium calls Google's hosts (updates, sync, field trials) on its own.
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage")
_DROP = {"content-encoding", "content-length", "transfer-encoding"}


class BrowserUnavailable(IgnoreRequest):
    """Chromium or Playwright could not be started: the page is recorded, not rendered."""


class Renderer:
    """One Chromium, used from one thread only."""

    def __init__(self, executable: str = CHROMIUM, user_agent: str | None = None,
                 timeout_ms: int = 30_000) -> None:
        self.executable = executable
        self.user_agent = user_agent
        self.timeout_ms = timeout_ms
        self._playwright = None
        self._browser = None

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=self.executable, headless=True, args=list(CHROMIUM_ARGS))

    def render(self, url: str, cookies: list[dict],
               refusal: Callable[[str], str | None] | None = None,
               refused: list[tuple[str, str]] | None = None,
               ) -> tuple[BrowserCapture, str, int, list]:
        """(capture, final URL, status of the page, cookies) of one page load.

        ``refusal`` is asked about every request the page makes (navigations, frames,
        subresources, XHR/fetch) before it is sent; a request it gives a reason for is
        aborted and added to ``refused`` with the reason. WebSockets are never opened.
        """
        if self._browser is None:
            self._start()
        context = self._browser.new_context(user_agent=self.user_agent,
                                            service_workers="block")
        try:
            if refusal is not None:
                context.route("**/*", lambda route: _guard(route, refusal, refused))
                context.route_web_socket(re.compile(".*"), lambda socket: socket.close())
            if cookies:
                context.add_cookies(cookies)
            page = context.new_page()
            responses = []
            page.on("response", lambda r: responses.append(r))
            started = datetime.now(UTC)
            first = page.goto(url, wait_until="load", timeout=self.timeout_ms)
            page.wait_for_load_state("networkidle", timeout=self.timeout_ms)
            # A challenge page sets its cookie and navigates; wait for what it loads.
            for _ in range(5):
                if not _looks_like_challenge(page.content(), first.status if first else 200):
                    break
                page.wait_for_timeout(200)
                page.wait_for_load_state("networkidle", timeout=self.timeout_ms)
            # discovery: script-built links and script-driven pagers (crawler.interact)
            revealed, states = interact(page, min(self.timeout_ms, 10_000))
            dom = _content(page, self.timeout_ms)
            if revealed:
                dom = _with_revealed(dom, revealed, states)
            final_url = page.url
            documents = [r for r in responses if r.request.resource_type == "document"
                         and r.request.frame == page.main_frame]
            main = documents[-1] if documents else first
            exchanges = [_exchange(r) for r in responses]
            if main is not None and main in responses:
                index = responses.index(main)
                exchanges.insert(0, exchanges.pop(index))
            capture = BrowserCapture(page_url=final_url, exchanges=tuple(exchanges),
                                     rendered_dom=dom.encode("utf-8"), fetched_at=started)
            return capture, final_url, main.status if main else 200, context.cookies()
        finally:
            context.close()

    def close(self) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
            if self._playwright is not None:
                self._playwright.stop()
        finally:
            self._browser = self._playwright = None


def _guard(route, refusal: Callable[[str], str | None],
           refused: list[tuple[str, str]] | None) -> None:
    url = route.request.url
    scheme = urlsplit(url).scheme
    reason = None if scheme in ("data", "blob", "about") else refusal(url)
    if reason is None:
        route.continue_()
        return
    if refused is not None:
        refused.append((url, reason))
    route.abort("blockedbyclient")


def _content(page, timeout_ms: int) -> str:
    """The DOM, once a navigation the last click started has settled."""
    for _ in range(5):
        try:
            return page.content()
        except Exception as exc:  # noqa: BLE001 - "the page is navigating": wait for it
            if "navigating" not in str(exc):
                raise
            page.wait_for_load_state("load", timeout=timeout_ms)
    return page.content()


def _with_revealed(dom: str, links: list[tuple[str, str]], states: int) -> str:
    """The DOM with the links interaction revealed, as anchors in a marked block (the
    rendered DOM is a derived record: this block says what clicking showed)."""
    from html import escape

    block = "".join(f'<a href="{escape(u)}">{escape(t)}</a>' for u, t in links)
    block = f'<div id="nianbao-revealed" data-states="{states}" hidden>{block}</div>'
    at = dom.lower().rfind("</body>")
    return dom[:at] + block + dom[at:] if at >= 0 else dom + block


def _looks_like_challenge(dom: str, status: int) -> bool:
    """Whether the page still shows a challenge (judged with the status the page came with:
    a list page whose script sets ``location.href`` on click is not one)."""
    from scrapy.http import HtmlResponse

    return is_challenge(HtmlResponse("http://x/", status=status, body=dom.encode("utf-8")))


def _exchange(response) -> HttpExchange:
    request = response.request
    parts = urlsplit(request.url)
    target = request_target(request.url)
    try:
        body = response.body()
    except Exception:  # noqa: BLE001 - redirects and aborted loads have no body
        body = b""
    received = [(h["name"], h["value"]) for h in response.headers_array()]
    # Chromium hands over bodies already decoded: the headers that described the encoding
    # on the wire are kept as provenance, not in the HTTP head of the stored record.
    headers = [(k, v) for k, v in received if k.lower() not in _DROP]
    removed = tuple((k, v) for k, v in received if k.lower() in _DROP)
    if removed:
        headers.append(("Content-Length", str(len(body))))
    try:
        request_headers = [(h["name"], h["value"]) for h in request.headers_array()]
    except Exception:  # noqa: BLE001
        request_headers = list(request.headers.items())
    if not any(k.lower() == "host" for k, _ in request_headers):
        request_headers.insert(0, ("Host", parts.netloc))
    server = response.server_addr() or {}
    return HttpExchange(
        url=request.url, method=request.method, request_target=target,
        request_headers=request_headers, request_body=request.post_data_buffer or b"",
        status=response.status, reason=response.status_text or "", protocol="HTTP/1.1",
        response_headers=headers, response_body=body,
        ip_address=server.get("ipAddress"), fetched_at=datetime.now(UTC),
        removed_headers=removed)


class BrowserMiddleware:
    """Renders ``meta["render"]`` requests; order it above the archive middleware (950)."""

    def __init__(self, crawler: Crawler, executable: str, enabled: bool) -> None:
        self.crawler = crawler
        self.enabled = enabled
        self.renderer = Renderer(executable, crawler.settings.get("USER_AGENT"))
        self.pool = ThreadPool(minthreads=1, maxthreads=1, name="nianbao-browser")
        self.broken: str | None = None
        self.rendered = 0
        self.scope = Scope.from_settings(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserMiddleware:
        from scrapy import signals

        middleware = cls(crawler, crawler.settings.get("BROWSER_EXECUTABLE", CHROMIUM),
                         crawler.settings.getbool("BROWSER_ENABLED", True))
        crawler.signals.connect(middleware.closed, signal=signals.spider_closed)
        return middleware

    async def process_request(self, request: Request):
        if not request.meta.get("render"):
            return None
        if not self.enabled or self.broken:
            raise BrowserUnavailable(self.broken or "browser rendering is disabled")
        if not self.pool.started:
            self.pool.start()
        from twisted.internet import reactor

        cookies = self._cookies_for(request)
        portal = request.meta.get("portal")
        refused: list[tuple[str, str]] = []
        refusal = ((lambda url: self.scope.refusal(portal, url)) if self.scope.allowed
                   else None)
        try:
            capture, final_url, status, earned = await maybe_deferred_to_future(
                threads.deferToThreadPool(reactor, self.pool, self.renderer.render,
                                          request.url, cookies, refusal, refused))
        except Exception as exc:  # noqa: BLE001 - a page that will not render is recorded
            message = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            if "Executable doesn't exist" in message or "executable" in message.lower() and \
                    "not found" in message.lower():
                self.broken = message
            raise BrowserUnavailable(message) from exc
        finally:
            for url, reason in refused:
                count_refusal(self.crawler, portal, url, reason)
        self.rendered += 1
        self.crawler.stats.inc_value("nianbao/browser_pages")
        self._keep_cookies(request, earned)
        request.meta["browser_capture"] = capture
        return HtmlResponse(url=final_url, status=status,
                            headers={"Content-Type": "text/html; charset=utf-8"},
                            body=capture.rendered_dom, request=request, flags=["rendered"])

    def _jar(self, request: Request):
        for mw in self.crawler.engine.downloader.middleware.middlewares:
            if isinstance(mw, CookiesMiddleware):
                return mw.jars[request.meta.get("cookiejar")]
        return None

    def _cookies_for(self, request: Request) -> list[dict]:
        jar = self._jar(request)
        if jar is None:
            return []
        host = urlsplit(request.url).hostname or ""
        return [{"name": c.name, "value": c.value or "", "domain": c.domain or host,
                 "path": c.path or "/"} for c in jar.jar
                if c.domain.lstrip(".") in (host,) or host.endswith(c.domain)]

    def _keep_cookies(self, request: Request, cookies: list[dict]) -> None:
        jar = self._jar(request)
        if jar is None:
            return
        for c in cookies:
            domain = c.get("domain") or urlsplit(request.url).hostname
            expires = c.get("expires")
            jar.set_cookie(http.cookiejar.Cookie(
                version=0, name=c["name"], value=c["value"], port=None, port_specified=False,
                domain=domain, domain_specified=domain.startswith("."),
                domain_initial_dot=domain.startswith("."), path=c.get("path") or "/",
                path_specified=True, secure=bool(c.get("secure")),
                expires=int(expires) if expires and expires > 0 else None,
                discard=not (expires and expires > 0), comment=None, comment_url=None,
                rest={"HttpOnly": None} if c.get("httpOnly") else {}))

    async def closed(self) -> None:
        if not self.pool.started:
            return
        from twisted.internet import reactor

        try:
            await maybe_deferred_to_future(
                threads.deferToThreadPool(reactor, self.pool, self.renderer.close))
        except Exception:  # noqa: BLE001 - a browser that will not close is not our data
            log.warning("headless browser did not close cleanly", exc_info=True)
        finally:
            self.pool.stop()
