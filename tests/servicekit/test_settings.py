"""servicekit.settings: Consul address precedence, durations, tags/meta parsing."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from servicekit import ConsulAddress, ServiceSettings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "CONSUL_HTTP_ADDR",
        "SERVICE_DISCOVERY_URL",
        "CONSUL_HTTP_TOKEN",
        "SERVICE_TAGS",
        "SERVICE_META",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir("/")  # no stray .env


def test_default_consul_address_is_local_agent() -> None:
    assert ServiceSettings().consul.url == "http://127.0.0.1:8500"


def test_seed_variable_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_DISCOVERY_URL", "http://service-discovery:8500")
    addr = ServiceSettings().consul
    assert (addr.scheme, addr.host, addr.port) == ("http", "service-discovery", 8500)


def test_consul_http_addr_wins_over_seed_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_DISCOVERY_URL", "http://service-discovery:8500")
    monkeypatch.setenv("CONSUL_HTTP_ADDR", "10.1.2.3:9500")  # Consul's form has no scheme
    assert ServiceSettings().consul.url == "http://10.1.2.3:9500"


def test_token_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSUL_HTTP_TOKEN", "s3cr3t")
    settings = ServiceSettings()
    assert settings.consul_token == "s3cr3t"
    assert "s3cr3t" not in repr(settings)


def test_bad_consul_address_is_rejected() -> None:
    with pytest.raises(ValueError, match="invalid Consul address"):
        ConsulAddress("ftp://x")


def test_bad_check_interval_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECK_INTERVAL", "often")
    with pytest.raises(ValidationError, match="check_interval"):
        ServiceSettings()


def test_tags_and_meta_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_TAGS", "a, b,,c")
    monkeypatch.setenv("SERVICE_META", "model=RF, zone = eu")
    settings = ServiceSettings()
    assert settings.service_tags == ["a", "b", "c"]
    assert settings.service_meta == {"model": "RF", "zone": "eu"}


def test_bad_meta_names_the_item(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_META", "novalue")
    with pytest.raises(ValidationError, match="novalue"):
        ServiceSettings()


def test_instance_id_default_and_explicit() -> None:
    settings = ServiceSettings(service_name="echo", service_port=9000)
    assert settings.instance_id("10.0.0.5") == "echo-10.0.0.5-9000"
    assert ServiceSettings(service_id="fixed").instance_id("x") == "fixed"
