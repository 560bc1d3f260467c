"""Imports run one way only: domain ← models, config, tokens, extensions ← mail ← services ←
web, cli. A lower layer never imports a higher one, not even inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"

# The layer of each top-level part of the package; a module may import its own layer or lower.
LAYERS = {
    "domain": 0,
    "models": 1,
    "config": 1,
    "tokens": 1,
    "extensions": 1,
    "i18n": 1,
    "database": 1,
    "tally": 1,
    "security": 1,
    "mail": 2,
    "services": 3,
    "web": 4,
    "cli": 4,
}


def _part(module: str) -> str | None:
    """The top-level part of the package a dotted module name is in (None outside `app`)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "app" and len(parts) > 1 else None


def _imports(tree: ast.AST):
    """(module, line) for every import anywhere in the tree, function bodies included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "app":
                yield from ((f"app.{alias.name}", node.lineno) for alias in node.names)
            else:
                yield node.module, node.lineno
        elif isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)


def test_no_module_imports_from_a_higher_layer():
    upward = []
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(APP.parent)
        if "migrations" in relative.parts:
            continue
        own = _part(".".join(relative.with_suffix("").parts))
        if own not in LAYERS:
            continue  # the factory, app/__init__.py, wires every layer together
        for module, line in _imports(ast.parse(path.read_text())):
            other = _part(module)
            if other in LAYERS and LAYERS[other] > LAYERS[own]:
                upward.append(f"{relative}:{line} imports {module}")
    assert upward == [], "\n".join(upward)


def test_every_part_of_the_package_has_a_layer():
    parts = {p.stem for p in APP.iterdir() if p.suffix == ".py" or p.is_dir()}
    parts -= {"__init__", "__pycache__", "migrations", "translations"}
    assert parts <= set(LAYERS), parts - set(LAYERS)


# Service and mail modules: one concept each, small enough to read in one sitting.
MAX_LINES = 400


def _module_name(path: Path) -> str:
    """The dotted name of a module file of the package (a package is its __init__)."""
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _app_modules() -> dict[str, Path]:
    """Every module of the package but the migrations, by dotted name."""
    return {
        _module_name(path): path
        for path in sorted(APP.rglob("*.py"))
        if "migrations" not in path.relative_to(APP).parts
    }


def _imported(module: str, path: Path, node: ast.AST, known: set[str]) -> set[str]:
    """The modules of the package an import statement loads (a name imported from a package
    counts as its submodule when there is one; a relative import is resolved)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & known
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    found = set()
    for alias in node.names:
        submodule = f"{source}.{alias.name}"
        found.add(submodule if submodule in known else source)
    return found & known


def _import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports anywhere (function bodies included)."""
    modules = _app_modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        # Imports under `if TYPE_CHECKING:` never run: two models naming each other in
        # their annotations is not a loop.
        tree = ast.parse(path.read_text())
        typing_only = {
            id(inner)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and ast.unparse(block.test).endswith("TYPE_CHECKING")
            for inner in ast.walk(block)
        }
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in typing_only:
                edges |= _imported(module, path, node, known)
        graph[module] = edges - {module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_cycle_finder_finds_a_loop_and_no_false_one():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) == []


def test_the_import_graph_sees_function_level_and_relative_imports():
    graph = _import_graph()
    # app/__init__.py imports its parts inside create_app; the domain imports its own modules
    # relatively (`from . import delivery`).
    assert "app.cli" in graph["app"]
    assert "app.domain.delivery" in graph["app.domain.release"]


def test_no_import_cycle_among_the_modules_of_the_package():
    cycles = _cycles(_import_graph())
    assert cycles == [], "\n".join(" <-> ".join(group) for group in cycles)


def _services_and_mail() -> list[Path]:
    return sorted((APP / "services").glob("*.py")) + sorted((APP / "mail").glob("*.py"))


def test_services_and_mail_import_only_at_module_level():
    """A function-level import hides a loop instead of fixing it: move the code, or have the
    caller pass the value in."""
    hidden = []
    for path in _services_and_mail():
        lines = {
            inner.lineno
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            for inner in ast.walk(node)
            if isinstance(inner, ast.Import | ast.ImportFrom)
        }
        hidden += [f"{path.relative_to(APP.parent)}:{line}" for line in sorted(lines)]
    assert hidden == [], "\n".join(hidden)


def test_no_service_or_mail_module_is_longer_than_the_limit():
    long = [
        f"{path.relative_to(APP.parent)}: {n} lines"
        for path in _services_and_mail()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    ]
    assert long == [], "\n".join(long)
