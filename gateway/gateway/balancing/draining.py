"""Instances being drained: they get no new requests, what they already have finishes.

The autoscaler marks a replica it is about to remove (on every gateway instance, through
Consul KV); the upstream client leaves marked instances out of the candidates before the
balancer picks. The set is swapped whole, so the request path reads it without locks.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..discovery.instance import Instance

__all__ = ["Draining"]


class Draining:
    def __init__(self) -> None:
        self.ids: frozenset[str] = frozenset()

    def replace(self, ids: Iterable[str]) -> None:
        self.ids = frozenset(ids)

    def add(self, instance_id: str) -> None:
        self.ids = self.ids | {instance_id}

    def discard(self, instance_id: str) -> None:
        if instance_id in self.ids:
            self.ids = self.ids - {instance_id}

    def filter(self, instances: tuple[Instance, ...]) -> tuple[Instance, ...]:
        """``instances`` minus the draining ones; all of them when every one is draining
        (a replica still answers while it drains: better than refusing the request)."""
        ids = self.ids
        if not ids:
            return instances  # the common case costs one attribute read
        kept = tuple(i for i in instances if i.id not in ids)
        return kept or instances
