"""Alias checks: mirror the health of another service instance or node (Consul's CheckAlias)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..model import CRITICAL, PASSING, WARNING, Check

__all__ = ["alias_status"]


def alias_status(
    checks: Iterable[Check],
    alias_node: str,
    alias_service: str,
    service_exists: Callable[[], bool],
    node_of: Callable[[Check], str],
    catalog_view: bool,
) -> tuple[str, str]:
    """Consul's processChecks: critical wins, then warning; node-level checks count too.

    ``catalog_view`` selects the synced status/output (checks of another node) instead of the
    agent's live view (checks of this node).
    """
    health, msg = PASSING, "No checks found."
    found = False
    for chk in checks:
        if alias_node and node_of(chk).lower() != alias_node.lower():
            continue
        match = chk.service_id == alias_service
        if chk.service_id and not match:
            continue
        found = found or match
        status = chk.cat_status if catalog_view else chk.status
        output = chk.cat_output if catalog_view else chk.output
        if status in (CRITICAL, WARNING):
            health = status
            msg = f'Aliased check "{chk.name}" failing: {output}'
            if status == CRITICAL:
                break
        elif health == PASSING:
            msg = "All checks passing."
    if not found and not service_exists():
        return CRITICAL, f"Service {alias_service} could not be found on node {alias_node}"
    return health, msg
