"""A small site on 127.0.0.1 for crawl tests: a dict of pages, swappable while it runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# path -> (status, body) or (status, content type, body)
Page = tuple[int, bytes] | tuple[int, str, bytes]
NOT_FOUND: Page = (404, b"not found")


def _content_type(path: str) -> str:
    return "text/plain" if path.endswith(".txt") else "text/html; charset=utf-8"


class PageServer:
    """Serves ``pages`` (replace the dict at any time); ``before`` runs ahead of each answer,
    so a test can hold a request open or count what was asked."""

    def __init__(self, pages: dict[str, Page] | None = None,
                 before: Callable[[str], None] | None = None) -> None:
        self.pages: dict[str, Page] = pages or {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if before:
                    before(self.path)
                page = site.pages.get(self.path, NOT_FOUND)
                status, body = page[0], page[-1]
                content_type = page[1] if len(page) == 3 else _content_type(self.path)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                # A client that gave up (a crawler's timeout) breaks the pipe: expected in
                # the tests that time requests out, not worth a traceback on stderr.
                import sys

                if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> PageServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
