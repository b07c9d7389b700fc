"""Fan-in: how the outputs of several predecessors become one node's input.

``merge`` (default, OPEA's behaviour): ``dict.update`` in predecessor order, later keys win;
collisions are logged and reported. ``namespaced``: ``{predecessor: output}``. ``list``:
outputs in predecessor order. Or any callable ``f(list[(predecessor, output)]) -> input``.
A single predecessor's output is passed through unchanged by every built-in reducer
except ``namespaced`` and ``list``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["REDUCERS", "Reducer", "ReducerError", "reduce_inputs", "validate_reducer"]

log = logging.getLogger("gateway.orchestrator")

Reducer = str | Callable[[list[tuple[str, Any]]], Any]
REDUCERS = ("merge", "namespaced", "list")


class ReducerError(ValueError):
    pass


def validate_reducer(reducer: Any) -> Reducer:
    if callable(reducer):
        return reducer  # type: ignore[no-any-return]
    if reducer in REDUCERS:
        return str(reducer)
    raise ReducerError(f"unknown reducer {reducer!r}; expected one of {', '.join(REDUCERS)} or a callable")


def reduce_inputs(
    reducer: Reducer, items: Sequence[tuple[str, Any]], collisions: list[str] | None = None
) -> Any:
    """Combine ``items`` (predecessor name, output) in predecessor order."""
    pairs = list(items)
    if callable(reducer):
        return reducer(pairs)
    if reducer == "list":
        return [output for _, output in pairs]
    if reducer == "namespaced":
        return {name: output for name, output in pairs}
    if len(pairs) == 1:
        return pairs[0][1]
    merged: dict[str, Any] = {}
    for name, output in pairs:
        if not isinstance(output, dict):
            raise ReducerError(
                f"cannot merge the output of {name!r} ({type(output).__name__}, not an object); "
                "use reducer 'list', 'namespaced' or a callable"
            )
        clash = sorted(set(merged) & set(output))
        if clash:
            log.warning("fan-in merge: keys %s from %s overwrite earlier predecessors", clash, name)
            if collisions is not None:
                collisions.extend(f"{key} (from {name})" for key in clash)
        merged.update(output)
    return merged
