"""The leader's loop with fakes (unit level): the replica runtime, the routing table and KV
are in memory; the decision logic, the windows, drain and back-off are the real ones."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from prometheus_client import CollectorRegistry

from gateway.autoscaler import AutoscalerSettings, AutoscalingPolicy
from gateway.autoscaler.activator import Activator
from gateway.autoscaler.controller import Autoscaler
from gateway.autoscaler.leadership import SingleInstance
from gateway.autoscaler.metrics import AutoscalerMetrics
from gateway.autoscaler.store import AutoscalingStore
from gateway.balancing import Balancer
from gateway.discovery import Instance, RoutingTable
from tests.gateway.autoscaler.memory_kv import MemoryKV

SERVICE = "gdp-growth-model"
MODEL = "RandomForest"
QUICK = AutoscalingPolicy(
    min_replicas=1,
    max_replicas=4,
    target_in_flight=2,
    stable_window_s=0.5,
    panic_window_s=0.2,
    scale_down_delay_s=0,
    scale_to_zero_after_s=0,
)


@dataclass(frozen=True)
class Replica:
    id: str
    name: str
    model: str
    created: float
    alive: bool = True


class FakeDiscovery:
    def __init__(self) -> None:
        self.table = RoutingTable.build({SERVICE: ()}, 1)
        self._changed = asyncio.Event()

    def set(self, instances: Sequence[Instance]) -> None:
        self.table = RoutingTable.build({SERVICE: tuple(instances)}, self.table.index + 1)
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(
        self, predicate: Callable[[RoutingTable], bool], timeout: float | None = None
    ) -> RoutingTable | None:
        deadline = time.monotonic() + (timeout or 0)
        while not predicate(self.table):
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                return None
        return self.table


class FakeRuntime:
    """A ReplicaControl whose replicas appear in the fake routing table at once."""

    kind = "fake"
    max_per_model = 5

    def __init__(self, discovery: FakeDiscovery, fail: str = "") -> None:
        self.discovery = discovery
        self.fail = fail
        self.replicas_: dict[str, Replica] = {}
        self.launches = 0
        self.removed: list[str] = []
        self.foreign: list[str] = []  # routed but not managed by this runtime (compose's own)
        self.swarm_picks = False
        self._ids = itertools.count(1)

    def resolve_model(self, model: str) -> str | None:
        return model if model in (MODEL, "LinearRegression") else None

    def add(self, name: str, *, ours: bool) -> Replica:
        """A replica that exists already (e.g. compose's own, or launched by hand)."""
        replica = Replica(f"id-{name}", name, MODEL, time.time())
        if ours:
            self.replicas_[replica.id] = replica
        else:
            self.foreign.append(name)
        self._publish()
        return replica

    async def launch(self, model: str) -> Replica:
        self.launches += 1
        await asyncio.sleep(0.01)
        if self.fail:
            raise RuntimeError(self.fail)
        n = next(self._ids)
        replica = Replica(f"id-{n}", f"replica-{n}", model, time.time() + n)
        self.replicas_[replica.id] = replica
        self._publish()
        return replica

    async def remove(self, replica_id: str) -> Replica:
        if self.swarm_picks:  # like Swarm: the oldest task goes, whichever was asked for
            replica_id = min(self.replicas_.values(), key=lambda r: r.created).id
        replica = self.replicas_.pop(replica_id)
        self.removed.append(replica.name)
        self._publish()
        return replica

    async def replicas(self, model: str) -> list[Replica]:
        return [r for r in self.replicas_.values() if r.model == model]

    def _publish(self) -> None:
        names = [*self.foreign, *(r.name for r in self.replicas_.values())]
        self.discovery.set([_instance(n) for n in names])


def _instance(name: str, model: str = MODEL) -> Instance:
    return Instance(SERVICE, name, "127.0.0.1", 1000 + hash(name) % 1000, meta={"model": model})


def _routed(discovery: FakeDiscovery) -> list[str]:
    return sorted(i.id for i in discovery.table.instances(SERVICE))


def _setup(
    fail: str = "", **settings: Any
) -> tuple[Autoscaler, FakeRuntime, FakeDiscovery, MemoryKV, SimpleNamespace]:
    discovery = FakeDiscovery()
    balancer = Balancer("random")
    core = SimpleNamespace(
        settings=SimpleNamespace(model_service_name=SERVICE),
        discovery=discovery,
        balancer=balancer,
        draining=balancer.draining,
        replicas=None,
        capacity=None,
    )
    runtime = FakeRuntime(discovery, fail)
    core.replicas = runtime
    kv = MemoryKV()
    opts = {
        "autoscaler_tick": 0.05,
        "autoscaler_sample_interval": 0.02,
        "autoscaler_publish_interval": 0.05,
        "autoscaler_drain_timeout": 5.0,
        "autoscaler_backoff_initial": 0.2,
        "autoscaler_hold_timeout": 3.0,
        **settings,
    }
    scaler = Autoscaler(
        core,  # type: ignore[arg-type]
        AutoscalerSettings(**opts),
        AutoscalingStore(kv, "t/"),
        SingleInstance(),
        "gw-1",
        AutoscalerMetrics(CollectorRegistry()),
    )
    return scaler, runtime, discovery, kv, core


async def _until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def _running(
    scaler: Autoscaler, policy: AutoscalingPolicy, body: Callable[[], Awaitable[None]]
) -> None:
    await scaler.store.put_policy(MODEL, policy)
    await scaler.start()
    try:
        await body()
    finally:
        await scaler.stop()


async def test_launches_to_min_and_never_removes_replicas_it_did_not_launch() -> None:
    scaler, runtime, discovery, _, _ = _setup()
    runtime.add("compose-1", ours=False)
    runtime.add("compose-2", ours=False)
    runtime.add("by-hand-3", ours=True)  # a launch through the REST API, not the autoscaler's

    async def body() -> None:
        # Idle with 3 replicas and min 1: it wants fewer, but none of them is its own.
        await asyncio.sleep(0.6)
        status = scaler.status[MODEL]
        assert status["desired_replicas"] == 1 and status["replicas"] == 3
        assert "never removed" in status["note"]
        assert runtime.removed == [] and runtime.launches == 0

    await _running(scaler, QUICK, body)


async def test_failing_launch_backs_off_exponentially_and_is_reported() -> None:
    scaler, runtime, _, _, _ = _setup(fail="image missing")

    async def body() -> None:
        await asyncio.sleep(1.7)  # attempts at ~0, 0.2, 0.6, 1.4 s (ticks every 0.05 s)
        assert 3 <= runtime.launches <= 5, runtime.launches
        failures = scaler.status[MODEL]["launch_failures"]
        assert failures["consecutive"] == runtime.launches and failures["last_error"] == "image missing"
        assert failures["retry_in_s"] is not None

    await _running(scaler, QUICK, body)
    state = await scaler.store.get_state(MODEL)
    assert state is not None and state["launch_failures"]["last_error"] == "image missing"  # in KV


async def test_load_published_by_other_instances_is_summed() -> None:
    scaler, runtime, discovery, kv, _ = _setup()

    async def body() -> None:
        await _until(lambda: len(_routed(discovery)) == 1)
        # Another gateway instance reports 6 requests in flight for the model: 6 / 2 = 3 replicas.
        other = {"at": time.time(), "models": {MODEL: {"stable": 6.0, "panic": 6.0, "now": 6}}}
        for _ in range(20):
            other["at"] = time.time()
            await scaler.store.publish_load("gw-2", other)
            await asyncio.sleep(0.05)
        await _until(lambda: len(_routed(discovery)) == 3)
        assert scaler.status[MODEL]["signal"]["gateway_instances"] == 2
        # That instance stops publishing (gone): its stale record no longer counts; back to 1.
        await _until(lambda: len(_routed(discovery)) == 1, timeout=8)

    await _running(scaler, QUICK, body)


async def test_a_replica_is_drained_before_removal() -> None:
    scaler, runtime, discovery, _, core = _setup()
    policy = QUICK.model_copy(update={"min_replicas": 2})

    async def body() -> None:
        await _until(lambda: len(_routed(discovery)) == 2)
        newest = max(runtime.replicas_.values(), key=lambda r: r.created)
        core.balancer.inflight.begin(newest.name)  # a request in flight on the newest replica
        await scaler.store.put_policy(MODEL, QUICK)  # min back to 1: one must go
        await _until(lambda: newest.name in core.draining.ids)
        assert await scaler.store.draining() == {newest.name}  # marked for every gateway instance
        await asyncio.sleep(0.5)
        assert runtime.removed == []  # still serving its request
        core.balancer.inflight.end(newest.name)
        await _until(lambda: runtime.removed == [newest.name])
        await _until(lambda: not core.draining.ids)
        assert await scaler.store.draining() == set()

    await _running(scaler, policy, body)


async def test_held_request_launches_from_zero_and_is_released() -> None:
    scaler, runtime, discovery, _, _ = _setup()
    policy = QUICK.model_copy(update={"min_replicas": 0})

    async def body() -> None:
        await asyncio.sleep(0.3)
        assert runtime.launches == 0
        outcome = await Activator(scaler).hold(MODEL)
        assert outcome is not None and outcome.ready
        assert runtime.launches == 1 and scaler.held == {}
        assert await Activator(scaler).hold("LinearRegression") is None  # no policy: not held

    await _running(scaler, policy, body)


async def test_hold_is_bounded() -> None:
    scaler, runtime, _, _, _ = _setup(fail="no capacity", autoscaler_hold_max=1, autoscaler_hold_timeout=0.5)
    policy = QUICK.model_copy(update={"min_replicas": 0})

    async def body() -> None:
        first = asyncio.create_task(Activator(scaler).hold(MODEL))
        await asyncio.sleep(0.05)
        second = await Activator(scaler).hold(MODEL)
        assert second is not None and not second.ready and "AUTOSCALER_HOLD_MAX" in second.reason
        outcome = await first
        assert outcome is not None and not outcome.ready and outcome.retry_after >= 1
        assert "AUTOSCALER_HOLD_TIMEOUT" in outcome.reason

    await _running(scaler, policy, body)


async def test_when_the_runtime_picks_another_replica_the_count_of_its_own_still_drops() -> None:
    scaler, runtime, discovery, _, _ = _setup()
    runtime.swarm_picks = True
    runtime.add("stack-task-1", ours=True)  # deployed with the stack: not the autoscaler's
    policy = QUICK.model_copy(update={"min_replicas": 2})

    async def body() -> None:
        await _until(lambda: len(_routed(discovery)) == 2)  # it launched one more
        assert len(scaler.models[MODEL].launched) == 1
        await scaler.store.put_policy(MODEL, QUICK)  # min 1: one of its own must go
        await _until(lambda: runtime.removed == ["stack-task-1"])  # the runtime chose that one
        await _until(lambda: not scaler.models[MODEL].launched)
        await asyncio.sleep(0.5)  # nothing of its own left: no further removal
        assert runtime.removed == ["stack-task-1"] and len(_routed(discovery)) == 1

    await _running(scaler, policy, body)
