"""No import cycle inside the package: each stage builds on the ones before it, never back.

Every ``import`` in ``preflight/**.py`` counts — at module level, inside functions and under
``TYPE_CHECKING`` alike — because a cycle hidden in a function or a type-only import is still two
modules that cannot be understood (or split) one without the other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "preflight"


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> Iterator[str]:
    """The package's own modules that ``tree`` imports, resolved to the deepest module that exists."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            # ``from preflight.platform import assess_platform`` imports the package; ``from preflight
            # import progress`` imports the module ``preflight.progress``.
            names = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in known else prefix for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                yield name


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    files = {_module_name(path, root): path for path in root.rglob("*.py")}
    known = set(files)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        graph[module] = set(_imported(tree, module, path.name == "__init__.py", known))
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_package_has_no_import_cycle() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_walker_sees_function_level_and_type_only_imports(tmp_path: Path) -> None:
    package = tmp_path / "preflight"
    (package / "engine").mkdir(parents=True)
    (package / "formats").mkdir()
    for init in (package, package / "engine", package / "formats"):
        (init / "__init__.py").write_text("")
    (package / "engine" / "interface.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from preflight.formats.json_format import x\n"
    )
    (package / "formats" / "json_format.py").write_text("def f():\n    from ..engine import interface\n")
    graph = import_graph(package)
    assert graph["preflight.engine.interface"] == {"preflight.formats.json_format"}
    assert graph["preflight.formats.json_format"] == {"preflight.engine.interface"}
    assert cycles(graph) == [["preflight.engine.interface", "preflight.formats.json_format"]]


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ],
)
def test_cycles_are_strongly_connected_components(graph: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert cycles(graph) == expected
