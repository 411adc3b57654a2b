"""The layers of ``vision/__init__.py``'s docstring, enforced: no upward import, no import cycle.

Every ``import`` / ``from … import`` statement of every module in ``vision/``, ``trainer/``, ``ui/``
and ``app.py`` is read with :mod:`ast` (without importing anything), wherever it stands: at module
level, inside a function (a lazy import), under ``if TYPE_CHECKING:`` or ``try:``. An import
counts as an edge to the project module it names (``from vision import analysis`` names
``vision.analysis``; ``from vision import __version__`` names the package ``vision``); imports
of other libraries are not edges. Not seen: ``importlib.import_module`` with a computed name
(``vision/parallel.py`` rebuilds a worker's exception class by name that way) and the implicit
import of a package's ``__init__`` when one of its submodules is imported.

Rules:
* a module imports only modules of its own layer or of a lower one;
* no cycle among all the edges (lazy ones included), within a layer too;
* no project module imported under ``try: … except ImportError``: it is always installed, so the
  guard can only hide an import that broke;
* the one upward import allowed: ``vision.__main__`` (the command line) may import ``trainer``
  modules inside a function, for the subcommand that needs them (``--pdf``, ``users``,
  ``screen``); at module level it may not. Why, in ``vision/__init__.py``.

The checker is tested on small packages built in ``tmp_path`` (an upward import, a lazy cycle, the
exception used at module level or by another module), so it is known to fail when it should.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO

PACKAGES = ("vision", "trainer", "ui")
SCRIPTS = ("app.py",)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    lazy: bool  # inside a function (runs when the function is called, not when the module is imported)
    guarded: bool = False  # in the body of a ``try:`` that catches ImportError (a missing module skipped)


def module_files(root: Path, packages=PACKAGES, scripts=SCRIPTS) -> dict[str, Path]:
    """Every module under ``root``'s ``packages`` (dotted name -> file), and the top-level ``scripts``."""
    mods: dict[str, Path] = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join(parts)] = path
    for script in scripts:
        if (root / script).is_file():
            mods[Path(script).stem] = root / script
    return mods


def _resolve(name: str, known: set[str]) -> str | None:
    """The longest known module that ``name`` (a module or ``module.attribute``) starts with."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def import_edges(mods: dict[str, Path]) -> list[Edge]:
    known = set(mods)
    edges: list[Edge] = []
    for source, path in mods.items():
        is_package = path.name == "__init__.py"

        def visit(node: ast.AST, lazy: bool, guarded: bool, source=source, is_package=is_package) -> None:
            try_body = set(map(id, node.body)) if isinstance(node, ast.Try) and _catches_import_error(node) else set()
            for child in ast.iter_child_nodes(node):
                inside = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                hidden = guarded or id(child) in try_body
                names: list[str] = []
                if isinstance(child, ast.Import):
                    names = [alias.name for alias in child.names]
                elif isinstance(child, ast.ImportFrom):
                    if child.level:  # relative: from . import x / from ..a import b
                        base = source.split(".")
                        base = base if is_package else base[:-1]
                        base = base[: len(base) - (child.level - 1)]
                        module = ".".join(base + ([child.module] if child.module else []))
                    else:
                        module = child.module or ""
                    names = [f"{module}.{alias.name}" for alias in child.names]
                for target in dict.fromkeys(_resolve(name, known) for name in names):
                    # a module importing itself or its own package's __init__ is not an edge
                    if target and target != source and not source.startswith(target + "."):
                        edges.append(Edge(source, target, child.lineno, inside, hidden))
                visit(child, inside, hidden)

        visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), False, False)
    return edges


def _catches_import_error(node: ast.Try) -> bool:
    names = set()
    for handler in node.handlers:
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        names |= {t.id if isinstance(t, ast.Name) else getattr(t, "attr", "") for t in types if t is not None}
    return bool(names & {"ImportError", "ModuleNotFoundError"})


# ------------------------------------------------------------------------------------------ the map

LAYER_LINE = re.compile(r"^    (?P<label>[A-Za-z][\w ]*):(?P<modules>( [\w.]+(\.\*)?)+)$")


def parse_layers(doc: str) -> list[tuple[str, list[str]]]:
    """The ``label: module module pkg.*`` lines of the docstring, bottom layer first."""
    return [(m["label"], m["modules"].split()) for line in doc.splitlines() if (m := LAYER_LINE.match(line))]


def layer_of(mods: set[str], layers: list[tuple[str, list[str]]]) -> tuple[dict[str, int], list[str]]:
    """Each module's layer index (an exact name beats a ``pkg.*`` pattern, a longer pattern a shorter
    one), and the problems with the map itself (a module in no layer or in two, an entry that names
    no module)."""
    rank: dict[str, tuple[int, int]] = {}  # module -> (specificity, layer)
    problems = []
    for index, (label, entries) in enumerate(layers):
        for entry in entries:
            if entry.endswith(".*"):
                pkg = entry[:-2]
                hits = [m for m in mods if m == pkg or m.startswith(pkg + ".")]
                specificity = len(pkg)
            else:
                hits = [entry] if entry in mods else []
                specificity = 10_000
            if not hits:
                problems.append(f"layer {label!r} names {entry!r}, which is no module")
            for m in hits:
                if m in rank and rank[m][0] == specificity:
                    problems.append(f"{m} is in two layers")
                if m not in rank or rank[m][0] < specificity:
                    rank[m] = (specificity, index)
    problems += [f"{m} is in no layer: add it to the list in vision/__init__.py" for m in sorted(mods - set(rank))]
    return {m: layer for m, (_, layer) in rank.items()}, problems


# ------------------------------------------------------------------------------------------ rules

def allowed_upward(edge: Edge) -> bool:
    """The one upward import allowed: the command line's subcommands load trainer code when run."""
    return (edge.source == "vision.__main__" and edge.lazy
            and (edge.target == "trainer" or edge.target.startswith("trainer.")))


