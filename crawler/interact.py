"""What a rendered page reveals only when used: links built by script, and pagers.

Run inside the browser thread on a loaded Playwright page (crawler.browser):

- **script-built links** (``href="javascript:openDetail('…')"``, ``onclick="…"``) whose text
  is worth following are clicked with navigation held back: the address the handler tries
  to open (``location.href = …``, ``window.open(…)``, a form submit) is read from the
  navigation request, which is aborted, so the page stays where it is;
- **pagers** driven by script (ASP.NET ``__doPostBack``, "加载更多", "下一页" or a page
  number with a script handler) are clicked one state after another, until a state adds no
  new link or the bound is reached; what each state lists is collected.

Every response the browser receives meanwhile is in the page's capture, so it is archived.
"""

from __future__ import annotations

from urllib.parse import urljoin

from parsers.titles import TitleKind, hub_score, title_kind

MAX_STATES = 30  # pager clicks per page
MAX_SCRIPT_LINKS = 120  # script links resolved per page state
_NEXT = ("下一页", "下页", "加载更多", "点击加载更多", "查看更多", "更多", "下一頁", "next", "Next",
         ">", "›", "»", ">>")
_SCRIPTED = """el => {
  const href = el.getAttribute('href') || '';
  return href.startsWith('javascript:') || href === '#' || href === '' ||
         el.hasAttribute('onclick') || el.tagName !== 'A';
}"""
_ANCHORS = """els => els.map(a => [a.href, (a.title && a.title.length > a.innerText.length)
                                     ? a.title : a.innerText])"""
_HOLD_OPEN = """() => { if (!window.__nbOpened) { window.__nbOpened = [];
  window.open = function (u) { window.__nbOpened.push(String(u)); return null; }; } }"""


def interact(page, timeout_ms: int, held_requests: list | None = None
             ) -> tuple[list[tuple[str, str]], int]:
    """(URL, text) of the links the page revealed when used, beyond its first DOM, and how
    many list states (1 + pager clicks that showed something new) the page went through.

    The navigations held back are answered "204 No Content" inside the browser (which keeps
    the page where it is; an aborted one would replace it by an error page); they were never
    sent, and ``held_requests`` collects them so the capture leaves them out.
    """
    held: list[str] = []
    state = {"hold": True}

    def route(r) -> None:
        request = r.request
        if state["hold"] and request.is_navigation_request() and request.frame == page.main_frame:
            held.append(request.url)
            if held_requests is not None:
                held_requests.append(request)
            r.fulfill(status=204, body="")
        else:
            r.fallback()

    page.route("**/*", route)
    found: dict[str, str] = {}
    seen_before = {url for url, _ in _anchors(page)}
    states = 1
    try:
        for step in range(MAX_STATES + 1):
            before = len(found)
            for url, text in _anchors(page):
                if url not in seen_before:
                    found.setdefault(url, text)
            for url, text in _script_links(page, held, timeout_ms):
                found.setdefault(url, text)
            if step == MAX_STATES:
                break
            pager = _pager(page, step)
            if pager is None:
                break
            state["hold"] = False  # a postback pager navigates: let it
            try:
                pager.click(timeout=timeout_ms)
                _settle(page, seen_before | set(found), timeout_ms)
            except Exception:  # noqa: BLE001 - a pager that will not click ends the walk
                break
            finally:
                state["hold"] = True
            new = {url for url, _ in _anchors(page)} - seen_before - set(found)
            if not new and len(found) == before and step > 0:
                break
            states += 1
    finally:
        try:
            page.unroute("**/*", route)
            page.wait_for_load_state("load", timeout=timeout_ms)
        except Exception:  # noqa: BLE001
            pass
    return list(found.items()), states


def _settle(page, known: set[str], timeout_ms: int) -> None:
    """Wait until a pager click has shown something new (a form submit navigates, a "load
    more" inserts records), or a short while if it shows nothing."""
    for _ in range(40):
        page.wait_for_timeout(25)
        try:
            page.wait_for_load_state("load", timeout=timeout_ms)
        except Exception:  # noqa: BLE001 - still navigating: look again
            continue
        if {url for url, _ in _anchors(page)} - known:
            page.wait_for_timeout(25)
            return


def _anchors(page) -> list[tuple[str, str]]:
    try:
        pairs = page.eval_on_selector_all("a[href]", _ANCHORS)
    except Exception:  # noqa: BLE001 - a page navigating away has no anchors to read
        return []
    return [(u, (t or "").strip()) for u, t in pairs
            if u and u.startswith(("http://", "https://"))]


def _worth(text: str) -> bool:
    return title_kind(text) in (TitleKind.REPORT, TitleKind.AMBIGUOUS, TitleKind.COLUMN) or \
        hub_score(text, in_reports=True) > 0


def _script_links(page, held: list[str], timeout_ms: int) -> list[tuple[str, str]]:
    out = []
    try:
        page.evaluate(_HOLD_OPEN)
        elements = page.query_selector_all("a[href^='javascript:'], a[onclick], [onclick]")
    except Exception:  # noqa: BLE001
        return out
    for element in elements[:MAX_SCRIPT_LINKS]:
        try:
            text = (element.inner_text() or "").strip()
            if not text or text in _NEXT or text.isdigit() or not _worth(text):
                continue
            held.clear()
            page.evaluate("() => { window.__nbOpened = []; }")
            element.click(timeout=min(timeout_ms, 3000), no_wait_after=True)
            opened: list[str] = []
            for _ in range(10):  # the navigation request reaches the route a moment later
                page.wait_for_timeout(15)
                opened = page.evaluate("() => window.__nbOpened || []")
                if held or opened:
                    break
        except Exception:  # noqa: BLE001 - a handler that throws reveals nothing
            continue
        for url in [*held, *opened]:
            out.append((urljoin(page.url, url), text))
    return out


def _pager(page, step: int):
    """The control that shows the next state of the list, if it is script-driven."""
    try:
        candidates = page.query_selector_all("a, button, input[type=button], span[onclick], "
                                             "div[onclick], li[onclick]")
    except Exception:  # noqa: BLE001
        return None
    numbered = None
    for element in candidates:
        try:
            text = (element.inner_text() or element.get_attribute("value") or "").strip()
            if not text or len(text) > 8:
                continue
            if text in _NEXT or text.isdigit() and int(text) == step + 2:
                if not element.is_visible() or not element.evaluate(_SCRIPTED):
                    continue
                if text in _NEXT:
                    return element
                numbered = numbered or element
        except Exception:  # noqa: BLE001
            continue
    return numbered
