"""The catalog: services, checks and the node, with Raft-like indexes and watch notifications.

Every mutation takes a fresh index from one counter.  Per-service-name indexes and the
"last extinction" index reproduce what Consul's state store reports to blocking queries
(contract §6.4), so a waiter is woken only by changes that concern the name it watches.
"""

from __future__ import annotations

from collections.abc import Iterable

from .model import Check, NodeInfo, Service
from .watch import WatchHub

__all__ = ["Catalog"]


class Catalog:
    def __init__(self, node: NodeInfo, hub: WatchHub) -> None:
        self.node = node
        self.hub = hub
        self.index = 0
        self.services: dict[str, Service] = {}
        self.by_name: dict[str, dict[str, Service]] = {}
        self.checks: dict[str, Check] = {}  # catalog view of every check (node and service)
        self.service_checks: dict[str, dict[str, Check]] = {}  # service ID → checks
        self.node_checks: dict[str, Check] = {}
        self.service_index: dict[str, int] = {}
        self.instance_version: dict[str, int] = {}  # service ID → index of its last visible change
        self.node_version = 0  # index of the last node-level check change
        self.extinction_index = 0
        self.services_table = 0
        self.checks_table = 0
        self.nodes_table = 0

    # -- index helpers -------------------------------------------------------------------------
    def next_index(self) -> int:
        self.index += 1
        return self.index

    def _touch_names(self, names: Iterable[str], idx: int) -> None:
        keys = []
        for name in names:
            if name in self.by_name:
                self.service_index[name] = idx
            keys.append("svc:" + name)
        self.hub.notify(keys)

    def _touch_for_check(self, check: Check, idx: int) -> None:
        self.checks_table = idx
        if check.service_id:
            self.instance_version[check.service_id] = idx
            svc = self.services.get(check.service_id)
            names = [svc.name] if svc else []
        else:  # node-level checks are part of every service's health entries
            self.node_version = idx
            names = list(self.by_name)
        self._touch_names(names, idx)
        self.hub.notify(["checks"])

    def health_index(self, name: str) -> int:
        """Index reported by health/catalog queries for ``name`` (never 0)."""
        return max(self.service_index.get(name, self.extinction_index), 1)

    def watch_keys(self, name: str) -> list[str]:
        if name in self.by_name:
            return ["svc:" + name]
        return ["svc:" + name, "extinction"]

    # -- services ------------------------------------------------------------------------------
    def put_service(self, svc: Service) -> bool:
        """Insert or replace an instance; returns False when nothing visible changed."""
        old = self.services.get(svc.id)
        if old is not None and old.same_definition(svc):
            svc.create_index, svc.modify_index = old.create_index, old.modify_index
            self.services[svc.id] = svc
            self.by_name[svc.name][svc.id] = svc
            return False
        idx = self.next_index()
        svc.create_index = old.create_index if old else idx
        svc.modify_index = idx
        touched = {svc.name}
        if old is not None and old.name != svc.name:
            touched.add(old.name)
            self._unlink_name(old, idx)
        self.services[svc.id] = svc
        self.by_name.setdefault(svc.name, {})[svc.id] = svc
        self.service_checks.setdefault(svc.id, {})
        self.instance_version[svc.id] = idx
        for check in self.service_checks[svc.id].values():
            check.service_name = svc.name
        self.services_table = idx
        self._touch_names(touched, idx)
        self.hub.notify(["services"])
        return True

    def _unlink_name(self, svc: Service, idx: int) -> None:
        group = self.by_name.get(svc.name)
        if group is None:
            return
        group.pop(svc.id, None)
        if not group:
            del self.by_name[svc.name]
            self.service_index.pop(svc.name, None)
            self.extinction_index = idx
            self.hub.notify(["extinction"])

    def remove_service(self, service_id: str) -> Service | None:
        svc = self.services.pop(service_id, None)
        if svc is None:
            return None
        idx = self.next_index()
        if self.service_checks.pop(service_id, None):
            self.checks_table = idx
            for cid in [c for c, chk in self.checks.items() if chk.service_id == service_id]:
                del self.checks[cid]
            self.hub.notify(["checks"])
        self.instance_version.pop(service_id, None)
        self._unlink_name(svc, idx)
        self.services_table = idx
        self._touch_names([svc.name], idx)
        self.hub.notify(["services"])
        return svc

    # -- checks --------------------------------------------------------------------------------
    def put_check(self, check: Check) -> None:
        """Insert or replace a check's catalog entry (status/output taken from ``cat_*``)."""
        old = self.checks.get(check.check_id)
        if (
            old is not None
            and old is not check
            and old.same_definition(check)
            and (old.cat_status, old.cat_output) == (check.cat_status, check.cat_output)
        ):
            check.create_index, check.modify_index = old.create_index, old.modify_index
            self._link_check(check)
            return
        idx = self.next_index()
        check.create_index = old.create_index if old else idx
        check.modify_index = idx
        if old is not None and old.service_id != check.service_id:
            self._unlink_check(old)
        self._link_check(check)
        self._touch_for_check(check, idx)

    def _link_check(self, check: Check) -> None:
        self.checks[check.check_id] = check
        if check.service_id:
            self.service_checks.setdefault(check.service_id, {})[check.check_id] = check
        else:
            self.node_checks[check.check_id] = check

    def _unlink_check(self, check: Check) -> None:
        if check.service_id:
            self.service_checks.get(check.service_id, {}).pop(check.check_id, None)
        else:
            self.node_checks.pop(check.check_id, None)

    def remove_check(self, check_id: str) -> Check | None:
        check = self.checks.pop(check_id, None)
        if check is None:
            return None
        self._unlink_check(check)
        self._touch_for_check(check, self.next_index())
        return check

    def sync_check(self, check: Check) -> bool:
        """Copy the live status/output into the catalog view; bump indexes only on a change."""
        if check.check_id not in self.checks:
            return False
        if (check.cat_status, check.cat_output) == (check.status, check.output):
            return False
        check.cat_status, check.cat_output = check.status, check.output
        idx = self.next_index()
        check.modify_index = idx
        self._touch_for_check(check, idx)
        return True

    # -- reads ---------------------------------------------------------------------------------
    def instances(self, name: str) -> list[Service]:
        group = self.by_name.get(name)
        if not group:
            return []
        return [group[k] for k in sorted(group)]

    def checks_of(self, service_id: str) -> list[Check]:
        group = self.service_checks.get(service_id, {})
        return [group[k] for k in sorted(group)]

    def sorted_node_checks(self) -> list[Check]:
        return [self.node_checks[k] for k in sorted(self.node_checks)]

    def all_checks(self) -> list[Check]:
        return [self.checks[k] for k in sorted(self.checks)]