def upward_imports(edges: list[Edge], layer: dict[str, int], labels: list[str], allowed=allowed_upward) -> list[str]:
    out = []
    for e in edges:
        if e.source in layer and e.target in layer and layer[e.target] > layer[e.source] and not allowed(e):
            out.append(f"{e.source} (line {e.line}{', in a function' if e.lazy else ''}, layer "
                       f"{labels[layer[e.source]]!r}) imports {e.target} (layer {labels[layer[e.target]]!r}, above)")
    return out


def import_cycles(edges: list[Edge]) -> list[list[str]]:
    """Every strongly connected set of two or more modules (Tarjan), each as one cycle through it."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return [_cycle_through(comp, graph) for comp in components]


def _cycle_through(comp: list[str], graph: dict[str, set[str]]) -> list[str]:
    """The shortest cycle from the set's first module back to it, for the failure message (a -> b -> a)."""
    inside, start = set(comp), comp[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & inside):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start] + path[::-1][1:] + [start]
                if w not in came_from:
                    came_from[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError("a strongly connected set has a cycle")


def check(root: Path, doc: str, packages=PACKAGES, scripts=SCRIPTS) -> list[str]:
    """Every problem of the project under ``root`` against the layer list in ``doc`` (empty: clean)."""
    mods = module_files(root, packages, scripts)
    layers = parse_layers(doc)
    if not layers:
        return ["no layer list found in the docstring"]
    layer, problems = layer_of(set(mods), layers)
    edges = import_edges(mods)
    problems += upward_imports(edges, layer, [label for label, _ in layers])
    problems += ["import cycle: " + " -> ".join(c) for c in import_cycles(edges)]
    problems += [f"{e.source} (line {e.line}) imports {e.target} under `except ImportError`: a project module is "
                 "always there, so the guard only hides a broken import" for e in edges if e.guarded]
    return problems


# ------------------------------------------------------------------------------------------ the project

def test_the_project_keeps_its_layers_and_has_no_import_cycle():
    import vision

    problems = check(REPO, vision.__doc__ or "")
    assert problems == [], "\n".join(problems)


def test_the_layer_list_is_found_and_ends_with_the_app():
    import vision

    layers = parse_layers(vision.__doc__ or "")
    assert len(layers) >= 10
    assert layers[0][1][0] == "vision" and layers[-1] == ("app", ["app"])


def test_the_known_lazy_upward_imports_are_only_the_clis_trainer_commands():
    mods = module_files(REPO)
    import vision

    layer, _ = layer_of(set(mods), parse_layers(vision.__doc__ or ""))
    used = {(e.source, e.target) for e in import_edges(mods)
            if layer.get(e.target, -1) > layer.get(e.source, 10**6) and allowed_upward(e)}
    assert used and {s for s, _ in used} == {"vision.__main__"}
    assert all(t.startswith("trainer") for _, t in used)


# ------------------------------------------------------------------------------------------ the checker fails

DOC = """Layers:

    base: pkg pkg.low
    middle: pkg.mid pkg.sub.*
    top: pkg.high app
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


CLEAN = {
    "pkg/__init__.py": "",
    "pkg/low.py": "import os\n",
    "pkg/mid.py": "from pkg import low\nfrom . import low as again\n",
    "pkg/sub/__init__.py": "",
    "pkg/sub/leaf.py": "from pkg.mid import thing\n",
    "pkg/high.py": "import pkg.sub.leaf\nfrom pkg.low import x\n",
    "app.py": "from pkg import high\n",
}


def test_checker_passes_a_clean_package(tmp_path):
    assert check(_write(tmp_path, CLEAN), DOC, packages=("pkg",)) == []


def test_checker_catches_an_upward_import(tmp_path):
    files = dict(CLEAN, **{"pkg/low.py": "from pkg.high import y\n"})
    problems = check(_write(tmp_path, files), DOC, packages=("pkg",))
    assert any("pkg.low (line 1, layer 'base') imports pkg.high (layer 'top', above)" in p for p in problems), problems


def test_checker_catches_a_lazy_upward_import_and_a_relative_one(tmp_path):
    files = dict(CLEAN, **{"pkg/low.py": "def f():\n    from .mid import z\n    return z\n"})
    problems = check(_write(tmp_path, files), DOC, packages=("pkg",))
    assert any("pkg.low (line 2, in a function, layer 'base') imports pkg.mid" in p for p in problems), problems


def test_checker_catches_a_cycle_within_a_layer_through_a_lazy_import(tmp_path):
    files = dict(CLEAN, **{"pkg/sub/leaf.py": "import pkg.mid\n",
                           "pkg/mid.py": "def f():\n    from pkg.sub import leaf\n"})
    problems = check(_write(tmp_path, files), DOC, packages=("pkg",))
    assert "import cycle: pkg.mid -> pkg.sub.leaf -> pkg.mid" in problems, problems
    assert not any("above" in p for p in problems)  # same layer: only the cycle is wrong


def test_checker_catches_a_three_module_cycle(tmp_path):
    files = dict(CLEAN, **{"pkg/low.py": "import pkg\n", "pkg/__init__.py": "from pkg import low\n"})
    # a package's own __init__ is not an edge of its submodules; pkg -> low alone is no cycle
    assert check(_write(tmp_path, files), DOC, packages=("pkg",)) == []
    cyc = import_cycles([Edge("a", "b", 1, False), Edge("b", "c", 1, True), Edge("c", "a", 1, False)])
    assert cyc == [["a", "b", "c", "a"]]


def test_checker_catches_a_module_missing_from_the_map_and_a_stale_entry(tmp_path):
    files = dict(CLEAN, **{"pkg/new.py": ""})
    problems = check(_write(tmp_path, files), DOC.replace("pkg.high app", "pkg.high pkg.gone app"), packages=("pkg",))
    assert "pkg.new is in no layer: add it to the list in vision/__init__.py" in problems
    assert "layer 'top' names 'pkg.gone', which is no module" in problems


def test_checker_catches_a_project_import_under_except_import_error(tmp_path):
    guarded = "def f():\n    try:\n        from pkg.low import x\n    except (ValueError, ImportError):\n        return None\n"
    other = "try:\n    import numpy\nexcept ImportError:\n    numpy = None\ntry:\n    from pkg import low\nexcept KeyError:\n    pass\n"
    files = dict(CLEAN, **{"pkg/high.py": guarded, "pkg/mid.py": other})
    problems = check(_write(tmp_path, files), DOC, packages=("pkg",))
    assert problems == ["pkg.high (line 3) imports pkg.low under `except ImportError`: a project module is always "
                        "there, so the guard only hides a broken import"], problems


@pytest.mark.parametrize("source, lazy, target, allowed", [
    ("vision.__main__", True, "trainer.screening.screen", True),   # the screen subcommand, when run
    ("vision.__main__", True, "trainer.pdf_report", True),
    ("vision.__main__", False, "trainer.pdf_report", False),       # at module level: every CLI run loads it
    ("vision.batch", True, "trainer.store", False),                # any other engine module: never
    ("vision.__main__", True, "ui.auth", False),                   # and the CLI never imports the UI
])
def test_the_one_exception_is_narrow(source, lazy, target, allowed):
    edge = Edge(source, target, 1, lazy)
    assert allowed_upward(edge) is allowed
    layer = {"vision.batch": 0, "vision.__main__": 0, target: 1}
    assert (upward_imports([edge], layer, ["engine", "above"]) == []) is allowed

