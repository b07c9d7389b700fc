"""orchestrator.core_caller: the core's typed upstream errors become node errors with the real instance."""

from __future__ import annotations

from gateway.orchestrator.core_caller import _map
from gateway.upstream.errors import NoHealthyInstance, UpstreamTimeout, UpstreamUnavailable


def test_no_instance_names_no_instance() -> None:
    err = _map(NoHealthyInstance("echo-service", "no healthy instance of service 'echo-service'"))
    assert err.kind == "no_instance"
    assert err.instance is None  # nothing was tried: no made-up address


def test_connect_failure_names_the_instance_tried() -> None:
    exc = UpstreamUnavailable(
        "echo", "cannot connect to 'echo' instance 10.0.0.7:81: refused", instance="10.0.0.7:81"
    )
    exc.attempts = 3
    err = _map(exc)
    assert (err.kind, err.instance, err.attempts) == ("unavailable", "10.0.0.7:81", 3)


def test_timeout_kind() -> None:
    err = _map(UpstreamTimeout("echo", "did not answer in time", instance="127.0.0.1:9"))
    assert (err.kind, err.instance) == ("timeout", "127.0.0.1:9")
