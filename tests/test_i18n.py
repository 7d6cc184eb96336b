"""The catalogue of labels matches the code: no key used and missing, no key left unused.

The code is read with ``ast``. A key is used where its text appears as a string in code:
``text("fm.title", ...)``, or, for a key chosen before the call
(``key = "anim.max_of" if ... else ...; text(key, lang)``), anywhere in the function that
calls ``text`` with it. Keys built at run time (f-strings) cannot be read that way, so each
family is listed in ``DYNAMIC`` with every value it can take, and a ``text(f"...")`` whose
prefix is not listed fails the test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ventanal.viz.i18n import LANGUAGES, MESSAGES

PACKAGE = Path(__file__).resolve().parents[1] / "ventanal"
SOURCES = sorted(p for p in PACKAGE.rglob("*.py")
                 if "__pycache__" not in p.parts and p.name != "i18n.py")
NAMESPACES = {key.split(".")[0] for key in MESSAGES}
KEY_LIKE = re.compile(r"^[a-z]+\.[a-z_]+$")

# Keys built with an f-string: the literal prefix, and every value the code puts after it.
DYNAMIC = {
    # the stages of feature extraction (extract.STAGES), titles and the command line
    "stage.": ("input", "filter", "detect", "condense"),
    # op_label: the op kinds of the figures and animations, plain and dilated
    "op.": ("conv", "max", "avg", "conv_dilated", "max_dilated", "avg_dilated"),
    # padding_label: the named paddings of ventanal.geometry.PADDING_NAMES
    "padding.": ("valid", "same", "full", "causal"),
    # format_field_table's columns
    "table.": ("layer", "output_shape", "size", "jump", "start"),
}


def docstrings(tree: ast.AST) -> set[int]:
    """``id`` of every docstring node (module, class, function): prose, not keys."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def key_strings(tree: ast.AST, skip: set[int]) -> set[str]:
    """Strings under ``tree`` that look like a key of the catalogue (``"anim.max_of"``)."""
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in skip and KEY_LIKE.match(node.value)
            and node.value.split(".")[0] in NAMESPACES}


def text_calls(tree: ast.AST) -> list[ast.Call]:
    """The calls ``text(key, ...)`` under ``tree`` (not matplotlib's ``ax.text``)."""
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id == "text" and node.args]


def scan() -> tuple[set[str], set[str], set[str]]:
    """Key-like strings in code, the keys ``text()`` surely receives, and f-string prefixes."""
    strings, called, prefixes = set(), set(), set()
    for path in SOURCES:
        tree = ast.parse(path.read_text())
        skip = docstrings(tree)
        strings |= key_strings(tree, skip)
        for call in text_calls(tree):
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                called.add(first.value)
            elif isinstance(first, ast.JoinedStr):
                head = first.values[0] if first.values else None
                prefixes.add(head.value if isinstance(head, ast.Constant) else "")
        # A key computed before the call: the key-like strings of the calling function.
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef) and any(
                    not isinstance(call.args[0], ast.Constant | ast.JoinedStr)
                    for call in text_calls(function)):
                called |= key_strings(function, skip)
    return strings, called, prefixes


STRINGS, CALLED, PREFIXES = scan()
DYNAMIC_KEYS = {prefix + value for prefix, values in DYNAMIC.items() for value in values}


def test_the_scan_sees_the_code():
    # A scan that found nothing would pass the tests below without checking anything.
    assert {"fm.title", "anim.max_of", "shapes.not_more_plain", "cli.wrote"} <= STRINGS
    assert {"title.kernel", "anim.max_of", "shapes.not_more_plain", "anim.padding_avg"} <= CALLED
    assert {"stage.", "table."} <= PREFIXES


def test_every_dynamic_key_family_is_listed():
    unlisted = PREFIXES - set(DYNAMIC)
    assert not unlisted, f"text(f'...') with a prefix not in DYNAMIC: {sorted(unlisted)}"


def test_every_key_used_exists_in_every_language():
    missing = sorted((CALLED | DYNAMIC_KEYS) - set(MESSAGES))
    assert not missing, f"keys used in ventanal/ but not in MESSAGES: {missing}"
    for key in CALLED | DYNAMIC_KEYS:
        assert set(MESSAGES[key]) == set(LANGUAGES), key


def test_every_key_is_used():
    unused = sorted(set(MESSAGES) - STRINGS - DYNAMIC_KEYS)
    assert not unused, f"keys in MESSAGES that no code uses: {unused}"
