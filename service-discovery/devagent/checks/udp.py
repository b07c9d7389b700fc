"""UDP checks (Consul's CheckUDP): send an empty datagram (Consul's Message is empty); an answer or
a read timeout is passing, an ICMP "port unreachable" (connection refused) or other socket error is
critical."""

from __future__ import annotations

import asyncio
import socket

from ..model import CRITICAL, PASSING

__all__ = ["udp_probe"]


async def udp_probe(addr: str, timeout_s: float) -> tuple[str, str]:
    host, _, port_text = addr.rpartition(":")
    host = host.strip("[]")
    success = f"UDP connect {addr}: Success"
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, int(port_text), type=socket.SOCK_DGRAM)
        family, _, _, _, sockaddr = infos[0]
        sock = socket.socket(family, socket.SOCK_DGRAM)
    except (OSError, ValueError) as exc:
        return CRITICAL, f"dial udp {addr}: {exc}"
    with sock:
        sock.setblocking(False)
        try:
            sock.connect(sockaddr)
            sock.send(b"")  # asyncio transports drop empty datagrams, so use the socket directly
            local = "{}:{}".format(*sock.getsockname()[:2])
        except OSError as exc:
            return CRITICAL, f"dial udp {addr}: {exc}"
        try:
            async with asyncio.timeout(timeout_s):
                await loop.sock_recv(sock, 1)
        except TimeoutError:
            return PASSING, success  # Consul counts a read timeout as success (UDP is connectionless)
        except ConnectionRefusedError:
            return CRITICAL, f"read udp {local}->{addr}: recvfrom: connection refused"
        except OSError as exc:
            return CRITICAL, f"read udp {local}->{addr}: {exc}"
    return PASSING, success
