"""OPEA's DAG methods."""

from __future__ import annotations

import pytest

from gateway.orchestrator import DAG


def test_dag_methods_match_opea() -> None:
    dag = DAG()
    dag.from_dict({"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []})
    assert dag.ind_nodes() == ["a"]
    assert dag.all_leaves() == ["d"]
    assert dag.predecessors("d") == ["b", "c"]
    assert dag.downstream("a") == ["b", "c"]
    assert dag.all_downstreams("a")[-1] == "d" and set(dag.all_downstreams("a")) == {"b", "c", "d"}
    assert dag.topological_sort()[0] == "a" and dag.topological_sort()[-1] == "d"
    assert dag.validate() == (True, "valid")
    assert dag.size() == 4
    with pytest.raises(Exception, match="validation error"):
        dag.add_edge("d", "a")
    with pytest.raises(KeyError):
        dag.add_edge("a", "zz")
    with pytest.raises(KeyError):
        dag.add_node("a")
    with pytest.raises(KeyError):
        dag.downstream("zz")
    with pytest.raises(TypeError):
        DAG().from_dict({"a": "b"})  # type: ignore[dict-item]
    dag.delete_edge("a", "b")
    assert dag.predecessors("b") == []
    dag.delete_node("c")
    assert dag.predecessors("d") == ["b"]
    dag.delete_node_if_exists("nope")
    dag.add_node_if_not_exists("a")
    dag.reset_graph()
    assert dag.size() == 0
    assert dag.validate() == (False, "no independent nodes detected")
