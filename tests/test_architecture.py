"""The library's import graph is one way: no module imports, even inside a function, a module
that imports it back. What several stages share lives below them (the per-file checks in
``validate_file`` below the build's ``docunit`` and the project's ``validate``; the options
the subcommands share in ``cli.options``, below ``cli`` which registers them)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "newscorpus"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.add(name if name in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found & modules


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: imports(path, modules) - {name} for name, path in sorted(paths.items())}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as its modules in import order, first one repeated at the end."""
    done: set[str] = set()
    for root in graph:
        trail: list[str] = []
        on_trail: set[str] = set()
        stack = [(root, iter(sorted(graph[root])))]
        if root in done:
            continue
        trail.append(root)
        on_trail.add(root)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                trail.pop()
                on_trail.discard(node)
                done.add(node)
            elif child in on_trail:
                return [*trail[trail.index(child) :], child]
            elif child not in done:
                stack.append((child, iter(sorted(graph[child]))))
                trail.append(child)
                on_trail.add(child)
    return None


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = import_graph()
    assert len(graph) > 50  # the walk found the package
    found = cycle(graph)
    assert found is None, "import cycle: " + " -> ".join(found or [])


def test_the_cycle_finder_finds_a_cycle_through_several_modules() -> None:
    graph = {"a": {"b"}, "b": {"c", "d"}, "c": set(), "d": {"b"}, "e": {"a"}}
    assert cycle(graph) == ["b", "d", "b"]
    assert cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
