"""The house's floors, read from the source: every import in every module under dashboard/ — at module level, inside
functions, under `if TYPE_CHECKING` — runs down the floors (corpus → analysis → web → entry points), and the imports
among dashboard's modules form no circle. An import moved into a function does not hide a circle from this test."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dashboard"
# A module's floor is its first name below `dashboard`; it may import only from its own floor or lower ones. Modules
# of no floor (the package itself, `config`) hold settings and import nothing of the floors' order.
FLOORS = {"corpus": 0, "analysis": 1, "web": 2, "cli": 3, "__main__": 3}


def module_name(path: Path) -> str:
    """The dotted name of a source file under dashboard/ (a package by its folder's name)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.Module, name: str, is_package: bool, modules: set[str]) -> set[str]:
    """The dashboard modules a module's source imports anywhere in it (`from a.b import c` is `a.b.c` when that is
    a module, else `a.b`)."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {target for target in found if target in modules and target != name}


def import_graph() -> nx.DiGraph:
    """dashboard's modules and, for each, the dashboard modules it imports."""
    paths = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
    graph = nx.DiGraph()
    graph.add_nodes_from(paths)
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph.add_edges_from((name, target) for target in imported(tree, name, path.name == "__init__.py", set(paths)))
    return graph


def floor(module: str) -> int | None:
    parts = module.split(".")
    return FLOORS.get(parts[1]) if len(parts) > 1 else None


def test_the_graph_is_read_from_every_module():
    """The test reads what it checks: known modules and imports of each kind are in the graph (function-level:
    the CLI imports its commands late). Mutation: only module-level imports read → the CLI's edge is missing."""
    graph = import_graph()
    assert {"dashboard.corpus.loader", "dashboard.analysis.model", "dashboard.web.app"} <= set(graph)
    assert graph.has_edge("dashboard.analysis.model", "dashboard.corpus.loader")
    assert graph.has_edge("dashboard.cli", "dashboard.web.app")  # imported inside a function


def test_no_import_runs_up_a_floor():
    """corpus imports neither analysis nor web, analysis does not import web, no floor imports the CLI.
    Mutation: `from dashboard.analysis.model import Corpus` in a corpus module → listed here."""
    upward = [
        f"{source} imports {target}"
        for source, target in import_graph().edges
        if floor(source) is not None and floor(target) is not None and floor(target) > floor(source)
    ]
    assert upward == []


def test_the_imports_form_no_circle():
    """No module imports, directly or through others, one that imports it back — not even from inside a function.
    Mutation: model.py importing `terms_mask` from terms.py inside `filter_figures` → this circle is listed."""
    circles = [" → ".join([*cycle, cycle[0]]) for cycle in nx.simple_cycles(import_graph())]
    assert circles == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import dashboard.web.ids", {"dashboard.web.ids"}),
        ("from dashboard.corpus import columns as C", {"dashboard.corpus.columns"}),
        ("from dashboard.corpus.loader import CorpusTables", {"dashboard.corpus.loader"}),
        ("def f():\n    from dashboard.web import app", {"dashboard.web.app"}),
        ("from . import loader", {"dashboard.corpus.loader"}),
        ("from .. import web", {"dashboard.web"}),
        ("import numpy", set()),
    ],
)
def test_every_kind_of_import_is_read(source, expected):
    """Plain, `from`, function-level and relative imports each name the module they load (as if written in
    dashboard/corpus/cache.py). Mutation: relative imports ignored → the two relative cases fail."""
    modules = {"dashboard.web", "dashboard.web.ids", "dashboard.web.app", "dashboard.corpus.columns"}
    modules |= {"dashboard.corpus", "dashboard.corpus.loader", "dashboard.corpus.cache"}
    assert imported(ast.parse(source), "dashboard.corpus.cache", False, modules) == expected
