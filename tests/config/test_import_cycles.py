"""No module of the project imports itself through others: a cycle makes import order
matter and hides which side owns a rule (docs/conventions.md point 12)."""

from __future__ import annotations

import grimp

PACKAGES = ("config", "surveys", "respondents", "exports")


def _cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(imports):
        if root in index:
            continue
        work = [(root, iter(sorted(imports[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(imports[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
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


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_of_the_project_is_part_of_an_import_cycle():
    graph = grimp.build_graph(*PACKAGES)
    # A package's __init__ importing its own modules is not a cycle between modules.
    imports = {
        module: {
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if imported in graph.modules and not module.startswith(imported + ".")
        }
        for module in graph.modules
    }
    assert _cycles(imports) == []
