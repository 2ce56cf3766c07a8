"""The rooms of qa/ and the one-way flow between them, read from the source with ``ast``.

Every ``import`` counts, wherever it stands (module level, inside a function, under
``TYPE_CHECKING``). The checks: no import cycle between modules, no import against the room
order below, and no ``_private`` name taken from another room.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A module may import from its own room and from any room on a lower layer;
# rooms on one layer do not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("qa.types", "qa.datafiles"),  # the nouns and the data files
    ("qa.settings",),  # the QA_* environment, read at call time
    ("qa.text",),
    ("qa.report",),
    ("qa.search",),
    ("qa.ledger",),
    ("qa.answer",),
    ("qa.ui", "qa.evaluate"),  # interfaces
    ("qa.server",),  # the chat and the JSON API in one web app
    ("qa.cli",),  # interface: the one CLI, which opens the chat and the eval
    ("qa", "qa.__main__", "app"),  # the package's public names, python -m qa, app.py
)
LAYER_OF = {room: i for i, layer in enumerate(LAYERS) for room in layer}

Graph = dict[str, set[str]]


def module_name(path: Path, root: Path) -> str:
    """``qa/text/normalize.py`` -> ``qa.text.normalize``; ``qa/ui/__init__.py`` -> ``qa.ui``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_sources(root: Path = ROOT) -> dict[str, str]:
    """Module name -> source, for every module under qa/ and the top-level app.py."""
    files = [*sorted((root / "qa").rglob("*.py")), root / "app.py"]
    return {module_name(f, root): f.read_text(encoding="utf-8") for f in files}


def room(module: str) -> str:
    """The room a module lives in: ``qa.text.normalize`` -> ``qa.text``; ``qa.cli`` -> ``qa.cli``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "qa" else parts[0]


def is_private(name: str) -> bool:
    """``_name`` is private; dunders (``__version__``) are not."""
    return name.startswith("_") and not name.endswith("__")


def _base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` reads from (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    package = package[: len(package) - node.level + 1]
    return ".".join([*package, node.module] if node.module else package)


def imports(module: str, source: str, modules: Mapping[str, str]) -> Iterator[tuple[str, str | None]]:
    """(imported project module, name taken from it or None) for every import in ``source``.

    ``from qa.evaluate import gate`` imports the module ``qa.evaluate.gate``; ``import qa.x.y as z``
    followed by ``z._name`` counts as taking ``_name`` from ``qa.x.y``.
    """
    tree = ast.parse(source)
    is_package = any(m.startswith(module + ".") for m in modules)
    aliases: dict[str, str] = {}  # local name -> project module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if room(a.name) in LAYER_OF and a.name in modules:
                    aliases[a.asname or a.name] = a.name
                    yield a.name, None
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, is_package, node)
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in modules:
                    aliases[a.asname or a.name] = sub
                    yield sub, None
                elif base in modules:
                    yield base, a.name
    for node in ast.walk(tree):
        owner = node.value.id if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) else None
        if isinstance(node, ast.Attribute) and owner in aliases and is_private(node.attr):
            yield aliases[owner], node.attr


def import_graph(sources: Mapping[str, str]) -> tuple[Graph, list[tuple[str, str, str]]]:
    """Module -> the project modules it imports, and every (importer, module, name) taken by name."""
    graph: Graph = {m: set() for m in sources}
    taken: list[tuple[str, str, str]] = []
    for module, source in sources.items():
        for target, name in imports(module, source, sources):
            if target != module:
                graph[module].add(target)
            if name is not None:
                taken.append((module, target, name))
    return graph, taken


def cycles(graph: Graph) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def against_the_flow(graph: Graph) -> list[str]:
    """Imports from a room on the same or a higher layer than the importer's room."""
    bad = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            a, b = room(module), room(target)
            if a != b and LAYER_OF[b] >= LAYER_OF[a]:
                bad.append(f"{module} -> {target} ({a} is not above {b})")
    return bad


def private_across_rooms(taken: list[tuple[str, str, str]]) -> list[str]:
    """``_name`` taken from a module of another room."""
    return [f"{m} takes {name} from {t}" for m, t, name in taken if is_private(name) and room(m) != room(t)]


SOURCES = project_sources()
GRAPH, TAKEN = import_graph(SOURCES)


def test_every_module_lives_in_a_known_room() -> None:
    assert len(SOURCES) > 30
    assert sorted(m for m in SOURCES if room(m) not in LAYER_OF) == []
    # The rooms of the pipeline all exist and hold modules.
    assert {room(m) for m in SOURCES} == set(LAYER_OF)


def test_no_import_cycle() -> None:
    assert cycles(GRAPH) == []


def test_imports_flow_one_way() -> None:
    assert against_the_flow(GRAPH) == []


def test_no_private_names_across_rooms() -> None:
    assert private_across_rooms(TAKEN) == []


def test_the_graph_sees_lazy_and_submodule_imports() -> None:
    # A function-level import (qa.cli imports the engine only when asked) and `from package import module`.
    assert "qa.answer.engine" in GRAPH["qa.cli"]
    assert {"qa.evaluate.gate", "qa.evaluate.metrics", "qa.evaluate.report"} <= GRAPH["qa.evaluate.run"]
    assert "qa.ledger.row" in GRAPH["qa.ledger.match"]


# The checks on small made-up projects: each rule catches what it is for.
FAKE = {
    "qa": "",
    "qa.types": "",
    "qa.text": "",
    "qa.text.a": "from qa.types import Answer\n",
    "qa.search": "",
    "qa.search.b": "from qa.text.a import words\n",
    "qa.answer": "",
    "qa.answer.c": "def f():\n    from qa.search import b\n",
}


@pytest.mark.parametrize(
    ("module", "bad_line", "rule"),
    [
        ("qa.text.a", "from qa.search.b import hits\n", "cycle"),
        ("qa.text.a", "def f():\n    from qa.answer import c\n", "flow"),
        ("qa.search.b", "import qa.text.a as t\nx = t._cache\n", "private"),
        ("qa.answer.c", "from qa.text.a import _split\n", "private"),
    ],
    ids=["cycle", "lazy-import-upwards", "private-attribute", "private-name"],
)
def test_the_checks_catch_a_bad_import(module: str, bad_line: str, rule: str) -> None:
    clean_graph, clean_taken = import_graph(FAKE)
    assert (cycles(clean_graph), against_the_flow(clean_graph), private_across_rooms(clean_taken)) == ([], [], [])
    graph, taken = import_graph({**FAKE, module: FAKE[module] + bad_line})
    found = {"cycle": cycles(graph), "flow": against_the_flow(graph), "private": private_across_rooms(taken)}
    assert found[rule], found


def test_private_names_inside_one_room_are_fine() -> None:
    _, taken = import_graph({**FAKE, "qa.text.z": "from qa.text.a import _split\n"})
    assert private_across_rooms(taken) == []
    assert ("qa.text.z", "qa.text.a", "_split") in taken


def test_relative_imports_are_resolved() -> None:
    graph, _ = import_graph({**FAKE, "qa.text.z": "from .a import words\nfrom . import a\n"})
    assert graph["qa.text.z"] == {"qa.text.a"}
