"""Bundled demo portals: two in-process government-portal look-alikes serving five real reports.

They give the crawler, archiver and parser an end-to-end target that needs no network, and
their content is rendered from hand-checked seed values, independently of ``parsers``.
"""

from nianbao.demo.portals import DemoPortal, DemoPortals, DemoReport
from nianbao.demo.render import render_report_docx, render_report_html, report_title
from nianbao.demo.seeds import Seed, load_seeds

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
