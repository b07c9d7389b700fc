"""Runs checks: interval monitors (HTTP/TCP/script), TTL timers, deferred output sync, reaping."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable

import httpx

from .catalog import Catalog
from .checks import Thresholds, alias_status, http_probe, script_probe, tcp_probe, udp_probe
from .config import AgentConfig
from .model import CRITICAL, Check

__all__ = ["CheckMonitor"]

log = logging.getLogger("devagent.checks")


class CheckMonitor:
    """Owns the runtime side of checks; the catalog only sees status changes through ``update``."""

    def __init__(
        self,
        config: AgentConfig,
        catalog: Catalog,
        remove_service: Callable[[str], None],
        local_checks: set[str] | None = None,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.hub = catalog.hub
        self.local_checks: set[str] = local_checks if local_checks is not None else set()
        self._remove_service = remove_service
        self._thresholds: dict[str, Thresholds] = {}
        self._ttl_last_output: dict[str, str] = {}
        self._client: httpx.AsyncClient | None = None
        self._insecure_client: httpx.AsyncClient | None = None
        self._reaper: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        self._reaper = asyncio.get_running_loop().create_task(self._reap_loop())

    async def close(self) -> None:
        if self._reaper:
            self._reaper.cancel()
        for check in list(self.catalog.checks.values()):
            self.stop(check)
        for client in (self._client, self._insecure_client):
            if client is not None:
                await client.aclose()

    def _http_client(self, insecure: bool) -> httpx.AsyncClient:
        # Keep-alives disabled like Consul's check transport; redirects handled per request.
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)  # no pool queueing
        if insecure:
            if self._insecure_client is None:
                self._insecure_client = httpx.AsyncClient(verify=False, limits=limits, timeout=None)
            return self._insecure_client
        if self._client is None:
            self._client = httpx.AsyncClient(limits=limits, timeout=None, max_redirects=10)
        return self._client

    # -- status updates (the agent-local UpdateCheck) ------------------------------------------
    def update(self, check: Check, status: str, output: str) -> None:
        if self.catalog.checks.get(check.check_id) is not check:
            return  # deregistered or replaced meanwhile
        if status == check.status and output == check.output:
            return
        if status == CRITICAL and check.status != CRITICAL:
            check.critical_since = time.monotonic()
        elif status != CRITICAL:
            check.critical_since = None
        interval = self.config.check_update_interval
        if status == check.status and interval > 0:
            # Output-only change: defer the catalog write like Consul's check_update_interval.
            check.output = output
            if check.sync_timer is None:
                delay = interval / 2 + random.random() * interval
                check.sync_timer = asyncio.get_running_loop().call_later(delay, self._deferred_sync, check)
            return
        check.status, check.output = status, output
        if check.sync_timer is not None:
            check.sync_timer.cancel()
            check.sync_timer = None
        self.catalog.sync_check(check)

    def _deferred_sync(self, check: Check) -> None:
        check.sync_timer = None
        self.catalog.sync_check(check)

    # -- starting / stopping -------------------------------------------------------------------
    def start_check(self, check: Check) -> None:
        if check.status == CRITICAL and check.critical_since is None:
            check.critical_since = time.monotonic()
        if check.type == "ttl":
            self.arm_ttl(check)
            return
        if check.type == "alias":
            check.runner = asyncio.get_running_loop().create_task(
                self._run_alias(check), name=f"alias check {check.check_id}"
            )
            return
        if check.type not in ("http", "tcp", "udp", "script"):
            return
        d = check.definition
        self._thresholds[check.check_id] = Thresholds(
            d.get("SuccessBeforePassing", 0),
            d.get("FailuresBeforeWarning", 0),
            d.get("FailuresBeforeCritical", 0),
        )
        check.runner = asyncio.get_running_loop().create_task(
            self._run(check), name=f"check {check.check_id}"
        )

    def stop(self, check: Check) -> None:
        if check.runner is not None:
            check.runner.cancel()
            check.runner = None
        for handle in (check.ttl_timer, check.sync_timer):
            if handle is not None:
                handle.cancel()
        check.ttl_timer = check.sync_timer = None
        self._thresholds.pop(check.check_id, None)
        self._ttl_last_output.pop(check.check_id, None)

    async def _run(self, check: Check) -> None:
        interval = check.interval_ns / 1e9
        if interval < self.config.min_check_interval:
            log.warning(
                "check %s interval %.3fs below minimum, using %.1fs",
                check.check_id,
                interval,
                self.config.min_check_interval,
            )
            interval = self.config.min_check_interval
        if not self.config.immediate_first_check:
            await asyncio.sleep(random.random() * interval)
        while True:
            status, output = await self._probe(check)
            thresholds = self._thresholds.get(check.check_id)
            reported = thresholds.apply(status) if thresholds else status
            if reported is not None:
                self.update(check, reported, output)
            await asyncio.sleep(interval)

    async def _probe(self, check: Check) -> tuple[str, str]:
        d = check.definition
        max_output = d.get("OutputMaxSize") or self.config.output_max_size
        try:
            if check.type == "http":
                timeout = check.timeout_ns / 1e9 if check.timeout_ns > 0 else 10.0
                client = self._http_client(bool(d.get("TLSSkipVerify")))
                return await http_probe(client, d, timeout, max_output)
            if check.type == "tcp":
                timeout = check.timeout_ns / 1e9 if check.timeout_ns > 0 else 10.0
                return await tcp_probe(d["TCP"], timeout)
            if check.type == "udp":
                timeout = check.timeout_ns / 1e9 if check.timeout_ns > 0 else 10.0
                return await udp_probe(d["UDP"], timeout)
            timeout = check.timeout_ns / 1e9 if check.timeout_ns > 0 else 30.0
            return await script_probe(d["ScriptArgs"], timeout, max_output)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a probe bug must not kill the loop; report it as the check output
            log.exception("check %s probe failed", check.check_id)
            return CRITICAL, f"check failed: {exc}"

    # -- alias -------------------------------------------------------------------------------
    async def _run_alias(self, check: Check) -> None:
        """Re-evaluate on every catalog check/service change, and at least once a minute (as Consul)."""
        while True:
            self.update(check, *self._alias_result(check))
            await self.hub.wait(["checks", "services"], 60.0)

    def _alias_result(self, check: Check) -> tuple[str, str]:
        cat = self.catalog
        node = check.definition.get("AliasNode", "")
        service_id = check.definition.get("AliasService", "")
        remote = bool(node) and node != cat.node.name
        if remote:
            candidates = cat.checks_on_node(node)
        else:  # the agent's own checks, live view (serfHealth is catalog-only, as in Consul)
            candidates = [c for c in cat.checks.values() if c.check_id in self.local_checks]
        candidates = [c for c in candidates if c is not check]
        lookup = node or cat.node.name
        return alias_status(
            candidates,
            node,
            service_id,
            lambda: cat.service_on(lookup, service_id) is not None,
            cat.node_name,
            catalog_view=remote,
        )

    # -- TTL -----------------------------------------------------------------------------------
    def arm_ttl(self, check: Check) -> None:
        if check.ttl_timer is not None:
            check.ttl_timer.cancel()
        check.ttl_timer = asyncio.get_running_loop().call_later(check.ttl_ns / 1e9, self._ttl_expired, check)

    def ttl_update(self, check: Check, status: str, output: str) -> None:
        self._ttl_last_output[check.check_id] = output
        self.update(check, status, output)
        self.arm_ttl(check)

    def _ttl_expired(self, check: Check) -> None:
        check.ttl_timer = None  # not re-armed until the next update
        last = self._ttl_last_output.get(check.check_id, "")
        output = f"TTL expired (last output before timeout follows): {last}" if last else "TTL expired"
        self.update(check, CRITICAL, output)

    # -- reaping -------------------------------------------------------------------------------
    async def _reap_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.check_reap_interval)
            self.reap()

    def reap(self) -> None:
        now = time.monotonic()
        for check in list(self.catalog.checks.values()):
            if not check.deregister_after_ns or check.status != CRITICAL or check.critical_since is None:
                continue
            timeout = max(check.deregister_after_ns / 1e9, self.config.deregister_min)
            if now - check.critical_since > timeout and check.service_id in self.catalog.services:
                log.info(
                    "reaping service %s: check %s critical for %.1fs",
                    check.service_id,
                    check.check_id,
                    now - check.critical_since,
                )
                self._remove_service(check.service_id)
