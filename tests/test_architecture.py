"""The architecture as the code really imports it (docs/architecture.md, "Packages").

`make lint` checks the import contracts of pyproject.toml with import-linter. These tests hold what
those contracts cannot: no module of quizapp imports another that imports it back, at any depth,
at module level or inside a function (a package's ``__init__`` included, which the contracts'
sibling checks do not see), and every package and module at the top of quizapp has its place in
the layers, so a new room cannot stay outside the contracts.
"""

from __future__ import annotations

import pkgutil
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp

import quizapp

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def import_loops(imports: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The groups of modules that import one another in a loop (strongly connected components
    of more than one module, or a module importing itself), each sorted, found without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops = []
    for root in sorted(imports):
        if root in index:
            continue
        work = [(root, iter(sorted(imports.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(imports.get(target, ())))))
                elif target in on_stack:
                    low[module] = min(low[module], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1 or module in imports.get(module, ()):
                    loops.append(sorted(group))
    return loops


def quizapp_imports() -> dict[str, set[str]]:
    graph = grimp.build_graph("quizapp")
    return {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}


def layered_names() -> list[str]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    (layers,) = [contract["layers"] for contract in config["tool"]["importlinter"]["contracts"]
                 if contract["type"] == "layers"]
    return [name.strip() for layer in layers for name in re.split(r"[:|]", layer)]


def test_the_loop_finder_finds_loops_at_any_length_and_nothing_else():
    imports = {
        "a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(),  # a -> b -> c -> a
        "e": {"e"},  # a module importing itself
        "f": {"g"}, "g": {"h"}, "h": set(),  # a chain, no loop
        "p": {"p.x"}, "p.x": {"p"},  # a package's __init__ and its module
    }

    assert import_loops(imports) == [["a", "b", "c"], ["e"], ["p", "p.x"]]


def test_no_module_of_quizapp_imports_another_that_imports_it_back():
    assert import_loops(quizapp_imports()) == []


def test_every_top_level_package_and_module_has_its_place_in_the_layers():
    names = layered_names()
    present = {info.name for info in pkgutil.iter_modules(quizapp.__path__)}

    assert len(names) == len(set(names)), "a name stands in two layers"
    assert present - set(names) == set(), "new packages or modules: give them a layer in pyproject.toml"
    assert set(names) - present == set(), "layers name something quizapp does not have"
