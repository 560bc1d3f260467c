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
    parts -= {"__init__", "__pycache__", "migrations"}
    assert parts <= set(LAYERS), parts - set(LAYERS)
