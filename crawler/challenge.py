"""Script challenges and interstitials: pages that stand in front of the real page.

Anti-bot front ends (瑞数 ``$_ts``, 加速乐 ``__jsluid``, "请稍候" waiting pages) answer a
first visit with a small page whose script sets a cookie and reloads. Such a page is never
the report page: it is recognised here, counted per host, never parsed or stored as a
document, and handed to the browser (which runs the script and earns the cookie) or, if
that is not allowed or does not help, the portal is recorded as blocked with the URL.
"""

from __future__ import annotations

import re

from scrapy.http import Response

CHALLENGE_STATUSES = (202, 412, 521)
SMALL = 16_384  # challenge pages are small: a script, no content
_WAIT = "请稍候"
_MARKERS = re.compile(b"|".join([rb"\$_ts", rb"__jsluid", rb"__jsl_clearance", rb"acw_sc__v2",
                                 rb"_waf_", rb"challenge", re.escape(_WAIT.encode("utf-8")),
                                 re.escape(_WAIT.encode("gb18030"))]), re.I)
_COOKIE_SCRIPT = re.compile(rb"document\.cookie\s*=", re.I)
_RELOAD = re.compile(rb"location(\.href|\.replace|\.reload|\s*=)", re.I)


def is_challenge(response: Response) -> bool:
    """Whether a response is a script challenge or interstitial rather than content."""
    body = response.body or b""
    if len(body) > SMALL:
        return False
    head = body[:SMALL]
    has_script = b"<script" in head.lower()
    if response.status in CHALLENGE_STATUSES and has_script and (
            _COOKIE_SCRIPT.search(head) or _MARKERS.search(head) or _RELOAD.search(head)):
        return True
    # a 200 interstitial: a tiny page that only sets a cookie and reloads
    return bool(has_script and _COOKIE_SCRIPT.search(head) and _RELOAD.search(head)
                and len(re.sub(rb"<script.*?</script>|<[^>]+>|\s", b"", head, flags=re.S)) < 200)
