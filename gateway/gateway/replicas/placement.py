"""``REPLICA_PLACEMENT`` for the Swarm runtime: constraints and spread preferences.

Items are separated by ``;``. ``spread=<descriptor>`` is a spread preference (e.g.
``spread=node.id``, ``spread=node.labels.zone``); anything else is a Swarm constraint
(``node.role==worker``, ``node.labels.gpu!=true``), checked for the ``==`` / ``!=`` form
Swarm accepts so a typo is a settings error instead of a task stuck in ``pending``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Placement", "parse_placement"]

_CONSTRAINT = re.compile(r"^(node|engine)\.[A-Za-z0-9_.-]+\s*(==|!=)\s*[^\s=!]+$")
_SPREAD = re.compile(r"^spread=(node|engine)\.[A-Za-z0-9_.-]+$")


@dataclass(frozen=True, slots=True)
class Placement:
    constraints: tuple[str, ...] = ()
    spread: tuple[str, ...] = ()  # spread descriptors, in order of precedence


def parse_placement(items: Sequence[str]) -> Placement:
    constraints: list[str] = []
    spread: list[str] = []
    for raw in items:
        item = raw.strip()
        if _SPREAD.match(item):
            spread.append(item.split("=", 1)[1])
        elif _CONSTRAINT.match(item):
            constraints.append(item)
        else:
            raise ValueError(
                f"replica_placement item {item!r} is neither a constraint like node.role==worker "
                "nor a preference like spread=node.id"
            )
    return Placement(tuple(constraints), tuple(spread))
