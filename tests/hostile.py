"""Loopback servers that misbehave on purpose (issue 16): redirects off the portal, other
hosts on 127.0.0.2 and 127.0.0.3, broken chunked framing, Retry-After, gzip bombs.

Each answer is scripted per path as raw bytes (head and body exactly as sent) or as a
callable returning them, and every request is logged with its arrival time, so a test can
assert that a host was never asked.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

Answer = bytes | Callable[[str], bytes]


def http(status: int, body: bytes = b"", *, content_type: str = "text/html; charset=utf-8",
         headers: dict[str, str] | None = None, reason: str = "X") -> bytes:
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def page(html: str) -> bytes:
    return http(200, f"<html><head><meta charset='utf-8'></head><body>{html}</body></html>"
                .encode())


ROBOTS = http(200, b"User-agent: *\nAllow: /\n", content_type="text/plain")


class HostileServer:
    """Answers ``answers[path]`` (404 otherwise) on ``address``; closes after each answer."""

    def __init__(self, answers: dict[str, Answer] | None = None,
                 address: str = "127.0.0.1") -> None:
        self.answers: dict[str, Answer] = {"/robots.txt": ROBOTS, **(answers or {})}
        self.sock = socket.create_server((address, 0))
        self.host = f"{address}:{self.sock.getsockname()[1]}"
        self.requests: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}{path}"

    def paths(self) -> list[str]:
        with self._lock:
            return [p for _, p in self.requests]

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            path = data.split(b" ", 2)[1].decode("latin-1")
            with self._lock:
                self.requests.append((time.monotonic(), path))
            answer = self.answers.get(path, http(404, b"not found"))
            if callable(answer):
                answer = answer(path)
            try:
                conn.sendall(answer)
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
