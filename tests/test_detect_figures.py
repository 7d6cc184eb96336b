"""Detection figures, the animation and ``ventanal detect``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ventanal.cli import main
from ventanal.detect import iou, planted_scene
from ventanal.viz import animate_detection, show_detections, show_nms, show_plan, show_score_map


def test_show_detections_draws_every_box_in_both_languages():
    image, template, truth = planted_scene(seed=1)
    for lang, word in (("en", "detections"), ("es", "detecciones")):
        fig = show_detections(image, truth, scores=[1, 0.9, 0.8, 0.7], truth=truth, lang=lang)
        ax = fig.axes[0]
        assert word in ax.get_title() and "180×260" in ax.get_title()
        assert len(ax.patches) == 2 * len(truth)       # detections and planted boxes
        assert [t.get_text() for t in ax.texts] == ["1.00", "0.90", "0.80", "0.70"]


def test_show_nms_links_each_suppressed_box_to_its_winner():
    boxes = [[2, 2, 12, 12], [3, 3, 13, 13], [4, 2, 14, 12], [20, 5, 30, 15]]
    fig = show_nms(np.zeros((20, 40)), boxes, [0.9, 0.7, 0.6, 0.8], lang="es")
    before, after = fig.axes
    assert len(before.patches) == 4
    assert len(after.lines) == 2                       # two suppressed, two links
    assert len(after.patches) == 4                     # 2 kept + 2 suppressed (dashed)
    assert after.get_title().startswith("Tras NMS")
    # each link runs from the loser's centre to the winner's (box 0, centre (6.5, 6.5))
    assert (after.lines[0].get_xdata()[1], after.lines[0].get_ydata()[1]) == (6.5, 6.5)


def test_show_plan_coverage_matches_the_planner():
    fig = show_plan((50, 70), size=20, step=15)
    image = fig.axes[0].images[0].get_array()
    assert image.shape == (50, 70)
    # rows start at 0, 15, 30 (all 50 covered), columns at 0, 15, 30, 45 (65 covered)
    assert int(np.asarray(image).max()) == 4
    assert int((np.asarray(image) == 0).sum()) == 50 * 70 - 50 * 65
    fig = show_plan((100, 120), tile=64, overlap=0.2, lang="es")
    assert int(np.asarray(fig.axes[0].images[0].get_array()).min()) >= 1
    with pytest.raises(ValueError, match="`size` or `tile`"):
        show_plan((10, 10))


def test_show_score_map_shows_no_difference():
    rng = np.random.default_rng(2)
    fig = show_score_map(rng.random((16, 18, 3)), rng.normal(size=(4, 4, 3)), step=(2, 3),
                         lang="es")
    titles = [a.get_title() for a in fig.axes[:3]]
    assert titles[2] == "Diferencia máxima: 0"
    assert "7×5" in titles[0] and "7×5" in titles[1]


def test_animation_finds_the_planted_objects(tmp_path):
    image, template, truth = planted_scene((120, 170), scales=(1.0, 1.5), seed=4)
    anim = animate_detection(image, template, step=5, max_frames=30, lang="es")
    found = np.asarray(anim.info["boxes"])
    assert len(found) == len(truth)
    assert (iou(truth, found).max(axis=1) > 0.7).all()
    assert anim.durations[-1] == 2000
    path = anim.save(tmp_path / "fig1.gif")
    from PIL import Image

    with Image.open(path) as gif:
        assert gif.n_frames == len(anim)


def test_cli_planted_writes_figure_trace_and_animation(tmp_path, capsys):
    out, trace, gif = tmp_path / "d.png", tmp_path / "d.json", tmp_path / "a.gif"
    status = main(["detect", "--planted", "--seed", "2", "-o", str(out), "--trace", str(trace),
                   "--animate", str(gif)])
    assert status == 0
    printed = capsys.readouterr().out
    assert printed.startswith("4 detections")
    record = json.loads(trace.read_text())
    boxes = np.array([d["box"] for d in record["detections"]])
    assert (iou(np.array(record["planted"]), boxes).max(axis=1) > 0.7).all()
    fates = {b["fate"] for b in record["trace"]["boxes"]}
    assert fates == {"kept", "suppressed"}
    assert out.stat().st_size > 0 and gif.stat().st_size > 0


def test_cli_plan_runs_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["detect", "--planted", "--plan"]) == 0
    printed = capsys.readouterr().out
    assert "model calls" in printed and "window scan" in printed
    assert list(tmp_path.iterdir()) == []


def test_cli_template_crop_and_errors(tmp_path, capsys):
    image = np.zeros((60, 80))
    image[10:20, 30:42] = np.arange(120).reshape(10, 12) / 120
    path = tmp_path / "scene.npy"
    np.save(path, image)
    status = main(["detect", str(path), "--template", "30,10,12,10", "--threshold", "0.9",
                   "-o", str(tmp_path / "o.png"), "--trace", str(tmp_path / "o.json"),
                   "--lang", "es"])
    assert status == 0
    assert capsys.readouterr().out.startswith("1 detecciones")
    record = json.loads((tmp_path / "o.json").read_text())
    assert record["detections"][0]["box"] == [30.0, 10.0, 42.0, 20.0]
    assert main(["detect", str(path)]) == 2
    assert "--template" in capsys.readouterr().err
    assert main(["detect", str(path), "--template", "70,10,20,10"]) == 2
    assert "inside IMAGE" in capsys.readouterr().err
    assert main(["detect", "--planted", "--scale", "1"]) == 2
