"""servicekit.address: the advertised address on a laptop and on a network."""

from __future__ import annotations

from servicekit import advertised_address, route_source_address


def test_explicit_address_wins() -> None:
    assert advertised_address("10.9.8.7", "0.0.0.0", "127.0.0.1", 8500) == "10.9.8.7"


def test_specific_bind_address_is_advertised() -> None:
    assert advertised_address(None, "127.0.0.1", "consul", 8500) == "127.0.0.1"


def test_loopback_consul_gives_loopback() -> None:
    assert route_source_address("127.0.0.1") == "127.0.0.1"
    assert advertised_address(None, "0.0.0.0", "localhost", 8500) == "127.0.0.1"


def test_unresolvable_consul_falls_back_to_loopback() -> None:
    assert route_source_address("no-such-host.invalid") == "127.0.0.1"


def test_route_to_a_non_loopback_address_is_a_local_interface_address() -> None:
    import socket

    addr = route_source_address("192.0.2.1")  # TEST-NET-1: a UDP connect() sends nothing
    # Either a real interface address (a default route exists) or the loopback fallback.
    socket.inet_aton(addr)
    assert addr == "127.0.0.1" or not addr.startswith("127.")
