"""What a newcomer installs and runs: the extras, the README's commands and `.ci/run`.

`pip install -e ".[test]"` must stay light (no TensorFlow, no PyTorch: their results are
pinned in tests/golden/); the live oracles are the `oracles` extra, with torch pinned to the
CPU-sized 2.13.0; CI runs the README's two commands exactly as written, then the oracles.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli", reason="Python 3.10 without tomli cannot read TOML")

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {"tensorflow", "tensorflow-cpu", "tf-nightly", "torch", "keras", "jax", "jaxlib"}


def _project() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]


def _extra(name: str) -> list[Requirement]:
    return [Requirement(text) for text in _project()["optional-dependencies"][name]]


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_test_extra_has_no_framework():
    names = {requirement.name.lower() for requirement in _extra("test")}
    assert names.isdisjoint(HEAVY), f"the test extra pulls {sorted(names & HEAVY)}"
    assert {"pytest", "hypothesis"} <= names


def test_oracles_extra_holds_the_frameworks_with_torch_pinned():
    oracles = {requirement.name.lower(): requirement for requirement in _extra("oracles")}
    assert "torch" in oracles and "tensorflow-cpu" in oracles
    # Any other specifier lets pip pick the CUDA build (gigabytes) on Linux.
    assert oracles["torch"].specifier == SpecifierSet("==2.13.0")


def test_readme_python_version_is_pyprojects():
    required = SpecifierSet(_project()["requires-python"])
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"Python (3\.\d+)( or newer)?", readme)
    assert named, "the README names no Python version"
    lowest = min(required, key=lambda spec: spec.version).version
    for version, or_newer in named:
        assert version in required, f"README names Python {version}, pyproject {required}"
        assert or_newer and version == lowest, (
            f"README says 'Python {version}{or_newer}', pyproject says {required}: "
            f"say 'Python {lowest} or newer'"
        )


def test_ci_runs_the_readme_commands_exactly():
    commands = _quick_start_commands()
    assert commands == ['pip install . && ventanal extract',
                        'pip install -e ".[test]" && python -m pytest']
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    for command in commands:
        assert command in ci_lines, f".ci/run does not run the README's `{command}`"
    oracles = ci_lines.index('pip install -q -e ".[oracles]"')
    assert oracles > ci_lines.index(commands[1]), ".ci/run installs the oracles too early"


def test_slow_marker_is_registered_and_strict():
    with open(ROOT / "pyproject.toml", "rb") as file:
        options = tomllib.load(file)["tool"]["pytest"]["ini_options"]
    assert "--strict-markers" in options["addopts"].split()
    assert any(marker.startswith("slow:") for marker in options["markers"])


def test_readme_gives_the_quick_developer_loop():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'python -m pytest -m "not slow"' in readme


def _pytest_without(modules: list[str], *args: str) -> subprocess.CompletedProcess:
    """Run pytest in a fresh interpreter where `modules` cannot be imported."""
    block = "; ".join(f"sys.modules[{name!r}] = None" for name in modules)
    code = f"import sys; {block}; import pytest; sys.exit(pytest.main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_live_parity_tests_skip_with_a_one_line_reason_without_the_oracles():
    result = _pytest_without(["tensorflow", "torch", "keras"], "-q", "-rs",
                             "tests/test_parity_tf.py", "tests/test_parity_torch.py")
    # Every test of the two files skips (pytest's status 5: none ran), none fails or errs.
    assert result.returncode == 5 and " skipped in " in result.stdout, result.stdout[-2000:]
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 2, result.stdout[-2000:]
    for line, framework in zip(sorted(skipped), ("TensorFlow", "PyTorch"), strict=True):
        assert f"no {framework} (live oracle): pip install -e '.[oracles]'" in line, line


def test_not_slow_leaves_out_the_long_property_tests():
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                             "--collect-only", "-q", "-m", "slow", "tests/test_fast_kernels.py"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:]
    selected = [line for line in result.stdout.splitlines() if "::" in line]
    names = {line.split("::")[1].split("[")[0] for line in selected}
    assert names == {"test_max_pool_equals_reference", "test_avg_pool_equals_reference",
                     "test_pool_api_layouts", "test_conv_equals_reference"}
