"""Yearly re-crawls with change detection: APScheduler 3 jobs stored in the project
database (``scheduler.jobs``) and the per-identity change log (``scheduler.changes``)."""
