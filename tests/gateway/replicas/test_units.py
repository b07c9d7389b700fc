"""Unit tests of the replicas package (fakes allowed here: no Docker, no Consul)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.discovery import Instance, RoutingTable
from gateway.replicas import (
    LaunchSpec,
    ModelCatalog,
    ReplicaInfo,
    ReplicaLimit,
    ReplicaManager,
    ReplicaNotFound,
    ReplicaSettings,
    UnknownModel,
)


def test_catalog_reads_names_and_aliases(tmp_path: Path) -> None:
    (tmp_path / "LinearRegression.json").write_text(
        json.dumps({"name": "LinearRegression", "aliases": ["OLS"]})
    )
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "other.json").write_text(json.dumps(["no", "name"]))
    catalog = ModelCatalog.from_dir(tmp_path)
    assert catalog.names == ("LinearRegression",)
    assert catalog.resolve("linearregression") == "LinearRegression"
    assert catalog.resolve("ols") == "LinearRegression"
    assert catalog.resolve("XGBoost") is None


def test_repo_artifacts_are_the_default_catalog() -> None:
    from gateway.replicas.catalog import default_models_dir

    directory = default_models_dir()
    assert directory is not None
    assert "LinearRegression" in ModelCatalog.from_dir(directory).names


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("replica_memory", "lots"),
        ("replica_check_interval", "soon"),
        ("stack_name", "Bad Name"),
        ("gateway_runtime", "k8s"),
        ("replica_cpus", "0"),
    ],
)
def test_settings_reject_bad_values(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as err:
        ReplicaSettings(**{field: value})
    assert field in str(err.value)


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_RUNTIME", "process")
    monkeypatch.setenv("REPLICA_MODELS", "A, B")
    monkeypatch.setenv("REPLICA_MEMORY", "1G")
    s = ReplicaSettings()
    assert s.gateway_runtime == "process" and s.replica_models == ["A", "B"] and s.replica_memory == "1g"


class FakeBackend:
    """In-memory backend; launched replicas appear in the table right away."""

    kind = "fake"
    stack = "unit"
    owner = "me"

    def __init__(self, table: list[Instance]) -> None:
        self.items: dict[str, ReplicaInfo] = {}
        self.table = table
        self.launches = 0

    async def start(self) -> None: ...

    async def launch(self, spec: LaunchSpec) -> ReplicaInfo:
        self.launches += 1
        port = 9000 + self.launches
        info = ReplicaInfo(
            spec.name,
            spec.name,
            spec.model,
            "running",
            "img",
            "10.0.0.1",
            port,
            time.time(),
            owner=self.owner,
        )
        self.items[info.id] = info
        self.table.append(Instance("gdp-growth-model", spec.name, "10.0.0.1", port))
        return info

    async def get(self, replica_id: str) -> ReplicaInfo | None:
        return self.items.get(replica_id)

    async def list(self, model: str | None = None) -> list[ReplicaInfo]:
        return [i for i in self.items.values() if model is None or i.model == model]

    async def remove(self, replica_id: str) -> ReplicaInfo:
        info = self.items.pop(replica_id, None)
        if info is None:
            raise ReplicaNotFound(replica_id)
        self.table[:] = [i for i in self.table if i.id != info.name]
        return info

    async def logs(self, replica_id: str, lines: int = 20) -> str:
        return ""

    async def close(self) -> None: ...


def _manager(max_per_model: int = 2) -> tuple[ReplicaManager, FakeBackend]:
    instances: list[Instance] = []
    backend = FakeBackend(instances)

    def table() -> RoutingTable:
        return RoutingTable.build({"gdp-growth-model": tuple(instances)}, 1)

    async def wait_for(pred: Callable[[RoutingTable], bool], timeout: float | None) -> RoutingTable | None:
        t = table()
        return t if pred(t) else None

    settings = ReplicaSettings(replica_max_per_model=max_per_model)
    manager = ReplicaManager(
        backend,
        settings,
        ModelCatalog(["LinearRegression"]),
        service_name="gdp-growth-model",
        consul_addr="http://c:8500",
        consul_token=None,
        table=table,
        wait_for=wait_for,
    )
    return manager, backend


async def test_concurrent_launches_respect_the_cap() -> None:
    manager, backend = _manager(max_per_model=2)
    results = await asyncio.gather(
        *(manager.launch("linearregression") for _ in range(4)), return_exceptions=True
    )
    assert sum(isinstance(r, ReplicaLimit) for r in results) == 2
    assert backend.launches == 2


async def test_parallel_launches_up_to_the_cap_succeed() -> None:
    """A replica is counted once, by the backend's list, as soon as it exists: scaling to
    exactly the cap must not answer 409 while launches are still being created or routed."""
    manager, backend = _manager(max_per_model=4)
    create = backend.launch

    async def slow_launch(spec: LaunchSpec) -> ReplicaInfo:
        info = await create(spec)  # listed from here on ...
        await asyncio.sleep(0.01)  # ... but the engine call has not returned yet
        return info

    backend.launch = slow_launch  # type: ignore[method-assign]
    await manager.launch("LinearRegression")
    assert len(await manager.scale("LinearRegression", 4)) == 4
    assert backend.launches == 4


async def test_scale_reconciles_and_unknown_model() -> None:
    manager, backend = _manager(max_per_model=3)
    assert len(await manager.scale("LinearRegression", 3)) == 3
    kept = await manager.scale("LinearRegression", 1)
    assert len(kept) == 1 and len(backend.table) == 1
    with pytest.raises(ReplicaLimit):
        await manager.scale("LinearRegression", 4)
    with pytest.raises(UnknownModel):
        await manager.launch("XGBoost")
    await manager.close(remove_owned=True)
    assert backend.items == {}


def test_placement_and_swarm_names() -> None:
    from gateway.replicas.placement import parse_placement
    from gateway.replicas.swarm_backend import memory_bytes, service_name_for

    placement = parse_placement(["node.role==worker", "spread=node.id", "node.labels.zone != b"])
    assert placement.constraints == ("node.role==worker", "node.labels.zone != b")
    assert placement.spread == ("node.id",)
    with pytest.raises(ValueError, match="rm -rf"):
        parse_placement(["rm -rf"])
    settings = ReplicaSettings(gateway_runtime="swarm", replica_placement="node.role==worker; spread=node.id")
    assert settings.replica_placement == ["node.role==worker", "spread=node.id"]
    with pytest.raises(ValidationError, match="replica_placement"):
        ReplicaSettings(replica_placement="spread=")
    assert service_name_for("s1", "Linear Regression") == "s1-gdp-linear-regression"
    assert len(service_name_for("s" * 60, "m")) <= 63
    assert memory_bytes("512m") == 512 << 20 and memory_bytes("1g") == 1 << 30 and memory_bytes("100") == 100
