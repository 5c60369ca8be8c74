"""The error a user fixes: bad usage or configuration (exit status 2, one line, no
traceback). Its own module so that raising or catching it imports nothing else."""

from __future__ import annotations


class ConfigError(ValueError):
    """A config file or option that cannot be used; the message is one line naming the
    problem."""
