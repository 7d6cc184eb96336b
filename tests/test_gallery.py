"""Docs that are true (issue 16, point 6): the README and the gallery show files that exist
and are tracked, each gallery image comes from the command written under it, and no text
cites notes that are not in the repository.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "docs" / "gallery"
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def _make_gallery():
    pytest.importorskip("matplotlib")
    pytest.importorskip("PIL")
    spec = importlib.util.spec_from_file_location("make_gallery",
                                                  ROOT / "scripts" / "make_gallery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _referenced_images() -> list[Path]:
    """Every image the README and the gallery's index show, as paths in the repository."""
    found = []
    for page in (ROOT / "README.md", GALLERY / "README.md"):
        for link in IMAGE_LINK.findall(page.read_text(encoding="utf-8")):
            if "://" not in link:
                found.append((page.parent / link).resolve().relative_to(ROOT))
    return found


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def git_files() -> set[str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed: cannot tell which files are tracked")
    listed = _git("ls-files")
    if listed.returncode != 0 or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: cannot tell which files are tracked")
    return set(listed.stdout.splitlines())


def test_the_readmes_first_image_is_the_extraction():
    assert _referenced_images()[0] == Path("docs/gallery/extraction.png")


def test_every_referenced_image_is_tracked_by_git(git_files):
    images = _referenced_images()
    assert len(images) >= 10
    missing = [str(path) for path in images if path.as_posix() not in git_files]
    assert not missing, f"shown but not tracked by git (a .gitignore pattern?): {missing}"


def test_gitignore_swallows_no_gallery_image(git_files):
    names = [f"docs/gallery/{path.name}" for path in GALLERY.iterdir()]
    ignored = _git("check-ignore", "--no-index", *names)
    assert ignored.stdout == "", f"ignored by .gitignore: {ignored.stdout.split()}"
    # ...while what the README's first command writes at the top of a clone stays ignored.
    assert _git("check-ignore", "--no-index", "extraction.png").stdout.strip() == \
        "extraction.png"


def test_gallery_index_lists_the_commands_make_gallery_runs():
    gallery = _make_gallery()
    index = (GALLERY / "README.md").read_text(encoding="utf-8")
    assert index == gallery.gallery_index()
    sections = re.findall(r"^## (\S+)\n\n.*?\n\n```bash\n(.*?)\n```\n\n!\[\1\]\(\1\)", index,
                          re.S | re.M)
    assert dict(sections) == {name: command for name, (_, command) in gallery.ENTRIES.items()}
    on_disk = {p.name for p in GALLERY.iterdir() if p.suffix in (".png", ".gif")}
    assert on_disk == set(gallery.ENTRIES), "gallery files and make_gallery's list differ"
    assert all(command.startswith("ventanal ") for _, command in gallery.ENTRIES.values())


def test_readme_commands_of_gallery_images_match_the_gallery():
    # The README's shell block of figure commands uses the gallery's commands.
    gallery = _make_gallery()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("extraction_stride3_es.png", "shapes.png", "extraction_sequence.png"):
        assert gallery.ENTRIES[name][1] in readme, name


def test_make_gallery_renders_by_running_the_command(tmp_path):
    gallery = _make_gallery()
    made = gallery.render("ventanal kernels bottom_sobel", tmp_path)
    assert made.name == "kernel.png" and made.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="starts with `ventanal`"):
        gallery.render("python -c 1", tmp_path)


# Text that points at notes outside the repository: the semantics notes by a bare name (the
# repository's copy is docs/semantics.md), the lesson's folder, a machine's path.
# (tests/test_docs.py forbids the name of the private notes' folder itself.)
OUTSIDE = re.compile(r"(?<!docs/)(?<![\w/])semantics\.md|\bseed/|/work/")


def test_no_text_cites_notes_outside_the_repository():
    sources = [*sorted((ROOT / "ventanal").rglob("*.py")), *sorted(ROOT.glob("scripts/*.py")),
               ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    offenders = []
    for path in sources:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "cite docs/semantics.md or the code instead:\n" + "\n".join(offenders)
    assert (ROOT / "docs" / "semantics.md").is_file()


def test_readme_has_no_stray_bullets():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    fenced = False
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            fenced = not fenced
        if fenced:
            continue
        assert not re.fullmatch(r"\s*[-*+•]\s*", line), f"README.md:{number}: an empty bullet"
        assert "•" not in line, f"README.md:{number}: a bullet character in the text"
        if re.match(r"[-*+] ", line):
            before = lines[number - 2]
            assert before == "" or re.match(r"([-*+] |  )", before), \
                f"README.md:{number}: a bullet glued to the paragraph above"


def test_readme_says_how_to_see_and_save_a_figure():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for needle in ("plt.show()", "fig.savefig(", "plt.close("):
        assert needle in readme, needle
