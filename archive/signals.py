"""Scrapy signals the archive sends, so other components can react without reaching in."""

#: Sent after an exchange is written: ``request``, ``response``, ``exchange`` (HttpExchange),
#: ``response_record`` and ``request_record`` (RecordLocation).
exchange_archived = object()
