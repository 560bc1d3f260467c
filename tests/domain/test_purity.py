"""The domain stays pure: nothing under app/domain imports Flask, the database or the app, and
no module grows past what a reader can hold (400 lines; split it by concept instead)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "app" / "domain"
MODULES = sorted(DOMAIN.rglob("*.py"))
MAX_LINES = 400


def _name(path: Path) -> str:
    return path.relative_to(DOMAIN).as_posix()


def _imports(path: Path) -> list[tuple[int, str]]:
    """(relative level, module) of every import in the file, function bodies included."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append((node.level, node.module or ""))
    return names


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_domain_module_imports_nothing_forbidden(path):
    # A relative import may climb back to app/domain, never above it: from app/domain/x.py
    # one dot is the domain, from app/domain/draw/x.py two dots are.
    depth = len(path.relative_to(DOMAIN).parts)
    for level, name in _imports(path):
        top = name.split(".")[0]
        assert level <= depth, f"{_name(path)} reaches outside the domain: {'.' * level}{name}"
        if level:
            continue
        assert top != "app" and top != "werkzeug" and top != "sqlalchemy", f"{_name(path)}: {name}"
        assert not top.startswith("flask"), f"{_name(path)} imports {name}"


def test_the_domain_has_modules_and_packages():
    assert len(MODULES) >= 2
    assert any(len(path.relative_to(DOMAIN).parts) > 1 for path in MODULES), "subpackages walked"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_domain_module_is_over_400_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{_name(path)} has {lines} lines; split it by concept"
