"""The web layer stays thin: no module in app/web past 400 lines, no view past 25 lines.

A view is a function decorated with a route (`@bp.route`, `@bp.get`, `@bp.post`, …); its length
is the lines of its body, the docstring left out. A longer view has grown a loop over rows or a
piece of policy, which belongs in a service (or in a helper the view calls).
"""

from __future__ import annotations

import ast
from pathlib import Path

WEB = Path(__file__).resolve().parents[1] / "app" / "web"
MAX_MODULE_LINES = 400
MAX_VIEW_LINES = 25
ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}


def _modules() -> list[Path]:
    return sorted(WEB.rglob("*.py"))


def _is_route(decorator: ast.expr) -> bool:
    """`@bp.route(...)`, `@bp.post(...)` and the like: a call of a route method of a blueprint."""
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(func, ast.Attribute) and func.attr in ROUTE_DECORATORS


def _body_lines(function: ast.FunctionDef) -> int:
    """Lines of a function's body from its first statement after the docstring to its end."""
    body = function.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    if not body:
        return 0
    return body[-1].end_lineno - body[0].lineno + 1


def _views(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            _is_route(d) for d in node.decorator_list
        ):
            yield node


def test_the_web_layer_has_views_to_check():
    """The checks below look at something: the participant's pages are views in app/web."""
    names = {v.name for path in _modules() for v in _views(ast.parse(path.read_text()))}
    assert {"me", "inbox", "send_note", "game", "add_participants", "queue"} <= names


def test_no_web_module_is_over_400_lines():
    long = {
        str(path.relative_to(WEB)): n
        for path in _modules()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_view_is_over_25_lines():
    long = {
        f"{path.relative_to(WEB)}:{view.name}": n
        for path in _modules()
        for view in _views(ast.parse(path.read_text()))
        if (n := _body_lines(view)) > MAX_VIEW_LINES
    }
    assert long == {}


def test_the_line_count_leaves_out_the_docstring_and_counts_the_rest():
    """The counter itself: a docstring is free, every other line of the body counts."""
    source = 'def view():\n    """Doc.\n\n    More."""\n    a = 1\n\n    return a\n'
    [function] = ast.parse(source).body
    assert _body_lines(function) == 3
    [bare] = ast.parse("def view():\n    return 1\n").body
    assert _body_lines(bare) == 1


def test_ownership_and_the_participant_session_are_guarded_in_one_module():
    """The guards are written once, in app/web/guards.py, never copied into a blueprint."""
    copies = []
    for path in _modules():
        if path.name == "guards.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name in {
                "_own_game",
                "owned_game",
                "participant_required",
            }:
                copies.append(f"{path.relative_to(WEB)}:{node.name}")
            if isinstance(node, ast.Attribute) and node.attr == "user_loader":
                copies.append(f"{path.relative_to(WEB)}:user_loader")
    assert copies == []
