"""CPU per request of ``ServiceClient.request`` alone: an in-process keep-alive upstream, one
connection, sequential POSTs, after a warm-up. Compare two versions of the client side by side
(A/B, alternating, several times: the machine is shared) by pointing PYTHONPATH at an export:

    git archive <commit> gateway/gateway | tar -x -C /tmp/a
    PYTHONPATH=/tmp/a/gateway uv run python bench/gateway/client_cpu.py 20000
    uv run python bench/gateway/client_cpu.py 20000
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time

import uvloop

from gateway.balancing import Balancer
from gateway.discovery import Instance, RoutingTable
from gateway.upstream import Ejector, ServiceClient

RESPONSE = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}'


class Upstream(asyncio.Protocol):
    """Answers every request (head + Content-Length body) with RESPONSE."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, _, rest = self.buf.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if len(rest) < length:
                return
            self.buf = rest[length:]
            self.transport.write(RESPONSE)  # type: ignore[attr-defined]


async def main(n: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Upstream, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    instances = tuple(Instance(service="s", id=f"s{i}", address="127.0.0.1", port=port) for i in range(2))
    table = RoutingTable.build({"s": instances}, 1)
    client = ServiceClient(lambda: table, Balancer("random"), Ejector())
    body = b'{"a": 1}'
    headers = [(b"content-type", b"application/json"), (b"x-request-id", b"abc")]
    for _ in range(2000):
        await client.request("s", "POST", "/x", headers=headers, body=body)
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        resp = await client.request("s", "POST", "/x", headers=headers, body=body)
        assert resp.status == 200
    cpu1, wall1 = time.process_time(), time.perf_counter()
    print(f"{(cpu1 - cpu0) / n * 1e6:.1f} us cpu/req  {(wall1 - wall0) / n * 1e6:.1f} us wall/req")
    await client.close()
    server.close()


if __name__ == "__main__":
    uvloop.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000))
