"""In-process unit tests: strict decoding, bexpr filters, CLI (contract §0.1, §0.5)."""

from __future__ import annotations

import httpx
import pytest

from devagent import AgentConfig, DevAgentApp, jsonout
from devagent.bexpr import compile_filter
from devagent.cli import config_from_args
from devagent.decode import DecodeError, decode_body
from devagent.errors import ApiError
from devagent.schemas import SERVICE_DEFINITION


def test_decoder_case_insensitive_and_strict() -> None:
    """§0.1: keys match case-insensitively, aliases translate, nulls are "unset", unknown keys fail."""
    body = b'{"nAmE": "x", "enable_tag_override": true, "Meta": null, "checks": [{"ttl": 5000000000}]}'
    decoded = decode_body(body, SERVICE_DEFINITION)
    assert decoded == {"Name": "x", "EnableTagOverride": True, "Checks": [{"TTL": 5_000_000_000}]}
    with pytest.raises(DecodeError, match='json: unknown field "Bogus"'):
        decode_body(b'{"Name": "x", "Check": {"Bogus": 1}}', SERVICE_DEFINITION)
    with pytest.raises(DecodeError, match="^EOF$"):
        decode_body(b"  ", SERVICE_DEFINITION)
    with pytest.raises(
        DecodeError, match="cannot unmarshal number 1.5 into Go struct field ServiceDefinition.Port"
    ):
        decode_body(b'{"Port": 1.5}', SERVICE_DEFINITION)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("Service == web", True),
        ('Service != "web"', False),
        ("a in Tags", True),
        ('"z" not in Tags', True),
        ("Meta.env == prod and Port == 80", True),
        ("Meta.missing is empty", True),
        ("Tags is not empty", True),
        ('Service matches "^w.b$"', True),
        ("not (Port == 80) or Service == api", False),
        ("Checks.Status == critical", True),
        ("Service contains eb", True),
    ],
)
def test_bexpr_operators_and_selectors(expr: str, expected: bool) -> None:
    """§0.5: the filter parameter's go-bexpr operators evaluate like Consul's."""
    obj = {
        "Service": "web",
        "Tags": ["a", "b"],
        "Meta": {"env": "prod"},
        "Port": 80,
        "Checks": [{"Status": "passing"}, {"Status": "critical"}],
    }
    assert compile_filter(expr)(obj) is expected


def test_bexpr_syntax_and_selector_errors() -> None:
    """§0.5: a syntax error or an unknown selector is a 400 naming the reason."""
    with pytest.raises(ApiError) as exc:
        compile_filter("Service ==")({"Service": "x"})
    assert exc.value.status == 400
    with pytest.raises(ApiError, match='Selector "Nope" is not valid'):
        compile_filter("Nope == 1")({"Service": "x"})


def test_cli_defaults_match_consul_and_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """§1: defaults are Consul's dev values; DEVAGENT_* variables and flags override them."""
    cfg = config_from_args(["--port", "9999"])
    assert (cfg.port, cfg.host, cfg.check_reap_interval, cfg.deregister_min, cfg.check_update_interval) == (
        9999,
        "127.0.0.1",
        30.0,
        60.0,
        300.0,
    )
    assert (cfg.default_query_time, cfg.max_query_time, cfg.immediate_first_check) == (300.0, 600.0, False)
    monkeypatch.setenv("DEVAGENT_CHECK_REAP_INTERVAL", "250ms")
    monkeypatch.setenv("DEVAGENT_IMMEDIATE_FIRST_CHECK", "1")
    cfg = config_from_args(["--deregister-min", "2s", "--host", "0.0.0.0", "--node", "n1"])
    assert (cfg.check_reap_interval, cfg.deregister_min, cfg.immediate_first_check) == (0.25, 2.0, True)
    assert (cfg.host, cfg.node_name) == ("0.0.0.0", "n1")


async def test_in_process_asgi_compact_json_and_pretty_param() -> None:
    """§0.2: bodies are compact by default; ?pretty indents like dev mode (in-process ASGI app)."""
    app = DevAgentApp(AgentConfig(pretty=False, node_name="unit"))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://agent") as h:
            r = await h.put("/v1/agent/service/register", content=b'{"Name": "u", "Tags": ["t"]}')
            assert r.status_code == 200 and r.content == b""
            r = await h.get("/v1/catalog/services")
            assert r.text == '{"consul":[],"u":["t"]}\n'
            r = await h.get("/v1/catalog/services?pretty")
            assert r.text == '{\n    "consul": [],\n    "u": [\n        "t"\n    ]\n}\n'
    finally:
        await app.shutdown()
        jsonout.configure(False)  # the encoding mode is process-wide


async def test_watch_hub_wakes_all_and_forgets_unwatched_keys() -> None:
    """§6: one event per key wakes all its waiters; timed-out waiters leave no event behind."""
    import asyncio

    from devagent.watch import WatchHub

    hub = WatchHub()
    timed_out = await asyncio.gather(
        *[hub.wait(["svc:a"], 0.02) for _ in range(20)], hub.wait(["b", "c"], 0.02)
    )
    assert not any(timed_out) and hub.waiting_keys() == 0
    waiters = [asyncio.create_task(hub.wait(["svc:x"], 5)) for _ in range(50)]
    waiters.append(asyncio.create_task(hub.wait(["svc:x", "extinction"], 5)))
    other = asyncio.create_task(hub.wait(["svc:y"], 0.3))
    await asyncio.sleep(0.01)
    hub.notify(["svc:x"])
    assert all(await asyncio.gather(*waiters))
    assert await other is False and hub.waiting_keys() == 0
