"""The import graph of ingest/ keeps the layers the README draws.

The README's flow is a landing file going through intake → quality → warehouse, jobs putting those
stages together, and airflow/, bi/ and cli.py as thin edges calling them. As layers, lowest first
(a module may import modules of its own layer and of the layers below it, never above):

  base       the package itself, config, findings, ports, notify, the artifact store: settings and shared vocabulary
  intake     a landing file becomes canonical records
  quality    records judged: checks, GX suites, feedback, validation pages
  warehouse  PostgreSQL and the files kept beside it. Above quality because that is how the code
             uses them: warehouse reads contracts (intake) and records findings (base) and needs no
             quality module; quality needs no warehouse module; jobs put the two together.
             faults sits here too: besides killing the process, a fault point stops the embedded
             PostgreSQL server (ingest.warehouse.embedded_pg).
  lineage    OpenLineage names and the events of a dbt build; no Airflow
  jobs       the stages put together; samples (demo data written from the contracts)
  edges      airflow and bi, which call jobs
  cli        the swdw command, which also starts the Airflow and Superset services

Also checked: no cycle among modules; no function-local import of a project module (only heavy
libraries are imported lazily, so a module's dependencies are read at its top; a project module that
imports one at its top, such as GX's custom expectations, counts as one); and, since hoisting makes
every import eager, that the ingest modules a DAG file imports at its top pull in no heavy library
while the DAG is parsed, nor the `swdw` command before a subcommand runs.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ingest.config import REPO_ROOT

PACKAGE = "ingest"
LAYERS: dict[str, tuple[str, ...]] = {  # lowest first; a name declares a module or a package
    "base": (
        "ingest",
        "ingest.config",
        "ingest.findings",
        "ingest.ports",
        "ingest.notify",
        "ingest.artifact_store",
        "ingest.collector",
    ),
    "intake": ("ingest.intake",),
    "quality": ("ingest.quality",),
    "warehouse": ("ingest.warehouse", "ingest.faults"),
    "lineage": ("ingest.lineage",),
    "jobs": ("ingest.jobs", "ingest.samples"),
    "edges": ("ingest.airflow", "ingest.bi"),
    "cli": ("ingest.cli",),
}
# what a DAG file must not load while the dag-processor parses it, through the ingest modules it imports
HEAVY_AT_PARSE = (
    "pandas",
    "great_expectations",
    "dbt",
    "dbt_common",
    "psycopg",
    "openpyxl",
    "python_calamine",
    "pyarrow",
)
# what `swdw` must not load before a subcommand needs it (`swdw status` is not to wait for Airflow)
HEAVY_AT_CLI_START = (*HEAVY_AT_PARSE, "airflow", "cosmos", "openlineage")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module of the package
    path: Path
    line: int
    local: bool  # inside a function body: runs when the function is called, not when the module loads

    def where(self, root: Path) -> str:
        return f"{self.path.relative_to(root)}:{self.line}"


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module of the package under ``root``: dotted name -> file (a package is its __init__)."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _resolve(name: str, known) -> str | None:
    """The module ``name`` loads: itself, or the nearest enclosing module that exists."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


class _Imports(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool):
        self.module, self.is_package = module, is_package
        self.found: list[tuple[str, int, bool]] = []  # (dotted name, line, local)
        self.depth = 0

    def _nested(self, node) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _nested

    def visit_Import(self, node: ast.Import) -> None:
        self.found += [(alias.name, node.lineno, self.depth > 0) for alias in node.names]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:  # relative: from the module's package, one level up per extra dot
            package = self.module if self.is_package else self.module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}".rstrip(".")
        # `from a import b` loads module a.b when there is one, else a name defined in a
        self.found += [(f"{base}.{alias.name}", node.lineno, self.depth > 0) for alias in node.names]


def module_imports(path: Path, module: str) -> list[tuple[str, int, bool]]:
    """(dotted name, line, local) of every import statement in the file, at any depth."""
    visitor = _Imports(module, path.name == "__init__.py")
    visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return visitor.found


def import_graph(root: Path, package: str = PACKAGE) -> list[Import]:
    """Every import of a module of the package by a module of the package."""
    modules = module_names(root, package)
    edges = {}  # `from a import b, c` is one edge when b and c are names in a
    for source, path in modules.items():
        for name, line, local in module_imports(path, source):
            if name.split(".")[0] != package:
                continue
            target = _resolve(name, modules)
            if target and target != source:
                edges.setdefault((source, target, line), Import(source, target, path, line, local))
    return sorted(edges.values(), key=lambda e: (e.path, e.line, e.target))


