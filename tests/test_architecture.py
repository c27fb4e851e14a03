"""The package's shape: its import graph runs one way, and no module grows past a page or two."""

from __future__ import annotations

import ast
from pathlib import Path

import ganzoo

ROOT = Path(ganzoo.__file__).parent
#: The most lines a module may have: past that it holds more than one concept.
MODULE_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _lazy_exports(tree: ast.Module) -> dict[str, str]:
    """The ``_EXPORTS`` table of a package that loads its members on first access."""
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Dict):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in targets):
                return {k.value: v.value for k, v in zip(node.value.keys, node.value.values) if isinstance(k, ast.Constant)}
    return {}


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for child in ast.walk(node)}
    return skipped


def import_graph() -> dict[str, set[str]]:
    """Every ganzoo module and the ganzoo modules it imports, at the top or inside functions alike."""
    trees = {_module_name(path): ast.parse(path.read_text(encoding="utf-8")) for path in ROOT.rglob("*.py")}
    modules = set(trees)
    lazy = {name: _lazy_exports(tree) for name, tree in trees.items()}

    def resolve(module: str, name: str | None) -> str | None:
        if name is not None and f"{module}.{name}" in modules:
            return f"{module}.{name}"
        if name is not None and name in lazy.get(module, {}):
            return lazy[module][name]
        return module if module in modules else None

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, tree in trees.items():
        skipped = _type_checking_blocks(tree)
        package = name if (ROOT.parent / name.replace(".", "/") / "__init__.py").exists() else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                targets = [resolve(alias.name, None) for alias in node.names if alias.name.startswith("ganzoo")]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                if not base.startswith("ganzoo"):
                    continue
                targets = [resolve(base, alias.name) for alias in node.names]
            else:
                continue
            graph[name] |= {target for target in targets if target and target != name}
        graph[name] |= set(lazy[name].values()) - {name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _without_package_exports(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without a package's edges to its own members (re-exports, loaded on first access)."""
    return {name: {t for t in targets if not t.startswith(f"{name}.")} for name, targets in graph.items()}


def test_the_import_graph_has_no_cycle() -> None:
    cycle = _cycle(_without_package_exports(import_graph()))
    assert cycle is None, " → ".join(cycle or [])


def test_the_core_never_imports_the_built_in_zoo() -> None:
    graph = import_graph()
    offenders = {name: sorted(t for t in targets if t.startswith("ganzoo.zoo")) for name, targets in graph.items()
                 if not name.startswith("ganzoo.zoo") and name != "ganzoo.zoo"}
    # The old import paths of the base classes live on as re-exports inside the zoo itself only.
    assert {name: found for name, found in offenders.items() if found} == {}


def test_no_module_holds_more_than_one_concept() -> None:
    sizes = {str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines()) for path in ROOT.rglob("*.py")}
    assert {name: lines for name, lines in sizes.items() if lines > MODULE_LINES} == {}
