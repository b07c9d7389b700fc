"""The OPEA hooks an execution calls on its orchestrator (``align_inputs``/``outputs``/``generator``).

``Execution`` depends on this protocol, not on ``ServiceOrchestrator`` (which creates
executions), so the two modules do not import each other.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from .dag import DAG

__all__ = ["AlignHooks"]


class AlignHooks(Protocol):
    def align_inputs(
        self,
        inputs: Any,
        cur_node: str,
        runtime_graph: DAG,
        llm_parameters_dict: dict[str, Any],
        **kwargs: Any,
    ) -> Any: ...

    def align_outputs(
        self,
        data: Any,
        cur_node: str,
        inputs: Any,
        runtime_graph: DAG,
        llm_parameters_dict: dict[str, Any],
        **kwargs: Any,
    ) -> Any: ...

    def align_generator(self, gen: AsyncIterator[bytes], **kwargs: Any) -> AsyncIterator[bytes]: ...