def layer_of(module: str, layers, package: str = PACKAGE) -> int | None:
    """The index of the layer declaring the module (the longest declared prefix); the package name declares itself only."""
    best, best_length = None, -1
    for index, members in enumerate(layers.values()):
        for member in members:
            matches = module == member or (member != package and module.startswith(member + "."))
            if matches and len(member) > best_length:
                best, best_length = index, len(member)
    return best


def upward_imports(edges, layers, package: str = PACKAGE) -> list[Import]:
    return [
        e
        for e in edges
        if None not in (layer_of(e.source, layers, package), layer_of(e.target, layers, package))
        and layer_of(e.target, layers, package) > layer_of(e.source, layers, package)
    ]


def undeclared_modules(root: Path, layers, package: str = PACKAGE) -> list[str]:
    return [m for m in module_names(root, package) if layer_of(m, layers, package) is None]


def cycles(edges) -> list[list[str]]:
    """One loop per strongly connected component of more than one module, e.g. [a, b, a]."""
    graph: dict[str, set[str]] = defaultdict(set)
    for e in edges:
        graph[e.source].add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm; the package is a few dozen modules deep at most
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_loop(graph, component) for component in components]


def _loop(graph, component: set[str]) -> list[str]:
    """A shortest path from the component's first module back to itself, through the component."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & component):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no loop in {component}")  # a strongly connected component always has one


def heavy_at_import(root: Path, starts: dict[str, set[str]], heavy, package: str = PACKAGE) -> list[str]:
    """Heavy libraries imported at module level by what each start (a name: package modules) loads at import."""
    modules = module_names(root, package)
    top_edges = defaultdict(set)
    for e in import_graph(root, package):
        if not e.local:
            top_edges[e.source].add(e.target)
    found = []
    for start, first in starts.items():
        seen, todo = set(), sorted(first)
        while todo:
            module = todo.pop()
            if module in seen:
                continue
            seen.add(module)
            todo += top_edges[module]
            for name, line, local in module_imports(modules[module], module):
                if not local and name.split(".")[0] in heavy:
                    found.append(f"{start} → {module} ({modules[module].relative_to(root)}:{line}) imports {name}")
    return sorted(set(found))


def dag_imports(root: Path, dag_files, package: str = PACKAGE) -> dict[str, set[str]]:
    """DAG file name -> the package modules it imports at its top (what the dag-processor loads with it)."""
    modules = module_names(root, package)
    return {
        dag.name: {
            target
            for name, _, local in module_imports(dag, dag.stem)
            if not local and name.split(".")[0] == package and (target := _resolve(name, modules))
        }
        for dag in dag_files
    }


def heavy_modules(root: Path, package: str = PACKAGE) -> set[str]:
    """Package modules that import a heavy library at their top (e.g. GX subclasses): heavy libraries themselves."""
    return {
        module
        for module, path in module_names(root, package).items()
        if any(not local and name.split(".")[0] in HEAVY_AT_PARSE for name, _, local in module_imports(path, module))
    }


def report(root: Path, layers, package: str = PACKAGE) -> str:
    """Every violation, grouped and by file; empty when the graph keeps the layers."""
    edges = import_graph(root, package)
    heavy = heavy_modules(root, package)
    names = list(layers)
    sections = {
        "modules in no declared layer (add them to LAYERS)": undeclared_modules(root, layers, package),
        "upward imports (a lower layer importing a higher one)": [
            f"{e.where(root)}  {e.source} [{names[layer_of(e.source, layers, package)]}] imports "
            f"{e.target} [{names[layer_of(e.target, layers, package)]}]"
            for e in upward_imports(edges, layers, package)
        ],
        "import cycles": sorted(" → ".join(loop) for loop in cycles(edges)),
        "function-local imports of project modules (move them to the module's top)": [
            f"{e.where(root)}  {e.source} imports {e.target}" for e in edges if e.local and e.target not in heavy
        ],
    }
    return "\n".join(
        f"{title}: {len(items)}\n" + "\n".join(f"  {item}" for item in items)
        for title, items in sections.items()
        if items
    )


def test_ingest_keeps_its_layers_without_cycles_or_lazy_internal_imports():
    violations = report(REPO_ROOT, LAYERS)
    assert not violations, "ingest/ import graph:\n" + violations


def test_dag_files_pull_no_heavy_library_through_ingest():
    dags = dag_imports(REPO_ROOT, sorted((REPO_ROOT / "dags").glob("*.py")))
    assert dags and all(dags.values())  # every DAG file imports from ingest: the check reaches something
    heavy = heavy_at_import(REPO_ROOT, dags, HEAVY_AT_PARSE)
    assert not heavy, "loaded while a DAG file is parsed:\n" + "\n".join(heavy)


def test_the_swdw_command_starts_without_heavy_libraries():
    heavy = heavy_at_import(REPO_ROOT, {"swdw": {"ingest.cli"}}, HEAVY_AT_CLI_START)
    assert not heavy, "loaded by every swdw command:\n" + "\n".join(heavy)


# --- the checks themselves, on a package planted in tmp_path -----------------------------------

TOY_LAYERS = {"base": ("toy", "toy.base"), "low": ("toy.low",), "high": ("toy.high",)}


def _plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"toy/__init__.py": "", "toy/low/__init__.py": "", "toy/high/__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_clean_package_passes(tmp_path):
    root = _plant(
        tmp_path,
        {
            "toy/base.py": "import json\n",
            "toy/low/a.py": "from toy import base\nfrom toy.low.b import thing\n",
            "toy/low/b.py": "thing = 1\n\ndef lazy():\n    import pandas\n",
            "toy/high/c.py": "from ..low import a\nimport toy.base\n",
        },
    )
    assert report(root, TOY_LAYERS, "toy") == ""
    assert {(e.source, e.target) for e in import_graph(root, "toy")} == {
        ("toy.low.a", "toy.base"),
        ("toy.low.a", "toy.low.b"),
        ("toy.high.c", "toy.low.a"),
        ("toy.high.c", "toy.base"),
    }


def test_an_upward_import_is_found_with_its_file_and_line(tmp_path):
    root = _plant(
        tmp_path, {"toy/base.py": "", "toy/low/a.py": "x = 1\nfrom toy.high.c import y\n", "toy/high/c.py": "y = 2\n"}
    )
    (upward,) = upward_imports(import_graph(root, "toy"), TOY_LAYERS, "toy")
    assert (upward.source, upward.target, upward.line) == ("toy.low.a", "toy.high.c", 2)
    assert "toy/low/a.py:2  toy.low.a [low] imports toy.high.c [high]" in report(root, TOY_LAYERS, "toy")


def test_a_cycle_is_found_also_through_a_relative_and_a_local_import(tmp_path):
    root = _plant(
        tmp_path,
        {
            "toy/base.py": "",
            "toy/low/a.py": "from . import b\n",
            "toy/low/b.py": "def later():\n    from toy.low import c\n",
            "toy/low/c.py": "import toy.low.a\n",
        },
    )
    assert cycles(import_graph(root, "toy")) == [["toy.low.a", "toy.low.b", "toy.low.c", "toy.low.a"]]
    text = report(root, TOY_LAYERS, "toy")
    assert "toy.low.a → toy.low.b → toy.low.c → toy.low.a" in text
    assert "toy/low/b.py:2  toy.low.b imports toy.low.c" in text  # and the local import, separately


def test_a_module_outside_the_declared_layers_is_reported(tmp_path):
    root = _plant(tmp_path, {"toy/base.py": "", "toy/extra.py": ""})
    assert undeclared_modules(root, TOY_LAYERS, "toy") == ["toy.extra"]


def test_a_heavy_library_reached_from_a_dag_file_is_found(tmp_path):
    root = _plant(
        tmp_path,
        {
            "toy/base.py": "import os\n\ndef later():\n    import psycopg\n",
            "toy/low/a.py": "from toy import base\nimport pandas as pd\n",
            "toy/high/c.py": "from toy.low import a\n",
        },
    )
    dag = tmp_path / "dags" / "my_dag.py"
    dag.parent.mkdir()
    dag.write_text("from airflow.sdk import dag\nfrom toy.high.c import thing\n\ndef task():\n    import toy.base\n")
    starts = dag_imports(root, [dag], "toy")
    assert starts == {"my_dag.py": {"toy.high.c"}}  # the task's import runs later, not at parse time
    assert heavy_at_import(root, starts, ("pandas", "psycopg"), "toy") == [
        "my_dag.py → toy.low.a (toy/low/a.py:2) imports pandas"
    ]
