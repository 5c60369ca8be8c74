"""A portal as the crawler sees it (nianbao's config loader builds these from TOML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache


@dataclass(frozen=True)
class Portal:
    name: str
    start_urls: tuple[str, ...]
    allowed_hosts: tuple[str, ...]
    agency: str | None = None
    render: str = "auto"  # "auto" | "always" | "never"
    max_pages: int = 2000
    requests_per_second: float = 1.0
    options: dict = field(default_factory=dict, compare=False)

    def allows(self, url: str) -> bool:
        """Whether a URL is on one of the portal's hosts (``host`` on its default ports,
        or ``host:port``); crawler.scope checks it again before anything is sent."""
        return _scope(self.allowed_hosts).url_refusal("", url) is None


@lru_cache(maxsize=256)
def _scope(allowed_hosts: tuple[str, ...]):
    from .scope import Scope

    return Scope({"": allowed_hosts})
