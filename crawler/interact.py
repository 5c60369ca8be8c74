"""What a rendered page reveals only when used: links built by script, and pagers.

Run inside the browser thread on a loaded Playwright page (crawler.browser):

- **script-built links** (``href="javascript:openDetail('…')"``, ``onclick="…"``) whose text
  is worth following are clicked with navigation held back: the page's own handler runs, and
  the address it tries to open (``location.href = …``, ``window.open(…)``, a form submit) is
  read from the browser's ``navigate`` event (the Navigation API), which is then cancelled,
  so the page stays where it is and nothing is sent;
- **pagers** driven by script (ASP.NET ``__doPostBack``, "加载更多", "下一页" or a page
  number with a script handler) are clicked one state after another, until a state adds no
  new link or the bound is reached; what each state lists is collected.

Every response the browser receives meanwhile is in the page's capture, so it is archived.
All element work happens in page scripts, one round trip per step: a Playwright call per
element would cost more than the page.
"""

from __future__ import annotations

from urllib.parse import urljoin

from nianbao.parsers.titles import TitleKind, hub_score, title_kind

MAX_STATES = 30  # pager clicks per page
MAX_SCRIPT_LINKS = 120  # script links resolved per page state
_NEXT = ("下一页", "下页", "加载更多", "点击加载更多", "查看更多", "更多", "下一頁", "next", "Next",
         ">", "›", "»", ">>")

_ANCHORS = """() => Array.from(document.querySelectorAll('a[href]')).map(a =>
  [a.href, (a.title && a.title.length > a.innerText.length) ? a.title : a.innerText])"""
# Navigations are recorded and cancelled while window.__nbHold is set; window.open is held.
_HOLD = """() => {
  if (window.__nbInstalled) return true;
  window.__nbInstalled = true;
  window.__nbHold = true;
  window.__nbNavs = [];
  window.open = function (u) { window.__nbNavs.push(String(u)); return null; };
  if (!window.navigation) return false;
  navigation.addEventListener('navigate', e => {
    if (!window.__nbHold) return;
    window.__nbNavs.push(e.destination.url);
    if (e.cancelable) e.preventDefault();
  });
  return true;
}"""
_CANDIDATES = """() => Array.from(document.querySelectorAll(
    "a[href^='javascript:'], [onclick]")).map((el, i) => {
  el.setAttribute('data-nb-link', String(i));
  return [i, (el.innerText || el.value || '').trim()];
})"""
_RESOLVE = """async (indexes) => {
  const out = [];
  window.__nbHold = true;
  for (const i of indexes) {
    const el = document.querySelector('[data-nb-link="' + i + '"]');
    if (!el) continue;
    const before = window.__nbNavs.length;
    try { el.click(); } catch (e) { continue; }
    // a javascript: URL runs as a task after the click: give it a few turns
    for (let k = 0; k < 10 && window.__nbNavs.length === before; k++)
      await new Promise(r => setTimeout(r, 5));
    out.push([i, window.__nbNavs.slice(before)]);
  }
  return out;
}"""
_PAGER = """([words, wanted]) => {
  const scripted = el => {
    const href = (el.getAttribute('href') || '').trim();
    return href.startsWith('javascript:') || href === '#' || href === '' ||
           el.hasAttribute('onclick') || el.tagName !== 'A';
  };
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
                        && getComputedStyle(el).display !== 'none';
  let numbered = null;
  for (const el of document.querySelectorAll(
      "a, button, input[type=button], span[onclick], div[onclick], li[onclick]")) {
    const text = (el.innerText || el.value || '').trim();
    if (!text || text.length > 8 || !scripted(el) || !visible(el)) continue;
    if (words.includes(text)) { numbered = el; break; }
    if (text === String(wanted) && numbered === null) numbered = el;
  }
  if (!numbered) return false;
  window.__nbHold = false;  // a postback pager navigates: let it
  numbered.click();
  return true;
}"""


def interact(page, timeout_ms: int) -> tuple[list[tuple[str, str]], int]:
    """(URL, text) of the links the page revealed when used, beyond its first DOM, and how
    many list states (1 + pager clicks that showed something new) the page went through."""
    found: dict[str, str] = {}
    seen_before = {url for url, _ in _anchors(page)}
    states = 1
    for step in range(MAX_STATES + 1):
        before = len(found)
        for url, text in _anchors(page):
            if url not in seen_before:
                found.setdefault(url, text)
        for url, text in _script_links(page):
            found.setdefault(url, text)
        if step == MAX_STATES:
            break
        try:
            if not page.evaluate(_PAGER, [list(_NEXT), step + 2]):
                break
        except Exception:  # noqa: BLE001 - a pager that will not click ends the walk
            break
        _settle(page, seen_before | set(found), timeout_ms)
        new = {url for url, _ in _anchors(page)} - seen_before - set(found)
        if not new and len(found) == before:
            break
        states += 1
    try:
        page.wait_for_load_state("load", timeout=timeout_ms)
    except Exception:  # noqa: BLE001
        pass
    return list(found.items()), states


def _settle(page, known: set[str], timeout_ms: int) -> None:
    """Wait until a pager click has shown something new (a form submit navigates, a "load
    more" inserts records), or a short while if it shows nothing."""
    for _ in range(20):
        page.wait_for_timeout(25)
        try:
            page.wait_for_load_state("load", timeout=timeout_ms)
        except Exception:  # noqa: BLE001 - still navigating: look again
            continue
        if {url for url, _ in _anchors(page)} - known:
            return


def _anchors(page) -> list[tuple[str, str]]:
    try:
        pairs = page.evaluate(_ANCHORS)
    except Exception:  # noqa: BLE001 - a page navigating away has no anchors to read
        return []
    return [(u, (t or "").strip()) for u, t in pairs
            if u and u.startswith(("http://", "https://"))]


def _worth(text: str) -> bool:
    return title_kind(text) in (TitleKind.REPORT, TitleKind.AMBIGUOUS, TitleKind.COLUMN) or \
        hub_score(text, in_reports=True) > 0


def _script_links(page) -> list[tuple[str, str]]:
    try:
        if not page.evaluate(_HOLD):
            return []  # no Navigation API: the navigations could not be held back
        candidates = page.evaluate(_CANDIDATES)
    except Exception:  # noqa: BLE001
        return []
    texts = {i: t for i, t in candidates
             if t and t not in _NEXT and not t.isdigit() and _worth(t)}
    if not texts:
        return []
    try:
        resolved = page.evaluate(_RESOLVE, list(texts)[:MAX_SCRIPT_LINKS])
    except Exception:  # noqa: BLE001 - a handler that throws reveals nothing
        return []
    return [(urljoin(page.url, url), texts[i]) for i, urls in resolved for url in urls]
