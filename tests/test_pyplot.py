"""ventanal's figures are pyplot figures: plt.show/savefig/gcf/close work, Jupyter shows each once.

Checked three ways: in this process (pyplot's figure manager), in a fresh Python script run
as a learner would (``plt.savefig`` after ``show_extraction``), and in a real notebook
executed by a Jupyter kernel (nbclient), counting the images each cell shows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import ventanal as vt  # noqa: E402
from ventanal import cli  # noqa: E402
from ventanal.viz import (  # noqa: E402
    show_detections,
    show_extraction,
    show_feature_maps,
    show_invariance,
    show_kernel,
    show_nms,
    show_plan,
    show_receptive_field,
    show_score_map,
    show_shapes,
)

REPOSITORY = Path(vt.__file__).resolve().parents[1]
CIRCLE = vt.data.circle([32, 32], val=1.0, r_shrink=3)
SMALL = np.random.default_rng(0).random((24, 28))
BOXES = np.array([[2.0, 2.0, 10.0, 10.0], [3.0, 3.0, 11.0, 12.0]])

#: Every public figure function, on small inputs.
MAKERS = {
    "show_kernel": lambda **kw: show_kernel("bottom_sobel", **kw),
    "show_extraction": lambda **kw: show_extraction(CIRCLE, "bottom_sobel", **kw),
    "show_shapes": lambda **kw: show_shapes((9, 9), 2, 2, "same", **kw),
    "show_invariance": lambda **kw: show_invariance(SMALL, max_shift=2, repeats=2, **kw),
    "show_receptive_field": lambda **kw: show_receptive_field("conv3,pool2", SMALL, **kw),
    "show_feature_maps": lambda **kw: show_feature_maps("conv3,relu,pool2", SMALL, **kw),
    "show_detections": lambda **kw: show_detections(SMALL, BOXES, scores=[0.9, 0.8], **kw),
    "show_nms": lambda **kw: show_nms(SMALL, BOXES, [0.9, 0.8], **kw),
    "show_plan": lambda **kw: show_plan((20, 24), size=8, step=4, **kw),
    "show_score_map": lambda **kw: show_score_map(SMALL, np.ones((3, 3)), **kw),
}


def test_every_figure_function_is_listed():
    public = {name for name in vt.viz.__all__ if name.startswith("show_")}
    assert public == set(MAKERS)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_figures_are_managed_by_pyplot_and_freed_by_close(name):
    plt.close("all")
    fig = MAKERS[name]()
    assert plt.get_fignums() == [fig.number]
    assert plt.gcf() is fig
    assert fig.canvas.manager is not None
    second = MAKERS[name]()
    assert plt.gcf() is second and len(plt.get_fignums()) == 2
    plt.close(fig)
    assert plt.get_fignums() == [second.number]
    plt.close(second)
    assert plt.get_fignums() == []


@pytest.mark.parametrize("name", ["show_extraction", "show_shapes", "show_invariance",
                                  "show_receptive_field", "show_feature_maps", "show_nms",
                                  "show_plan", "show_score_map"])
def test_a_figure_passed_as_fig_stays_out_of_pyplot(name):
    plt.close("all")
    own = Figure()
    assert MAKERS[name](fig=own) is own
    assert own.axes and plt.get_fignums() == []


def test_axes_passed_to_show_kernel_stay_out_of_pyplot():
    plt.close("all")
    own = Figure()
    assert show_kernel("edge", ax=own.add_subplot()) is own
    assert plt.get_fignums() == []
    # Axes of a pyplot figure: drawn there, no new figure.
    fig, ax = plt.subplots()
    assert show_kernel("edge", ax=ax) is fig and plt.get_fignums() == [fig.number]


def test_plt_savefig_after_show_extraction_in_a_script(tmp_path):
    script = textwrap.dedent("""
        import sys
        import matplotlib.pyplot as plt
        import numpy as np
        import ventanal as vt

        image = vt.data.circle([64, 64], val=1.0, r_shrink=3)
        fig = vt.viz.show_extraction(image, "bottom_sobel")
        assert plt.get_fignums() == [fig.number], plt.get_fignums()
        assert plt.gcf() is fig
        plt.savefig(sys.argv[1], dpi=50)
        plt.close(fig)
        assert plt.get_fignums() == [], plt.get_fignums()
        vt.viz.show_kernel("edge")
        plt.savefig(sys.argv[2], dpi=50)
        print("ok")
    """)
    out, kernel_out = tmp_path / "extraction.png", tmp_path / "kernel.png"
    env = {**os.environ, "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join([str(REPOSITORY), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", script, str(out), str(kernel_out)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    from PIL import Image

    with Image.open(out) as image:
        # show_extraction's 14×6 inches at 50 dpi, not pyplot's blank 640×480 default.
        assert image.size == (700, 300)
        pixels = np.asarray(image.convert("L"), dtype=np.float64)
    assert pixels.std() > 20            # not blank: the panels are drawn
    assert (pixels < 50).mean() > 0.05  # the dark magma background of the input
    with Image.open(kernel_out) as image:
        assert np.asarray(image.convert("L")).std() > 20


def test_the_command_line_closes_its_figures(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plt.close("all")
    assert cli.main(["kernels", "edge", "-o", "k.png"]) == 0
    assert (tmp_path / "k.png").stat().st_size > 0
    assert plt.get_fignums() == []
    # Also when the figure cannot be written.
    assert cli.main(["kernels", "edge", "-o", "k.unknownformat"]) != 0
    assert plt.get_fignums() == []


# ---------------------------------------------------------------------------
# a real notebook
# ---------------------------------------------------------------------------

#: (cell source, images it must show, text it must print)
NOTEBOOK = [
    ("import matplotlib.pyplot as plt\nimport ventanal as vt", 0, ""),
    ('vt.viz.show_kernel("edge")', 1, ""),
    ('fig = vt.viz.show_extraction(vt.data.circle([32, 32], val=1.0), "bottom_sobel")', 1, ""),
    ('fig = vt.viz.show_kernel("blur")\nfig', 1, ""),
    ('fig = vt.viz.show_kernel("edge")\nplt.show()', 1, ""),
    ('fig = vt.viz.show_receptive_field("conv3,pool2")\ndisplay(fig)', 1, ""),
    ('vt.viz.show_kernel("edge")\nprint(len(plt.get_fignums()))', 1, "1"),
    # The inline backend closes what it showed, as it does for its own figures.
    ("print(len(plt.get_fignums()))", 0, "0"),
    # A figure made outside pyplot is not shown by the backend: its value shows it, once.
    ('from matplotlib.figure import Figure\nown = Figure()\n'
     'vt.viz.show_kernel("edge", ax=own.add_subplot())', 1, ""),
    # matplotlib's own figures are untouched: a plot shows once.
    ("plt.plot([1, 2]);", 1, ""),
]


def test_a_notebook_shows_each_figure_once(monkeypatch, tmp_path):
    nbformat = pytest.importorskip("nbformat", reason="nbformat is needed to build a notebook")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is needed to run a notebook")
    pytest.importorskip("ipykernel", reason="ipykernel provides the python3 kernel")
    # The kernel inherits the environment: Jupyter's inline backend, ventanal from here.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPOSITORY),
                                                      os.environ.get("PYTHONPATH", "")]))
    # The kernel's connection file and IPython's history go to a temporary directory.
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source, _, _ in NOTEBOOK]
    nbclient.NotebookClient(notebook, kernel_name="python3", timeout=300).execute()
    for cell, (source, images, printed) in zip(notebook.cells, NOTEBOOK, strict=True):
        shown = [output for output in cell.outputs if "image/png" in output.get("data", {})]
        assert len(shown) == images, (source, [o.output_type for o in cell.outputs])
        errors = [output for output in cell.outputs if output.output_type == "error"]
        assert not errors, (source, errors)
        text = "".join(output.get("text", "") for output in cell.outputs
                       if output.output_type == "stream" and output.get("name") == "stdout")
        assert text.strip() == printed, source
