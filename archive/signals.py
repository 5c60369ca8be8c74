"""Scrapy signals the archive sends and listens to, so components react without reaching in."""

#: Sent after an exchange is written: ``request``, ``response`` (None for the exchanges of a
#: browser capture), ``exchange`` (HttpExchange), ``response_record`` (RecordLocation of the
#: response, or of the revisit that stands for it: see its ``record_type``) and
#: ``request_record``.
exchange_archived = object()

#: Sent after a browser capture's rendered DOM is written: ``request``, ``url``, ``record``
#: (RecordLocation of the resource record), ``fetched_at``.
resource_archived = object()

#: Send this (``url``, ``record_id`` of the document's record, ``fields``: a JSON-able dict)
#: after parsing a document: the archive writes it as a metadata record referring to the
#: document, then sends ``metadata_archived`` (``url``, ``record``).
document_parsed = object()
metadata_archived = object()
