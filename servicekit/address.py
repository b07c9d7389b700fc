"""Which address to advertise in Consul, so it is right in a container and on a laptop.

An explicit ``SERVICE_ADVERTISE_ADDRESS`` always wins. Otherwise the address is the
local end of a route towards Consul: with Consul on 127.0.0.1 (a laptop, ``make run``)
that is 127.0.0.1; in a container on a Docker network it is the container's IP on that
network, which Consul's HTTP check and the gateway can both reach.
"""

from __future__ import annotations

import ipaddress
import socket

__all__ = ["advertised_address", "route_source_address"]


def route_source_address(target_host: str, target_port: int = 8500) -> str:
    """Local IP the kernel would use to reach ``target_host`` (no packet is sent)."""
    try:
        infos = socket.getaddrinfo(target_host, target_port, socket.AF_INET, socket.SOCK_DGRAM)
    except socket.gaierror:
        return "127.0.0.1"
    target_ip = str(infos[0][4][0])
    if ipaddress.ip_address(target_ip).is_loopback:
        return "127.0.0.1"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect((target_ip, target_port))  # UDP connect only selects a route
            return str(sock.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def advertised_address(explicit: str | None, bind_host: str, consul_host: str, consul_port: int) -> str:
    """The address to register: explicit, else the bind address if specific, else the route to Consul."""
    if explicit:
        return explicit
    if bind_host not in ("0.0.0.0", "::", ""):
        return bind_host
    return route_source_address(consul_host, consul_port)
