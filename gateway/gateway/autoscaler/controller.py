"""The autoscaler loop of one gateway instance.

Every instance samples its own in-flight counts per model and publishes their window
averages to KV; it follows the policies and the draining marks from KV. Only the leader
sums the published loads, decides (``decision.Decider``) and acts through the core's
``ReplicaControl``: launches (with exponential back-off on failure) and drain-then-remove of
replicas it launched itself, one step at a time. At most one action per model runs at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..consul_client import KVEntry, KVStore, PrefixWatch
from ..discovery import RoutingTable
from .backoff import LaunchBackoff
from .decision import Decision, Signal
from .leadership import Leadership
from .metrics import AutoscalerMetrics
from .model_state import ModelState
from .policy import AutoscalingPolicy
from .settings import AutoscalerSettings
from .signal import LocalLoad, instance_model
from .store import AutoscalingStore

if TYPE_CHECKING:
    from ..core import GatewayCore

__all__ = ["Autoscaler", "WhileLeading"]

WhileLeading = Callable[[str, Callable[[], Awaitable[None]]], Callable[[], None]]

log = logging.getLogger("gateway.autoscaler")

_STATE_REFRESH = 2.0  # seconds: an unchanged state (but its signal) is rewritten this often


class Autoscaler:
    def __init__(
        self,
        core: GatewayCore,
        settings: AutoscalerSettings,
        store: AutoscalingStore,
        leadership: Leadership,
        gateway_id: str,
        metrics: AutoscalerMetrics,
        session: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.core = core
        self.settings = settings
        self.store = store
        self.leadership = leadership
        self.gateway_id = gateway_id
        self.metrics = metrics
        self.session = session  # this process's Consul session: its load key goes with it
        self.service = core.settings.model_service_name
        self.policies: dict[str, AutoscalingPolicy] = {}
        self.models: dict[str, ModelState] = {}
        self.held: dict[str, int] = {}
        self.load = LocalLoad(
            self.service,
            lambda: core.discovery.table,
            core.balancer.inflight.get,
            lambda model: self.held.get(model, 0),
            settings.autoscaler_sample_interval,
        )
        self.status: dict[str, dict[str, Any]] = {}  # model → the leader's last view (GET)
        self._draining_local: set[str] = set()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._watches: list[PrefixWatch] = []
        self._lead_task: asyncio.Task[Any] | None = None
        self._unregister: Callable[[], None] | None = None
        self._saved: dict[str, tuple[float, str]] = {}
        self._failing: set[str] = set()

    # ------------------------------------------------------------------ lifecycle
    async def start(self, watch_kv: KVStore | None = None, while_leading: WhileLeading | None = None) -> None:
        """Start the loops. With ``watch_kv`` policies and draining marks are followed with
        blocking queries (else re-read with every publication: tests with an in-memory KV);
        with ``while_leading`` (``core.leadership.run_while_leading``) the deciding loop runs
        only while this process leads, else always (a single instance)."""
        await self._guard("refresh", self.refresh)
        s = self.settings
        if watch_kv is not None:
            self._watches = [
                PrefixWatch(watch_kv, self.store.policies_prefix, self._on_policies),
                PrefixWatch(watch_kv, self.store.drain_prefix, self._on_draining),
            ]
            for watch in self._watches:
                watch.start()
        self._tasks = [
            asyncio.create_task(self._every("sample", s.autoscaler_sample_interval, self._sample)),
            asyncio.create_task(self._every("publish", s.autoscaler_publish_interval, self._publish)),
        ]
        if while_leading is None:
            self._tasks.append(asyncio.create_task(self.lead(), name="autoscaler:lead"))
        else:
            self._unregister = while_leading("autoscaler", self.lead)

    async def stop(self) -> None:
        if self._unregister is not None:
            self._unregister()  # cancels lead() if it runs
            self._unregister = None
        lead = self._lead_task
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, *([lead] if lead is not None else []), return_exceptions=True)
        self._tasks = []
        for watch in self._watches:
            await watch.stop()
        await self._guard("withdraw", lambda: self.store.withdraw_load(self.gateway_id))

    def wake(self) -> None:
        self._wake.set()

    @property
    def is_leader(self) -> bool:
        return bool(self.leadership.is_leader)

    # ------------------------------------------------------------------ every instance
    async def refresh(self) -> None:
        """Policies and draining marks from KV."""
        self._apply_policies(await self.store.policies())
        self._apply_draining(await self.store.draining())

    def _on_policies(self, entries: tuple[KVEntry, ...]) -> None:
        self._apply_policies(self.store.parse_policies(entries))

    def _on_draining(self, entries: tuple[KVEntry, ...]) -> None:
        self._apply_draining(self.store.parse_draining(entries))

    def _apply_policies(self, policies: dict[str, AutoscalingPolicy]) -> None:
        for model in [m for m in self.models if m not in policies]:
            self._forget(model)
        changed = policies != self.policies
        self.policies = policies
        if changed:
            self.wake()

    def _apply_draining(self, ids: set[str]) -> None:
        # The leader's own marks count at once, before its KV write comes back through the watch.
        self.core.draining.replace(ids | self._draining_local)

    def set_policy(self, model: str, policy: AutoscalingPolicy | None) -> None:
        """Apply a change made through this instance at once (the others see it on refresh)."""
        if policy is None:
            self.policies.pop(model, None)
            self._forget(model)
        else:
            self.policies[model] = policy
        self.wake()

    def _forget(self, model: str) -> None:
        st = self.models.pop(model, None)
        if st is not None and st.action is not None:
            st.action.cancel()
        self.status.pop(model, None)
        self._saved.pop(model, None)
        self.metrics.forget(model)

    async def _sample(self) -> None:
        self.load.sample(time.monotonic(), {m: p.stable_window_s for m, p in self.policies.items()})

    async def _publish(self) -> None:
        if not self._watches:
            await self.refresh()
        now = time.monotonic()
        models = {}
        for model, policy in self.policies.items():
            stable, panic = self.load.averages(model, now, policy.stable_window_s, policy.panic_window_s)
            models[model] = {
                "stable": round(stable, 4),
                "panic": round(panic, 4),
                "now": self.load.now_by_model([model])[model],
            }
        inflight = self.core.balancer.inflight.get
        draining = {iid: inflight(iid) for iid in self.core.draining.ids}
        if models or draining:
            record = {"at": time.time(), "models": models, "draining": draining}
            await self.store.publish_load(self.gateway_id, record, self.session())

    # ------------------------------------------------------------------ the leader
    async def lead(self) -> None:
        """The leader's loop: decide every tick (or when woken), act. Cancelled on step-down."""
        self._lead_task = asyncio.current_task()
        await self._guard("adopt", self._adopt)
        try:
            while True:
                await self._guard("decide", self._decide)
                # Not asyncio.wait_for: on 3.11 it can swallow a cancel that races with the wake-up.
                waiter = asyncio.ensure_future(self._wake.wait())
                try:
                    await asyncio.wait({waiter}, timeout=self.settings.autoscaler_tick)
                finally:
                    waiter.cancel()
                self._wake.clear()
        finally:
            actions = [st.action for st in self.models.values() if st.action is not None]
            for action in actions:
                action.cancel()
            await asyncio.gather(*actions, return_exceptions=True)
            for model in self.models:
                self.metrics.forget(model)
            self.models.clear()
            self.status.clear()
            self._saved.clear()
            log.info("autoscaler: not acting any more (no longer the leader, or stopping)")

    async def _decide(self) -> None:
        now = time.monotonic()
        others = self._fresh_others(await self.store.loads())
        table = self.core.discovery.table
        for model, policy in list(self.policies.items()):
            st = self.models.get(model)
            if st is None:
                st = self.models[model] = self._new_state()
            signal = self._signal(model, policy, now, others)
            ready = self._ready(model, table)
            current = ready + st.launching
            replicas = self.core.replicas
            cap = replicas.max_per_model if replicas is not None else policy.max_replicas
            decision = st.decider.decide(now, policy, cap, current, signal)
            if decision.panic != (st.last.panic if st.last is not None else False):
                log.info(
                    "autoscaler %s: panic mode %s (in flight: panic window %.2f, stable %.2f; %d replicas)",
                    model,
                    "on" if decision.panic else "off",
                    signal.panic,
                    signal.stable,
                    current,
                )
            st.last = decision
            self.metrics.desired.labels(model).set(decision.desired)
            self.metrics.replicas.labels(model).set(current)
            if decision.direction == "up" and st.draining is not None and st.action is not None:
                log.info("autoscaler %s: demand rose, replica %s stays (drain aborted)", model, st.draining)
                st.action.cancel()
                await asyncio.gather(st.action, return_exceptions=True)
            if decision.direction == "none":
                st.note = ""
            elif not st.busy:
                self._act(model, st, decision, signal, now)
            await self._save(model, policy, st, decision, signal, ready, len(others))

    async def _adopt(self) -> None:
        """New leader: take over what the previous one launched; clear stale draining marks."""
        log.info(
            "autoscaler: this instance (%s) leads; acting on %d policies", self.gateway_id, len(self.policies)
        )
        for model in self.policies:
            state = await self.store.get_state(model)
            launched = (state or {}).get("launched") or []
            st = self.models.setdefault(model, self._new_state())
            st.launched |= {str(r["id"]) for r in launched if isinstance(r, dict) and "id" in r}
        for iid in await self.store.draining():
            if iid not in self._draining_local:
                await self.store.unmark_draining(iid)

    def _new_state(self) -> ModelState:
        s = self.settings
        return ModelState(LaunchBackoff(s.autoscaler_backoff_initial, s.autoscaler_backoff_max))

    def _fresh_others(self, loads: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        stale = max(3.0, 3 * self.settings.autoscaler_publish_interval)
        now = time.time()
        return [
            rec
            for gid, rec in loads.items()
            if gid != self.gateway_id and isinstance(rec.get("at"), int | float) and now - rec["at"] <= stale
        ]

    def _signal(
        self, model: str, policy: AutoscalingPolicy, now: float, others: list[dict[str, Any]]
    ) -> Signal:
        stable, panic = self.load.averages(model, now, policy.stable_window_s, policy.panic_window_s)
        instant = self.load.now_by_model([model])[model]
        for rec in others:
            m = (rec.get("models") or {}).get(model)
            if isinstance(m, dict):
                stable += float(m.get("stable") or 0)
                panic += float(m.get("panic") or 0)
                instant += float(m.get("now") or 0)
        return Signal(stable, panic, instant)

    def _ready(self, model: str, table: RoutingTable) -> int:
        draining = self.core.draining.ids
        return sum(
            1 for i in table.instances(self.service) if instance_model(i) == model and i.id not in draining
        )

    # ------------------------------------------------------------------ actions
    def _act(self, model: str, st: ModelState, d: Decision, signal: Signal, now: float) -> None:
        replicas = self.core.replicas
        if replicas is None:
            st.note = "replica management is unavailable (see GET /api/models/instances/...)"
            return
        if d.direction == "up":
            if st.backoff.blocked(now):
                st.note = (
                    f"launch failed {st.backoff.failures}x; next attempt in {st.backoff.retry_at - now:.0f}s"
                )
                return
            st.note = ""
            count = d.target - d.current
            self._record(model, st, d, signal)
            st.launching += count
            st.action = asyncio.create_task(self._launch(model, st, count), name=f"autoscaler:up:{model}")
        else:
            st.action = asyncio.create_task(
                self._scale_down(model, st, d, signal), name=f"autoscaler:down:{model}"
            )

    def _record(self, model: str, st: ModelState, d: Decision, signal: Signal) -> None:
        log.info(
            "autoscaler %s: scale %s %d -> %d (%s; in flight: stable %.2f, panic %.2f, now %.0f; panic %s)",
            model,
            d.direction,
            d.current,
            d.target,
            d.reason,
            signal.stable,
            signal.panic,
            signal.instant,
            "on" if d.panic else "off",
        )
        self.metrics.decisions.labels(model, d.direction, d.reason).inc()
        st.last_action = {
            "direction": d.direction,
            "reason": d.reason,
            "from": d.current,
            "to": d.target,
            "at": time.time(),
        }

    async def _launch(self, model: str, st: ModelState, count: int) -> None:
        replicas = self.core.replicas
        assert replicas is not None
        try:
            results = await asyncio.gather(
                *(replicas.launch(model) for _ in range(count)), return_exceptions=True
            )
        finally:
            st.launching -= count
        errors = []
        for result in results:
            if isinstance(result, BaseException):
                errors.append(str(result) or type(result).__name__)
            else:
                st.launched.add(result.id)
        if errors:
            delay = st.backoff.failed(time.monotonic(), errors[0])
            log.warning(
                "autoscaler %s: %d of %d launch(es) failed (%d in a row); next attempt in %.0fs: %s",
                model,
                len(errors),
                count,
                st.backoff.failures,
                delay,
                errors[0],
            )
        else:
            st.backoff.succeeded()
        self.wake()

    async def _scale_down(self, model: str, st: ModelState, d: Decision, signal: Signal) -> None:
        replicas = self.core.replicas
        assert replicas is not None
        mine = [r for r in await replicas.replicas(model) if r.id in st.launched and r.alive]
        st.launched &= {r.id for r in await replicas.replicas(model)}  # forget removed elsewhere
        if not mine:
            st.note = "no replica launched by the autoscaler is left to remove (others are never removed)"
            return
        st.note = ""
        victim = max(mine, key=lambda r: r.created)
        self._record(model, st, d, signal)
        st.draining = victim.name
        self._draining_local.add(victim.name)
        self.core.draining.add(victim.name)
        try:
            await self._guard("mark draining", lambda: self.store.mark_draining(victim.name))
            await self._wait_drained(victim.name)
            gone = await replicas.remove(victim.id)
            # Counted, not named: Swarm picks which task of the service stops. One replica of
            # ours is gone either way (the others' count stays as it was).
            st.launched.discard(gone.id if gone.id in st.launched else victim.id)
            if gone.id != victim.id:
                log.info("autoscaler %s: the runtime removed %s instead of %s", model, gone.name, victim.name)
            else:
                log.info("autoscaler %s: replica %s drained and removed", model, victim.name)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("autoscaler %s: could not remove %s: %s", model, victim.name, exc)
        finally:
            st.draining = None
            self._draining_local.discard(victim.name)
            self.core.draining.discard(victim.name)
            await self._guard("unmark draining", lambda: self.store.unmark_draining(victim.name))
            self.wake()

    async def _wait_drained(self, instance_id: str) -> None:
        """Until no gateway instance has a request in flight to it (or the drain timeout)."""
        started = time.monotonic()
        deadline = started + self.settings.autoscaler_drain_timeout
        # Other instances report a replica only once they saw its mark: give them one publication.
        settle = 1.5 * self.settings.autoscaler_publish_interval
        while True:
            local = self.core.balancer.inflight.get(instance_id)
            others = self._fresh_others(await self.store.loads())
            seen = all(instance_id in (rec.get("draining") or {}) for rec in others)
            remote = sum(int((rec.get("draining") or {}).get(instance_id) or 0) for rec in others)
            if local == 0 and remote == 0 and (not others or (seen and time.monotonic() - started >= settle)):
                return
            if time.monotonic() >= deadline:
                log.warning(
                    "autoscaler: drain of %s timed out after %.0fs with %d request(s) in flight; removing it",
                    instance_id,
                    self.settings.autoscaler_drain_timeout,
                    local + remote,
                )
                return
            await asyncio.sleep(0.1)

    # ------------------------------------------------------------------ status
    async def _save(
        self,
        model: str,
        policy: AutoscalingPolicy,
        st: ModelState,
        d: Decision,
        signal: Signal,
        ready: int,
        gateways: int,
    ) -> None:
        now = time.monotonic()
        backoff = st.backoff
        status: dict[str, Any] = {
            "leader": self.gateway_id,
            "signal": {
                "stable_in_flight": round(signal.stable, 3),
                "panic_in_flight": round(signal.panic, 3),
                "in_flight_now": round(signal.instant, 3),
                "per_replica": round(signal.stable / ready, 3) if ready else None,
                "gateway_instances": gateways + 1,
            },
            "desired_replicas": d.desired,
            "replicas": ready,
            "launching": st.launching,
            "draining": st.draining,
            "panic": d.panic,
            "reason": d.reason,
            "note": st.note,
            "last_decision": st.last_action,
            "launch_failures": {
                "consecutive": backoff.failures,
                "last_error": backoff.last_error or None,
                "retry_in_s": round(max(0.0, backoff.retry_at - now), 1) if backoff.failures else None,
            },
            "launched": sorted(st.launched),
        }
        # Written when a decision-relevant field changed, the moving signal only every few seconds.
        text = json.dumps({k: v for k, v in status.items() if k != "signal"}, sort_keys=True)
        status["updated_at"] = time.time()
        self.status[model] = status
        last = self._saved.get(model)
        if last is None or last[1] != text or now - last[0] >= _STATE_REFRESH:
            self._saved[model] = (now, text)
            await self.store.put_state(model, status)

    async def view(self, model: str) -> dict[str, Any] | None:
        """The leader's last state of ``model``: local when this instance leads, else from KV."""
        if self.is_leader and model in self.status:
            return self.status[model]
        return await self.store.get_state(model)

    # ------------------------------------------------------------------ plumbing
    async def _every(self, name: str, interval: float, step: Callable[[], Awaitable[None]]) -> None:
        while True:
            await self._guard(name, step)
            await asyncio.sleep(interval)

    async def _guard(self, name: str, step: Callable[[], Awaitable[Any]]) -> None:
        """Run ``step``; log a failure once per failing streak (Consul down must not flood the log)."""
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if name not in self._failing:
                self._failing.add(name)
                log.warning("autoscaler %s failing: %s", name, exc or type(exc).__name__)
            return
        if name in self._failing:
            self._failing.discard(name)
            log.info("autoscaler %s works again", name)
