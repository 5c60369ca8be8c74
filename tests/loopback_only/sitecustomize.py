"""The test suite's network guard (issue 16): no test sends a packet beyond 127.0.0.0/8.

tests/conftest.py installs it in the test process and puts this folder first on
PYTHONPATH, so every Python process a test starts (`nianbao crawl` and the rest) imports it
at start-up as ``sitecustomize``. A connect or sendto to any address outside loopback is
refused with an error and written to the file named by NIANBAO_TEST_NET_LOG; the suite's
autouse fixture fails the test that caused it (a crawler that records the refusal as a
fetch error would otherwise let the test pass).
"""

from __future__ import annotations

import ipaddress
import os
import socket


class NonLoopbackConnect(ConnectionRefusedError):
    """A test tried to reach an address outside 127.0.0.0/8 (or ::1)."""


def _loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, bytes):
        host = host.decode("latin-1")
    if not isinstance(host, str):
        return False
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a name would be resolved by the C library: not allowed either
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _refuse(sock: socket.socket, address) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or _loopback(address):
        return
    message = f"pid {os.getpid()}: a connection to {address!r} outside loopback"
    log = os.environ.get("NIANBAO_TEST_NET_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(message + "\n")
    raise NonLoopbackConnect(message)


def install() -> None:
    if getattr(socket.socket, "_nianbao_guarded", False):
        return
    connect, connect_ex, sendto = (socket.socket.connect, socket.socket.connect_ex,
                                   socket.socket.sendto)

    def guarded_connect(self, address):
        _refuse(self, address)
        return connect(self, address)

    def guarded_connect_ex(self, address):
        _refuse(self, address)
        return connect_ex(self, address)

    def guarded_sendto(self, data, *args):
        _refuse(self, args[-1])
        return sendto(self, data, *args)

    socket.socket.connect = guarded_connect
    socket.socket.connect_ex = guarded_connect_ex
    socket.socket.sendto = guarded_sendto
    socket.socket._nianbao_guarded = True


if os.environ.get("NIANBAO_TEST_NET_LOG"):
    install()
