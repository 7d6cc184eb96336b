"""The project stands alone: no file points at notes its users do not have.

* No file under ``ventanal/``, ``tests/``, ``docs/``, ``benchmarks/``, ``scripts/`` or
  ``README.md`` mentions ``shared/`` (a private folder of the authors) or ``DESIGN.md`` (a
  private brief).
* Every citation of a semantics section ("docs/semantics.md §1.1", "semantics.md 6.1",
  "§1.5", "semantics.md section 4", "sections 1-3 and 5", ...) names a numbered heading that
  ``docs/semantics.md`` has.
* Every test-vector id of ``docs/semantics.md`` §8 is asserted by
  ``tests/test_semantics_vectors.py``.

This file is left out of the scan (it spells the forbidden strings).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEMANTICS = ROOT / "docs" / "semantics.md"
SCANNED = ("ventanal", "tests", "docs", "benchmarks", "scripts", "README.md")
SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints"}
FORBIDDEN = ("shared/", "DESIGN.md")

#: a section number: 1, 1.1, 8.2 (a trailing full stop is punctuation, not part of it)
NUMBER = r"\d+(?:\.\d+)*"
#: a list of section numbers: "1.1", "1.1 and 3", "1-3 and 5", "4, 6.1 and 8", "§1.1 and §3"
NUMBERS = rf"§?\s*{NUMBER}(?:\s*(?:-|–|,|and|or|&)\s*§?\s*{NUMBER})*"
CITATIONS = (
    # "§1.1", "§ 6.1", "§1-§3"
    re.compile(rf"§\s*({NUMBERS})"),
    # "semantics.md 1.5", "semantics.md §7", "semantics.md section 4", "semantics.md, sections 4
    # and 8"
    re.compile(rf"semantics\.md[`'\"]*,?\s+(?:§\s*)?(?:sections?\s+)?({NUMBERS})", re.I),
    # "section 6.1", "sections 1-3 and 5"
    re.compile(rf"\bsections?\s+({NUMBERS})", re.I),
)


def scanned_files():
    """Text files of the scanned folders, this file excluded."""
    me = Path(__file__).resolve()
    for name in SCANNED:
        top = ROOT / name
        paths = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in paths:
            if path.resolve() == me or SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue  # images, archives, compiled caches
            if "\x00" in text:
                continue
            yield path.relative_to(ROOT).as_posix(), text


def expand(numbers):
    """``"1-3 and 5"`` -> ``["1", "2", "3", "5"]``; ``"§1.1 and §3"`` -> ``["1.1", "3"]``."""
    found = []
    parts = re.split(r"\s*(?:,|and|or|&)\s*", numbers.replace("§", " ").strip())
    for part in parts:
        bounds = [b.strip() for b in re.split(r"-|–", part) if b.strip()]
        if len(bounds) == 2 and all(b.isdigit() for b in bounds) and int(bounds[0]) < int(
            bounds[1]
        ):
            found.extend(str(i) for i in range(int(bounds[0]), int(bounds[1]) + 1))
        else:
            found.extend(bounds)
    return found


def citations(text):
    """``(line number, section number)`` of every semantics citation in ``text``."""
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern in CITATIONS:
            for match in pattern.finditer(line):
                for section in expand(match.group(1)):
                    yield number, section


def headings():
    """The numbered section headings of docs/semantics.md: {"1", "1.1", ..., "8.2", ...}."""
    numbers = set()
    for line in SEMANTICS.read_text(encoding="utf-8").splitlines():
        match = re.match(rf"#+\s+({NUMBER})\.?\s", line)
        if match:
            numbers.add(match.group(1))
    return numbers


def test_semantics_document_exists_with_the_cited_skeleton():
    assert SEMANTICS.is_file()
    have = headings()
    for number in ("1", "1.1", "1.2", "1.3", "1.4", "1.5", "2", "2.1", "2.2", "3", "4", "5", "6",
                   "6.1", "7", "8", "8.1", "8.2"):
        assert number in have, f"docs/semantics.md has no section {number}"


def test_expand_and_citations_parse_the_citation_forms():
    assert expand("1-3 and 5") == ["1", "2", "3", "5"]
    assert expand("§1.1 and §3") == ["1.1", "3"]
    text = ("see docs/semantics.md §1.1 and §3, semantics.md 6.1, ``semantics.md`` section 4,\n"
            "(semantics.md sections 4 and 8) and §1.5. Done in section 8.2.")
    assert sorted({s for _, s in citations(text)}) == ["1.1", "1.5", "3", "4", "6.1", "8",
                                                       "8.2"]


@pytest.mark.parametrize("forbidden", FORBIDDEN)
def test_no_private_paths(forbidden):
    hits = [f"{path}:{number}: {line.strip()}"
            for path, text in scanned_files()
            for number, line in enumerate(text.splitlines(), start=1)
            if forbidden in line]
    assert not hits, f"files mention {forbidden!r}:\n" + "\n".join(hits)


def test_cited_sections_exist():
    have = headings()
    missing = [f"{path}:{number}: section {section}"
               for path, text in scanned_files()
               for number, section in citations(text)
               if section not in have]
    assert not missing, "citations of sections docs/semantics.md lacks:\n" + "\n".join(missing)


def test_section_8_vectors_are_asserted():
    text = SEMANTICS.read_text(encoding="utf-8")
    section_8 = text[text.index("\n## 8.") : text.index("\n## 9.")]
    ids = sorted(set(re.findall(r"^\| ([SNMQ]\d+) \|", section_8, flags=re.M)))
    assert len(ids) == 25 + 21 + 15 + 4
    tests = (ROOT / "tests" / "test_semantics_vectors.py").read_text(encoding="utf-8")
    untested = [i for i in ids if not re.search(rf"\b{i}\b", tests)]
    assert not untested, f"vectors of docs/semantics.md §8 no test asserts: {untested}"
