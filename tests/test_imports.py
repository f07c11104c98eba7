"""archlint's modules import one another without a circle.

The graph is read from the source with `ast`, never by importing. A node is a module
(`archlint.rules` is the package in `rules/`); `from archlint.layers import conv` is an
edge to the submodule `archlint.layers.conv`, and `from archlint.layers import Layer` an
edge to the package `archlint.layers`. Python also runs a package's `__init__` before a
submodule's; that implicit step is not an edge (import-linter and pydeps count it so too).

Imports under `if TYPE_CHECKING:` name types only and never run: they are no edges.
Imports inside a function run when it is first called (archlint defers NumPy, the
runtime and the report writers so): they are edges all the same, because a deferred
import that points back up is a circle that merely waits until the call. Both graphs,
with and without the deferred imports, must be acyclic.
"""

from __future__ import annotations

import ast
import pathlib

import networkx as nx

REPO = pathlib.Path(__file__).resolve().parent.parent
ROOTS = {"archlint": REPO / "archlint", "archlint.rules": REPO / "rules"}


def module_files() -> dict[str, pathlib.Path]:
    """Module name -> file, for every module of archlint and its rules."""
    found = {}
    for package, root in ROOTS.items():
        for path in sorted(root.rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            name = ".".join([package, *parts])
            if package == "archlint" and name.startswith("archlint.rules"):
                continue  # not a package of archlint's
            found[name] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING" or \
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def imports(path: pathlib.Path, name: str, modules: set[str]) -> list[tuple[str, bool]]:
    """(imported archlint module, whether the import is deferred into a function) for one file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def target(module: str, names: list[str]) -> list[str]:
        return [f"{module}.{n}" if f"{module}.{n}" in modules else module for n in names]

    def visit(node: ast.AST, deferred: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for item in child.orelse:
                    visit(item, deferred)
                continue
            inside = deferred or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((alias.name, inside) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[:len(base) - child.level + 1]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module or ""
                found.extend((t, inside) for t in target(module, [alias.name for alias in child.names]))
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return [(module, deferred) for module, deferred in found if module in modules and module != name]


def import_graph(with_deferred: bool) -> nx.DiGraph:
    files = module_files()
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for name, path in files.items():
        for module, deferred in imports(path, name, set(files)):
            if with_deferred or not deferred:
                graph.add_edge(name, module)
    return graph


def _circles(graph: nx.DiGraph) -> list[list[str]]:
    return [sorted(component) for component in nx.strongly_connected_components(graph) if len(component) > 1]


def test_the_graph_sees_archlints_modules():
    graph = import_graph(with_deferred=True)
    assert {"archlint.cli", "archlint.evaluate.interpreter", "archlint.rules", "archlint.layers.base"} <= set(graph)
    assert graph.has_edge("archlint.evaluate.interpreter", "archlint.evaluate.keras_api")
    assert graph.has_edge("archlint.rules.al205_bias_before_batchnorm", "archlint.rules")


def test_no_import_circle_at_module_level():
    assert _circles(import_graph(with_deferred=False)) == []


def test_no_import_circle_with_deferred_imports():
    assert _circles(import_graph(with_deferred=True)) == []


def _imported(module: str) -> set[str]:
    """What one module imports (deferred imports too)."""
    return set(import_graph(with_deferred=True).successors(module))


def test_the_rule_catalog_imports_no_layers():
    """The settings and the report formats read the catalog; the layers come with the rules that check graphs."""
    imported = import_graph(with_deferred=False).successors("archlint.rules")
    assert [m for m in imported if m.startswith(("archlint.layers", "archlint.models", "archlint.graph"))] == []


def test_the_command_line_goes_through_the_api():
    banned = ("archlint.analysis", "archlint.lint", "archlint.runtime", "archlint.evaluate", "archlint.layers",
              "archlint.graph", "archlint.models")
    assert "archlint.api" in _imported("archlint.cli")
    assert [m for m in _imported("archlint.cli") if m.startswith(banned)] == []


def test_the_report_formats_read_results_only():
    """The formats write the plain report; the rule catalog they name rules from is theirs to read."""
    graph = import_graph(with_deferred=True)
    report_modules = [m for m in graph if m == "archlint.report" or m.startswith("archlint.report.")]
    imported = {m for module in report_modules for m in graph.successors(module)}
    assert [m for m in imported if m.startswith(("archlint.layers", "archlint.evaluate", "archlint.graph",
                                                 "archlint.analysis", "archlint.models"))] == []


def test_the_results_import_nothing_of_the_analysis():
    graph = import_graph(with_deferred=True)
    assert not {m for m in nx.descendants(graph, "archlint.results")
                if m.startswith(("archlint.analysis", "archlint.evaluate", "archlint.layers", "archlint.graph"))}


def test_the_kernels_import_nothing_of_the_layers_or_the_execution():
    """kernels/ sits below the layers: arrays in, arrays out."""
    graph = import_graph(with_deferred=True)
    kernels = {m for m in graph if m == "archlint.kernels" or m.startswith("archlint.kernels.")}
    assert "archlint.kernels.conv" in kernels
    reached = {m for module in kernels for m in nx.descendants(graph, module)}
    assert not {m for m in reached if m.startswith(("archlint.layers", "archlint.evaluate", "archlint.runtime",
                                                    "archlint.graph", "archlint.models", "archlint.analysis"))}
