"""States, limits and settings are each defined once.

States live in app/domain/states.py, text limits in app/domain/limits.py, settings' defaults in
SETTINGS (app/config.py). Code that restates one as a literal drifts when the one place changes,
so these tests read the source and refuse the restatement.
"""

from __future__ import annotations

import ast
import re
from enum import StrEnum
from pathlib import Path

from app import config
from app.domain import states

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
CHECKED = ("services", "mail", "web")

STATE_VALUES = {
    member.value
    for enum in vars(states).values()
    if isinstance(enum, type) and issubclass(enum, StrEnum) and enum is not StrEnum
    for member in enum
}
# Names a state is stored under; a comparison against one of these reads a state.
STATE_NAMES = re.compile(r"(state|status|kind\b|email_preference|group_kind)")
STATE_KEYWORDS = {"state", "status", "kind", "email_preference", "group_kind"}


def _modules(*parts: str):
    for part in parts:
        yield from sorted((APP / part).rglob("*.py"))


def _state_literals(node: ast.AST):
    """String constants in `node` (a tuple's elements, both arms of `a if c else b`) that are
    state values."""
    if isinstance(node, ast.Constant) and node.value in STATE_VALUES:
        yield node
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for element in node.elts:
            yield from _state_literals(element)
    elif isinstance(node, ast.IfExp):
        yield from _state_literals(node.body)
        yield from _state_literals(node.orelse)


def state_literals_in(source: str) -> list[tuple[int, str]]:
    """(line, value) for each state written as a string where a state is compared, tested
    with `in`, filtered on in `.where(...)`, or set with a `state=`-like keyword."""
    tree = ast.parse(source)
    found: list[ast.Constant] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for i, op in enumerate(node.ops):
                if not isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn):
                    continue
                for lit, other in ((sides[i], sides[i + 1]), (sides[i + 1], sides[i])):
                    if STATE_NAMES.search(ast.get_source_segment(source, other) or ""):
                        found.extend(_state_literals(lit))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("where", "in_", "filter_by"):
                for arg in node.args:
                    found.extend(_state_literals(arg))
            for keyword in node.keywords:
                if keyword.arg in STATE_KEYWORDS:
                    found.extend(_state_literals(keyword.value))
    return sorted({(lit.lineno, lit.value) for lit in found})


def test_the_check_finds_each_kind_of_restated_state():
    """The checker itself: each shape it is meant to refuse is refused, an enum is not."""
    source = (
        "a = game.state == 'running'\n"
        "b = 'ended' != game.state\n"
        "c = k.state in ('scheduled', 'routing')\n"
        "d = select(K).where(K.id == 1, 'x' if y else 'cancelled')\n"
        "e = update(K).values(state='delivered')\n"
        "f = update(O).values(status='failed' if g else 'queued')\n"
        "g = game.state == GameState.RUNNING\n"
        "h = step == 'done'\n"
    )
    assert state_literals_in(source) == [
        (1, "running"),
        (2, "ended"),
        (3, "routing"),
        (3, "scheduled"),
        (4, "cancelled"),
        (5, "delivered"),
        (6, "failed"),
        (6, "queued"),
    ]


def test_services_mail_and_web_name_states_by_their_enum():
    """No state is written as a bare string where code compares or sets one."""
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: '{value}'"
        for path in _modules(*CHECKED)
        for line, value in state_literals_in(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "use the enums of app/domain/states.py:\n" + "\n".join(offenders)


TEMPLATE_STATE = re.compile(
    r"\.(?:state|status|kind|email_preference|group_kind)\s*(?:==|!=|(?:not\s+)?in)\s*\(?\s*'(\w+)'"
)


def test_templates_compare_states_with_the_enums():
    """Templates compare `x.state == GameState.RUNNING`, not `x.state == 'running'`."""
    offenders = [
        f"{path.relative_to(ROOT)}: '{match.group(1)}'"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for match in TEMPLATE_STATE.finditer(path.read_text(encoding="utf-8"))
        if match.group(1) in STATE_VALUES
    ]
    assert offenders == [], "\n".join(offenders)


def _config_gets(tree: ast.AST):
    """(line, key) for each `….config.get(KEY, default)` / `config.get(KEY, default)`."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and len(node.args) + len(node.keywords) >= 2
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name == "config":
                yield node.lineno, node.args[0].value


def test_no_setting_default_is_restated_outside_settings():
    """A setting's default lives in SETTINGS only: code reads `config[KEY]`, never
    `config.get(KEY, default)`, which would disagree with SETTINGS the day one changes."""
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {key}"
        for path in sorted(APP.rglob("*.py"))
        if path != APP / "config.py" and "migrations" not in path.parts
        for line, key in _config_gets(ast.parse(path.read_text(encoding="utf-8")))
        if key in config.SETTINGS
    ]
    assert offenders == [], "\n".join(offenders)


def _number_limits(tree: ast.AST):
    """(line, number) for text limits written as numbers: `clean_text(x, what, 500)` and
    `len(x) > 120`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "clean_text":
            limit = node.args[2] if len(node.args) > 2 else None
            if isinstance(limit, ast.Constant) and isinstance(limit.value, int):
                yield node.lineno, limit.value
        if (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Call)
            and getattr(node.left.func, "id", None) == "len"
        ):
            # A maximum (`len(x) > 120`); a minimum such as "at least a sentence" is a rule.
            for op, right in zip(node.ops, node.comparators):
                if isinstance(op, ast.Gt | ast.GtE) and isinstance(right, ast.Constant):
                    yield node.lineno, right.value


def test_services_read_text_limits_from_the_table():
    """Every text limit a service checks is read from LIMITS (app/domain/limits.py)."""
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {number}"
        for path in _modules("services")
        for line, number in _number_limits(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == [], "\n".join(offenders)


def test_readme_lists_every_environment_variable_of_settings():
    """The README's configuration table names exactly the variables SETTINGS reads (plus the
    two read elsewhere in app/config.py), so a new setting is documented where people look."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration") : readme.index("Mail is written to an outbox")]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    listed = set(re.findall(r"`([A-Z_]+)`", "\n".join(first_cells)))
    read = {name for name, setting in config.SETTINGS.items() if setting.read}
    assert listed - read == {"ANGELS_ENV", "DATABASE_URL"}
    assert read - listed == set()
    assert "PASSWORD_HASH_METHOD" in read
