"""The package's shape: window arithmetic only in geometry, no import cycles, no private
names crossing modules, small files.

These read the source (with ``tokenize`` and ``ast``), so they fail the moment a formula,
a cycle or a private import comes back, whatever the tests of behaviour say.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ventanal"
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
MAX_LINES = 520    # "no file over ~500 lines"

# Each formula that geometry owns, as it is written in code (comments and strings are
# ignored, so docstrings may still teach a formula). Names are the ones the callers use:
# k window, s stride, d dilation, lo padding before, e effective window, o/i/j output.
FORMULAS = {
    "effective window d*(k-1)+1":
        re.compile(r"\*\s*\(\s*\w+\s*-\s*1\s*\)\s*\+\s*1\b|\(\s*\w+\s*-\s*1\s*\)\s*\*\s*\w+\s*\+\s*1\b"),
    "tap position o*s - lo (+ a*d)":
        re.compile(r"\*\s*[\w.]*(?:stride|\bs[dhw]?)\b\s*-\s*[\w.]*(?:pad_before|\blo[dhw]?\b)"),
    "tap offset a*d - lo":
        re.compile(r"\*\s*[\w.]*(?:dilation|\bd[dhw]?)\b\s*-\s*[\w.]*(?:pad_before|\blo[dhw]?\b)"),
    "interior (lo + s - 1) // s":
        re.compile(r"\(\s*[\w.]*(?:pad_before|\blo[dhw]?)\s*\+\s*[\w.]*(?:stride|\bs[dhw]?)\s*-\s*1\s*\)\s*//"),
    "last tap (k-1)*d":
        re.compile(r"\(\s*[\w.]*(?:window|\bk[dhw]?)\s*-\s*1\s*\)\s*\*\s*[\w.]*(?:dilation|\bd[dhw]?)\b"),
    "cells read span - pad_before":
        re.compile(r"span\w*\s*-\s*[\w.]*pad_before"),
    "next window output * stride":
        re.compile(r"\boutput\s*\*\s*[\w.]*stride"),
    "window count (n + lo + hi - e) / s":
        re.compile(r"\+\s*[\w.]*(?:pad_after|\bhi)\b\s*-\s*[\w.]*(?:effective_window|\be)\b"),
    "rows read (i1 - 1 - i0) * s + e":
        re.compile(r"-\s*1\s*-\s*\w+\s*\)\s*\*\s*[\w.]*(?:stride|\bs[dhw]?)\b\s*\+"),
}


def code_text(path: Path) -> list[tuple[int, str]]:
    """Lines of ``path`` with comments and string literals blanked out."""
    source = path.read_text()
    lines = source.splitlines()
    keep = [list(line) for line in lines]
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.STRING):
            (r0, c0), (r1, c1) = token.start, token.end
            for row in range(r0, r1 + 1):
                line = keep[row - 1]
                start = c0 if row == r0 else 0
                stop = c1 if row == r1 else len(line)
                line[start:stop] = " " * (stop - start)
    return [(i + 1, "".join(chars)) for i, chars in enumerate(keep)]


def test_the_formula_patterns_catch_what_they_name():
    # The patterns are the test: each must match the formula it names.
    examples = {
        "effective window d*(k-1)+1": "e = d * (k - 1) + 1",
        "tap position o*s - lo (+ a*d)": "z = od * axis_d.stride - axis_d.pad_before + a",
        "tap offset a*d - lo": "offset = e * axis_h.dilation - axis_h.pad_before",
        "interior (lo + s - 1) // s": "ja = min(Wo, (low + sw - 1) // sw)",
        "last tap (k-1)*d": "last = W - 1 - (kw - 1) * dw + low",
        "cells read span - pad_before": "max(0, min(axis.size, axis.span - axis.pad_before))",
        "next window output * stride": "start = axis.output * axis.stride - axis.pad_before",
        "window count (n + lo + hi - e) / s": "ratio = (n + lo + hi - e) / s",
        "rows read (i1 - 1 - i0) * s + e": "count = (i1 - 1 - i0) * axis_h.stride + eh",
    }
    for name, pattern in FORMULAS.items():
        assert pattern.search(examples[name]), name
    assert not any(p.search("p = j * stride") for p in FORMULAS.values())


def test_window_arithmetic_lives_in_geometry_only():
    found = []
    for path in SOURCES:
        if path.parent.name == "geometry":
            continue
        for number, line in code_text(path):
            for name, pattern in FORMULAS.items():
                if pattern.search(line):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {name}: "
                                 f"{line.strip()}")
    assert not found, "window arithmetic outside ventanal/geometry/:\n" + "\n".join(found)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path):
    """``(imported module, names, at module level?)`` for every import of ``ventanal``."""
    module = module_name(path)
    tree = ast.parse(path.read_text())
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = resolve(module, path.name == "__init__.py", node)
            if target.split(".")[0] == "ventanal":
                yield target, [alias.name for alias in node.names], id(node) in top_level
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "ventanal":
                    yield alias.name, [], id(node) in top_level


MODULES = {module_name(p): p for p in SOURCES}


def test_no_private_name_crosses_modules():
    crossing = []
    for path in SOURCES:
        for target, names, _ in imports_of(path):
            private = [n for n in names if n.startswith("_") and n != "__version__"
                       and f"{target}.{n}" not in MODULES]
            if private:
                crossing.append(f"{module_name(path)} imports {private} from {target}")
            if any(part.startswith("_") and part != "__init__" and f"{target}" in MODULES
                   and MODULES[target].parent != path.parent for part in target.split(".")):
                crossing.append(f"{module_name(path)} imports the private module {target}")
    assert not crossing, "\n".join(crossing)


def test_no_import_cycles():
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for path in SOURCES:
        here = module_name(path)
        for target, names, _ in imports_of(path):   # function-level imports count too
            submodules = {f"{target}.{name}" for name in names if f"{target}.{name}" in MODULES}
            graph[here] |= submodules
            if target in MODULES and (len(submodules) < len(names) or not names):
                graph[here].add(target)
        graph[here].discard(here)
    # A package's __init__ importing its own submodules is the package, not a cycle.
    for name in graph:
        graph[name] = {t for t in graph[name]
                       if not (t.startswith(name + ".") and MODULES[name].name == "__init__.py")}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for target in graph[node]:
            if state.get(target) == 1:
                cycles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target, stack + [target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def uses_numba(module: str) -> bool:
    """True for a module of compiled kernels (it imports numba), which loads lazily."""
    path = MODULES.get(module)
    return path is not None and re.search(r"^(from numba|import numba)", path.read_text(),
                                          re.MULTILINE) is not None


def test_no_sibling_imported_inside_a_function():
    # In the engine, lazy imports are for numba alone; between ventanal's own modules they
    # hide cycles. (The command line imports the figure modules lazily to start fast.)
    inside = []
    for path in SOURCES:
        if path.parent.name not in ("ops", "layers", "data", "geometry"):
            continue
        for target, names, top in imports_of(path):
            if top or all(uses_numba(f"{target}.{name}") for name in names) or uses_numba(target):
                continue
            if not top:
                inside.append(f"{module_name(path)} imports {target} {names} inside a function")
    assert not inside, "\n".join(inside)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_files_are_small(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines (one idea per module)"


def public_definitions(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return {name for name in names if not name.startswith("_")}


def declared_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                return list(ast.literal_eval(node.value))
    return None


PUBLIC_MODULES = [p for p in SOURCES if not any(part.startswith("_") and part != "__init__.py"
                                                 for part in p.relative_to(PACKAGE).parts)]


@pytest.mark.parametrize("path", PUBLIC_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_all_is_complete(path):
    tree = ast.parse(path.read_text())
    names = declared_all(tree)
    if path.name == "cli.py" or path.parent.name == "cli":
        return    # the command line is run, not imported
    assert names is not None, f"{module_name(path)} has no __all__"
    assert len(names) == len(set(names)), f"{module_name(path)}.__all__ repeats a name"
    missing = public_definitions(tree) - set(names)
    assert not missing, f"{module_name(path)}.__all__ misses {sorted(missing)}"
    module = __import__(module_name(path), fromlist=["_"])
    absent = [name for name in names if not hasattr(module, name)]
    assert not absent, f"{module_name(path)}.__all__ names what it does not have: {absent}"
