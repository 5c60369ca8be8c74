"""Yearly re-crawls with change detection (APScheduler 3.x). Not built yet: see the issue
tracker; nothing imports this package so far."""
