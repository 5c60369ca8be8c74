"""Bundled demo portals: two in-process government-portal look-alikes serving five real reports.

They give the crawler, archiver and parser an end-to-end target that needs no network, and
their content is rendered from hand-checked seed values, independently of ``parsers``.
"""
