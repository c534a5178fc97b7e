"""Settings are declared once, in network/settings.py, and read as ``settings.X`` when the code
runs: a value frozen into a module constant at import, or a second default given to
``getattr(settings, ...)``, would ignore ``override_settings`` and drift from the declared one."""

from __future__ import annotations

import ast
from pathlib import Path

APPS = ("network", "merchants", "catalog", "moderation", "orders", "shipping", "training")
ROOT = Path(__file__).resolve().parents[2]


def _modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative == "network/settings.py" or "/migrations/" in relative:
                continue
            yield relative, ast.parse(path.read_text(), filename=relative)


# Fixed for the life of the process by Django itself (the user model, the languages offered):
# model fields and form choices may name them in a class body.
STARTUP_SETTINGS = {"AUTH_USER_MODEL", "LANGUAGES"}


def _reads_settings(node: ast.AST) -> bool:
    """Whether ``node`` reads a project setting: ``settings.X`` (but for STARTUP_SETTINGS), or
    ``settings`` itself handed on (``getattr(settings, ...)``)."""
    attributes = [
        n for n in ast.walk(node) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
    ]
    if any(n.value.id == "settings" and n.attr not in STARTUP_SETTINGS for n in attributes):
        return True
    qualified = {id(n.value) for n in attributes}
    return any(
        isinstance(n, ast.Name) and n.id == "settings" and id(n) not in qualified
        for n in ast.walk(node)
    )


def _import_time_values(body: list[ast.stmt]):
    """Expressions evaluated when the module is imported: module and class-level assignments
    and the defaults of functions, classes' bodies included."""
    for statement in body:
        if isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
            if statement.value is not None:
                yield statement.lineno, statement.value
        elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            for default in [*statement.args.defaults, *statement.args.kw_defaults]:
                if default is not None:
                    yield statement.lineno, default
        elif isinstance(statement, ast.ClassDef):
            yield from _import_time_values(statement.body)


def _module_level_reads(tree: ast.Module) -> list[int]:
    """Lines where a value computed at import reads ``settings``."""
    return [line for line, value in _import_time_values(tree.body) if _reads_settings(value)]


def _getattr_defaults(tree: ast.Module) -> list[int]:
    """Lines of ``getattr(settings, name, default)`` and ``hasattr(settings, name)``."""
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        on_settings = node.args and isinstance(node.args[0], ast.Name)
        on_settings = on_settings and node.args[0].id == "settings"
        if on_settings and (
            (node.func.id == "getattr" and len(node.args) > 2) or node.func.id == "hasattr"
        ):
            lines.append(node.lineno)
    return lines


def test_no_setting_is_read_at_import_or_given_a_second_default():
    found = []
    for name, tree in _modules():
        found += [f"{name}:{line} reads settings at import" for line in _module_level_reads(tree)]
        found += [f"{name}:{line} gives a setting a default" for line in _getattr_defaults(tree)]
    assert found == []


def test_the_check_catches_both_forms():
    frozen = ast.parse(
        "LIMIT = settings.X\nY: int = getattr(settings, 'Y')\n"
        "def f(limit=settings.Z):\n    pass\n"
        "class Form:\n    size = settings.W\n    user = fk(settings.AUTH_USER_MODEL)\n"
    )
    defaulted = ast.parse('def f():\n    return getattr(settings, "X", 3)\n')
    assert _module_level_reads(frozen) == [1, 2, 3, 6]
    assert _getattr_defaults(defaulted) == [2]
    inside = ast.parse("def f():\n    return settings.X\n")
    assert _module_level_reads(inside) == [] and _getattr_defaults(inside) == []
