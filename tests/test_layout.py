"""The house rules the README states: a small public API, modules and functions of bounded size,
a layout section that matches the tree, signal measures that take an explicit ``ndim``."""

import ast
import inspect
import re
from pathlib import Path

import pytest

import nbhelpers
import nbhelpers.measures as measures

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "nbhelpers"
README = (ROOT / "README.md").read_text()
MODULES = sorted(PACKAGE.rglob("*.py"))


def _code_lines(source_lines: list[str], node: ast.AST) -> int:
    """Lines of code in a function: no blank lines, comments or docstring."""
    skip = set()
    body = getattr(node, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        skip = set(range(body[0].lineno, body[0].end_lineno + 1))
    count = 0
    for number in range(node.lineno, node.end_lineno + 1):
        text = source_lines[number - 1].strip()
        if text and not text.startswith("#") and number not in skip:
            count += 1
    return count


def test_the_public_api_is_small_and_documented_in_the_readme():
    names = nbhelpers.__all__
    assert 30 <= len(names) <= 50, len(names)
    assert len(set(names)) == len(names), "a name is exported twice"
    api = README.split("<!-- api:start -->")[1].split("<!-- api:end -->")[0]
    listed = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", api))
    assert listed == set(names), (sorted(set(names) - listed), sorted(listed - set(names)))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_stay_small(path):
    source = path.read_text()
    lines = source.splitlines()
    assert len(lines) <= 420, f"{path.name} has {len(lines)} lines: split it by concept"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert _code_lines(lines, node) <= 60, f"{path.name}:{node.lineno} {node.name} is too long"


def _readme_tree() -> set[str]:
    """Paths (relative to nbhelpers/) drawn in the README's layout tree."""
    layout = README.split("<!-- layout:start -->")[1].split("<!-- layout:end -->")[0]
    paths, stack = set(), []
    for line in layout.splitlines():
        match = re.match(r"^([│├└─ ]*)([\w.]+/?)", line)
        if not match or not match.group(1) and match.group(2) != "nbhelpers/":
            continue
        depth = len(match.group(1)) // 4
        stack[depth:] = [match.group(2)]
        if depth:
            paths.add("".join(stack[1:]))
    return paths


def test_readme_layout_draws_the_package_tree():
    tree = {str(p.relative_to(PACKAGE)) for p in MODULES}
    tree |= {str(p.relative_to(PACKAGE)) + "/" for p in PACKAGE.iterdir()
             if p.is_dir() and p.name != "__pycache__"}
    tree = {t for t in tree if not t.endswith("__init__.py") or "/" not in t}
    drawn = _readme_tree()
    assert drawn == tree, f"not drawn: {sorted(tree - drawn)}; not a module: {sorted(drawn - tree)}"


def _signal_measures():
    """Every measure that takes a signal ``x``, and the signal generators that take a shape."""
    for name in measures.__all__:
        func = getattr(measures, name)
        params = inspect.signature(func).parameters if callable(func) else {}
        home = func.__module__.endswith((".periodic", ".spectra", ".signals"))
        if home and ("x" in params or "shape" in params) and name != "checkerboard_floor":
            yield name, func


SIGNAL_MEASURES = list(_signal_measures())


@pytest.mark.parametrize("name, func", SIGNAL_MEASURES, ids=[name for name, _ in SIGNAL_MEASURES])
def test_signal_measures_take_ndim_as_a_required_keyword(name, func):
    ndim = inspect.signature(func).parameters.get("ndim")
    assert ndim is not None, f"{name} measures a signal but has no ndim"
    assert ndim.kind is inspect.Parameter.KEYWORD_ONLY and ndim.default is inspect.Parameter.empty, name


def test_every_public_function_has_hints_and_a_docstring():
    for path in MODULES:
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                assert ast.get_docstring(node), f"{path.name}: {node.name} has no docstring"
                assert node.returns is not None, f"{path.name}: {node.name} has no return annotation"
                for arg in node.args.args + node.args.kwonlyargs:
                    assert arg.annotation is not None, f"{path.name}: {node.name}({arg.arg}) has no type hint"
