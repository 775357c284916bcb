"""The code keeps a readable shape (STYLE.md): short modules, short functions, imports at the top.

An import inside a function is allowed only in an ``AppConfig.ready()`` (the models aren't loaded when
Django imports the app config) or under a ``# cycle: a -> b -> a`` comment naming the cycle it breaks.
Migrations are generated code and are left out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("portal", "groups", "access_requests")
MAX_MODULE_LINES = 520
MAX_FUNCTION_LINES = 60
CYCLE_COMMENT = "# cycle:"

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _modules() -> Iterator[tuple[str, str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            yield str(path.relative_to(ROOT)), source, ast.parse(source)


def _is_app_ready(function: Function, parents: dict[ast.AST, ast.AST]) -> bool:
    owner = parents.get(function)
    return (
        function.name == "ready"
        and isinstance(owner, ast.ClassDef)
        and any(getattr(base, "id", getattr(base, "attr", "")) == "AppConfig" for base in owner.bases)
    )


def _inner_imports(source: str, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, function name) of each import inside a function that no rule allows."""
    lines = source.splitlines()
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    allowed_ends: set[int] = set()  # last lines of allowed imports: a block under one comment
    imports = sorted(
        (n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)), key=lambda n: n.lineno
    )
    for node in imports:
        function = parents.get(node)
        while function is not None and not isinstance(function, Function):
            function = parents.get(function)
        if function is None:
            continue  # a module-level import (also under ``if TYPE_CHECKING:``)
        above = lines[node.lineno - 2].strip() if node.lineno >= 2 else ""
        if (
            _is_app_ready(function, parents)
            or above.startswith(CYCLE_COMMENT)
            or node.lineno - 1 in allowed_ends
        ):
            allowed_ends.add(node.end_lineno)
            continue
        yield node.lineno, function.name


def test_it_keeps_every_module_under_520_lines():
    long = [
        f"{path}: {len(source.splitlines())} lines"
        for path, source, _ in _modules()
        if len(source.splitlines()) > MAX_MODULE_LINES
    ]
    assert long == [], "Split these modules (a module past ~500 lines becomes a package):\n" + "\n".join(long)


def test_it_keeps_every_function_under_60_lines():
    long = [
        f"{path}:{node.lineno} {node.name}: {node.end_lineno - node.lineno + 1} lines"
        for path, _, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, Function) and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == [], "Split these functions into named steps:\n" + "\n".join(long)


def test_it_keeps_imports_at_the_top_of_modules():
    inner = [
        f"{path}:{line} in {function}()"
        for path, source, tree in _modules()
        for line, function in _inner_imports(source, tree)
    ]
    assert inner == [], (
        "Move these imports to the top of the module; if a cycle forbids it, fix the layering, or as a "
        f"last resort say which cycle it breaks on the line above ({CYCLE_COMMENT} a -> b -> a):\n"
        + "\n".join(inner)
    )


def test_it_allows_only_ready_and_named_cycles():
    """The checker itself: it flags a plain in-function import and lets the two allowed forms through."""
    source = (
        "from django.apps import AppConfig\n"
        "class C(AppConfig):\n"
        "    def ready(self):\n"
        "        from a import b\n"
        "def f():\n"
        "    # cycle: x -> y -> x\n"
        "    from x import y\n"
        "    from x import z\n"
        "def g():\n"
        "    import json\n"
        "class D:\n"
        "    def ready(self):\n"
        "        import os\n"
    )
    assert list(_inner_imports(source, ast.parse(source))) == [(10, "g"), (13, "ready")]
