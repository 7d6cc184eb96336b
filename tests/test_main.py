"""``python -m ventanal`` is the ``ventanal`` command."""

import subprocess
import sys


def test_python_dash_m_runs_the_command(tmp_path):
    listing = subprocess.run([sys.executable, "-m", "ventanal", "kernels"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    assert "bottom_sobel" in listing.stdout
    bad = subprocess.run([sys.executable, "-m", "ventanal", "kernels", "nope"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.startswith("ventanal: error:") and "Traceback" not in bad.stderr
