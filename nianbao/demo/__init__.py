"""Bundled demo portals: two in-process government-portal look-alikes serving five real reports.

They give the crawler, archiver and parser an end-to-end target that needs no network, and
their content is rendered from hand-checked seed values, independently of ``parsers``.

Run them in the foreground with ``python -m nianbao.demo.portals [PORT PORT]``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nianbao.demo.portals import DemoPortal, DemoPortals, DemoReport
    from nianbao.demo.render import render_report_docx, render_report_html, report_title
    from nianbao.demo.seeds import Seed, load_seeds

# Resolved lazily (PEP 562) so that importing the package stays cheap and
# ``python -m nianbao.demo.portals`` does not import that module twice.
_EXPORTS = {
    "DemoPortal": "portals",
    "DemoPortals": "portals",
    "DemoReport": "portals",
    "Seed": "seeds",
    "load_seeds": "seeds",
    "render_report_docx": "render",
    "render_report_html": "render",
    "report_title": "render",
}

__all__ = [
    "DemoPortal",
    "DemoPortals",
    "DemoReport",
    "Seed",
    "load_seeds",
    "render_report_docx",
    "render_report_html",
    "report_title",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"nianbao.demo.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'nianbao.demo' has no attribute {name!r}")
