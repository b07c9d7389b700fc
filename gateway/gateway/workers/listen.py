"""The listening socket of one worker: its own, bound with SO_REUSEPORT.

Every worker binds the same address and port; the kernel spreads incoming connections over
the workers' sockets by a hash of the connection (an even spread, unlike one shared socket
whose accept() goes to whichever process wakes first).
"""

from __future__ import annotations

import socket

__all__ = ["reuse_port_socket"]


def reuse_port_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock
