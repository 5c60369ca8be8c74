"""A portal as the crawler sees it (nianbao's config loader builds these from TOML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit


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
        """Whether a URL is on one of the portal's hosts (``host`` or ``host:port``)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        host = parts.hostname.lower()
        netloc = f"{host}:{parts.port}" if parts.port else host
        return any(allowed.lower() in (host, netloc) if ":" not in allowed
                   else allowed.lower() == netloc for allowed in self.allowed_hosts)
