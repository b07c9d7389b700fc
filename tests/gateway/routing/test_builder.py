from __future__ import annotations

from types import MappingProxyType

from gateway.discovery import Instance
from gateway.routing import RouteTableBuilder


def inst(service: str, n: int, tags: tuple[str, ...] = (), **meta: str) -> Instance:
    return Instance(service, f"{service}-{n}", "127.0.0.1", 9000 + n, tags=tags, meta=MappingProxyType(meta))


def messages(table: object) -> list[str]:
    return [str(e) for e in table.errors]  # type: ignore[attr-defined]


def test_routes_from_tags_and_conflicts() -> None:
    builder = RouteTableBuilder(reserved=frozenset({"api", "svc"}))
    table = builder.build(
        {
            "b-svc": (inst("b-svc", 1, ("urlprefix-/shop",)),),
            "a-svc": (inst("a-svc", 1, ("urlprefix-/shop", "urlprefix-/a strip=/a")),),
            "c-svc": (inst("c-svc", 1, ("urlprefix-/api/x", "urlprefix-/bad proto=tcp")),),
        }
    )
    assert table.prefixes.lookup("/shop/1").service == "a-svc"  # type: ignore[union-attr]
    assert table.prefixes.lookup("/a/x").strip == "/a"  # type: ignore[union-attr]
    errs = messages(table)
    assert any("b-svc" in e and "already served by 'a-svc'" in e for e in errs), errs
    assert any("gateway's own routes" in e for e in errs), errs
    assert any("proto=tcp" in e for e in errs), errs
    assert len(errs) == 3


def test_policy_precedence_kv_meta_tag() -> None:
    builder = RouteTableBuilder()
    services = {
        "web": (
            inst("web", 1, ("gateway.max_in_flight=1", "gateway.rate=1"), **{"gateway-max_in_flight": "2"}),
        )
    }
    table = builder.build(services, {"web": {"max_in_flight": 3}})
    policy = table.rules["web"].policy
    assert policy.max_in_flight == 3 and policy.rate is not None and policy.rate.rate == 1.0
    assert builder.build(services).rules["web"].policy.max_in_flight == 2


def test_split_with_unknown_version_is_ignored() -> None:
    builder = RouteTableBuilder()
    services = {
        "m": (
            inst("m", 1, ("version:v1",), **{"gateway-split": "v1:90,v3:10", "gateway-max_in_flight": "5"}),
            inst("m", 2, ("version:v2",), **{"gateway-split": "v1:90,v3:10", "gateway-max_in_flight": "5"}),
        )
    }
    table = builder.build(services)
    rules = table.rules["m"]
    assert rules.policy.split == () and rules.policy.max_in_flight == 5
    assert set(rules.versions) == {"v1", "v2"}
    assert len(messages(table)) == 1 and "unknown versions ['v3']" in messages(table)[0]


def test_meta_disagreement_is_listed() -> None:
    table = RouteTableBuilder().build(
        {"w": (inst("w", 1, **{"gateway-rate": "5"}), inst("w", 2, **{"gateway-rate": "9"}))}
    )
    assert table.rules["w"].policy.rate.rate == 5.0  # type: ignore[union-attr]
    assert "instances disagree" in messages(table)[0]


def test_plain_service_has_no_rules_and_results_are_reused() -> None:
    builder = RouteTableBuilder()
    plain = (inst("p", 1),)
    tagged = (inst("t", 1, ("urlprefix-/t",)),)
    first = builder.build({"p": plain, "t": tagged})
    assert "p" not in first.rules and first.errors == ()
    second = builder.build({"p": plain, "t": tagged})
    assert second.prefixes.lookup("/t") == first.prefixes.lookup("/t")
    assert builder.build({"p": plain}).prefixes.lookup("/t") is None  # tag gone → route gone


def test_each_bad_declaration_logged_once(caplog: object) -> None:
    import logging

    builder = RouteTableBuilder()
    bad = {"b": (inst("b", 1, ("urlprefix-/x proto=tcp",), **{"gateway-rate": "-1"}),)}
    with caplog.at_level(logging.WARNING, logger="gateway.routing"):  # type: ignore[attr-defined]
        for _ in range(3):
            table = builder.build({**bad, "ok": (inst("ok", 1, ("urlprefix-/ok",)),)})
    lines = [r.getMessage() for r in caplog.records]  # type: ignore[attr-defined]
    assert len(lines) == 2 and all(line.startswith("ignored declaration: service 'b'") for line in lines)
    assert table.prefixes.lookup("/ok") is not None  # the other service's route is served
