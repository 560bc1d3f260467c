"""The domain stays pure: nothing under app/domain imports Flask, the database or the app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "app" / "domain"


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
    return names


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_domain_module_imports_nothing_forbidden(path):
    for name in _imports(path):
        top = name.split(".")[0]
        assert not name.startswith(".."), f"{path.name} reaches outside the domain: {name}"
        assert top != "app" and top != "werkzeug" and top != "sqlalchemy", f"{path.name}: {name}"
        assert not top.startswith("flask"), f"{path.name} imports {name}"


def test_the_domain_has_modules():
    assert len(list(DOMAIN.glob("*.py"))) >= 2
