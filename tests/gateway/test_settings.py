"""Gateway settings validation (unit tests)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.settings import GatewaySettings


def test_settings_validation_and_exclusions(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="unknown balancer"):
        GatewaySettings(gateway_balancer="fastest")
    with pytest.raises(ValidationError):
        GatewaySettings(eject_max_share=2)
    monkeypatch.setenv("DISCOVERY_EXCLUDE", "legacy, internal")
    s = GatewaySettings()
    assert s.excluded_services() == {"consul", "gateway", "legacy", "internal"}
    assert GatewaySettings(gateway_route_to_self=True).excluded_services() == {"consul", "legacy", "internal"}
