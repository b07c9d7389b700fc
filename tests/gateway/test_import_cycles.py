"""No import cycle inside ``gateway/gateway``: the package graph must stay layered.

Every ``import``/``from ... import`` of a gateway module counts, also inside functions and
under ``if TYPE_CHECKING:`` (a function-level or type-only import is how a cycle hides: the
layering is wrong even when the interpreter copes). Like pylint's cyclic-import and grimp, a
module does not depend on its parent packages just because Python runs their ``__init__``
first; ``from .pkg import name`` depends on ``pkg`` (its ``__init__``) unless ``name`` is a
submodule.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.processes import REPO_ROOT

PACKAGE_ROOT = REPO_ROOT / "gateway"
PACKAGE = "gateway"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in (PACKAGE_ROOT / PACKAGE).rglob("*.py")}
    packages = {m for m, p in files.items() if p.name == "__init__.py"}
    graph: dict[str, set[str]] = {m: set() for m in files}

    def existing(target: str) -> set[str]:
        """``target`` itself, or the nearest module above it (``import a.b`` where b is a name)."""
        while target and target not in files:
            target = target.rpartition(".")[0]
        return {target} if target else set()

    for mod, path in files.items():
        here = mod if mod in packages else mod.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(), str(path))):
            targets: set[str] = set()
            if isinstance(node, ast.Import):
                for alias in node.names:
                    targets |= existing(alias.name)
            else:
                if node.level:
                    base_parts = here.split(".")
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets |= {sub} if sub in files else existing(base)
            graph[mod] |= {t for t in targets if t != mod and t.split(".")[0] == PACKAGE}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def strongconnect(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return found


def test_the_checker_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_covers_relative_and_function_level_imports() -> None:
    graph = import_graph()
    assert "gateway.core" in graph["gateway.app"]
    assert len(graph) > 50


def test_no_import_cycle_inside_the_gateway_package() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def feature_packages(graph: dict[str, set[str]]) -> set[str]:
    """The packages ``gateway/extensions.py`` names (``gateway.orchestrator``, ...)."""
    return {".".join(m.split(".")[:2]) for m in graph["gateway.extensions"] if m.count(".") >= 2}


def test_only_extensions_py_names_a_feature() -> None:
    graph = import_graph()
    features = feature_packages(graph)
    assert {"gateway.orchestrator", "gateway.replicas"} <= features
    wrong = {
        f"{mod} -> {dep}"
        for mod, deps in graph.items()
        for dep in deps
        for feature in features
        if (dep == feature or dep.startswith(feature + "."))
        and not (mod == feature or mod.startswith(feature + "."))
        and mod != "gateway.extensions"
    }
    assert not wrong, "the core imports a feature:\n" + "\n".join(sorted(wrong))


def test_no_feature_imports_another_feature() -> None:
    """Features reach each other through the core (``capabilities.py``), never directly."""
    graph = import_graph()
    features = feature_packages(graph)

    def owner(module: str) -> str | None:
        return next((f for f in features if module == f or module.startswith(f + ".")), None)

    wrong = {
        f"{mod} -> {dep}"
        for mod, deps in graph.items()
        for dep in deps
        if owner(mod) is not None and owner(dep) is not None and owner(mod) != owner(dep)
    }
    assert not wrong, "a feature imports another feature:\n" + "\n".join(sorted(wrong))
