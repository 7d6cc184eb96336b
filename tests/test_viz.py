"""Figures of ventanal.viz, checked on their data: the arrays drawn, titles, labels, languages."""

from __future__ import annotations

import re
import string
import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import ventanal as vt  # noqa: E402
from ventanal import data  # noqa: E402
from ventanal.layers import build_model, parse_layers  # noqa: E402
from ventanal.viz import (  # noqa: E402
    format_field_table,
    i18n,  # noqa: E402
    receptive_fields,
    shape_table,
    show_extraction,
    show_feature_maps,
    show_kernel,
    show_receptive_field,
    show_shapes,
)

CIRCLE = data.circle([64, 64], val=1.0, r_shrink=3)
SOBEL = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]


def panels(fig):
    """The axes of a figure without its colour bars."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def all_text(fig) -> str:
    texts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        texts += [t.get_text() for t in ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            texts += [t.get_text() for t in legend.get_texts()]
    for legend in fig.legends:
        texts += [t.get_text() for t in legend.get_texts()]
    if fig._suptitle is not None:
        texts.append(fig._suptitle.get_text())
    return "\n".join(texts)


# ---------------------------------------------------------------------------
# the catalogue
# ---------------------------------------------------------------------------

def placeholders(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def test_every_message_has_every_language_and_the_same_placeholders():
    for key, messages in i18n.MESSAGES.items():
        assert set(messages) == set(i18n.LANGUAGES), key
        assert all(messages[lang].strip() for lang in i18n.LANGUAGES), key
        fields = {lang: placeholders(messages[lang]) for lang in i18n.LANGUAGES}
        assert fields["en"] == fields["es"], (key, fields)


def test_unknown_language_is_a_value_error_everywhere():
    with pytest.raises(ValueError, match="`lang` must be one of 'en', 'es', got 'fr'"):
        show_kernel(SOBEL, lang="fr")
    with pytest.raises(ValueError, match="lang"):
        show_extraction(CIRCLE, SOBEL, lang="de")
    with pytest.raises(ValueError, match="lang"):
        shape_table(5, 2, lang="pt")


def test_import_ventanal_and_viz_load_neither_matplotlib_nor_pillow():
    code = ("import sys, ventanal, ventanal.viz; "
            "heavy = [m for m in ('matplotlib', 'PIL') if m in sys.modules]; "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# show_kernel
# ---------------------------------------------------------------------------

def test_show_kernel_draws_the_kernel_with_its_values():
    fig = show_kernel(SOBEL)
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), SOBEL)
    assert [t.get_text() for t in ax.texts] == ["-1", "-2", "-1", "0", "0", "0", "1", "2", "1"]
    assert ax.get_title() == "Kernel 3×3"
    # Signed kernel: a diverging map centred on zero.
    image = ax.images[0]
    assert image.get_cmap().name == "RdBu_r"
    assert image.norm.vmin == -image.norm.vmax == -2
    # Text colour follows the cell: white on the dark -2 and 2 cells, black on 0.
    colours = [t.get_color() for t in ax.texts]
    assert colours[1] == colours[7] == "white" and colours[4] == "black"


def test_show_kernel_sequential_map_digits_names_and_axes():
    fig = show_kernel("blur", digits=2)
    image = fig.axes[0].images[0]
    assert image.get_cmap().name == "Blues" and image.norm.vmin == 0
    assert fig.axes[0].texts[0].get_text() == "0.06"
    np.testing.assert_allclose(image.get_array(), data.blur().round(2))
    from matplotlib.figure import Figure

    own = Figure()
    ax = own.add_subplot()
    assert show_kernel([1, -1], ax=ax, lang="es") is own
    assert ax.get_title() == "Kernel 2" and ax.images[0].get_array().shape == (1, 2)


@pytest.mark.parametrize("bad, error", [(np.ones((2, 2, 2)), ValueError),
                                        ("no_such_kernel", ValueError),
                                        ([["a", "b"]], TypeError),
                                        ([], ValueError)])
def test_show_kernel_rejects_bad_kernels(bad, error):
    with pytest.raises(error):
        show_kernel(bad)


# ---------------------------------------------------------------------------
# show_extraction
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("settings", [{}, {"conv_stride": 3},
                                      {"conv_padding": "same", "pool_size": 3, "pool_stride": 1}])
def test_show_extraction_panels_are_the_stages_of_vt_extract(settings):
    fig = show_extraction(CIRCLE, SOBEL, **settings)
    stages = vt.extract(CIRCLE, SOBEL, **settings)
    axes = panels(fig)
    assert len(axes) == 4
    for ax, name, word in zip(axes, stages.names, ("Input", "Filter", "Detect", "Condense"),
                              strict=True):
        np.testing.assert_array_equal(ax.images[0].get_array(), stages[name])
        shape = "×".join(map(str, stages[name].shape))
        assert ax.get_title() == f"{word} {shape}"


def test_show_extraction_lesson_defaults_and_colour_maps():
    fig = show_extraction(CIRCLE, "bottom_sobel")
    titles = [ax.get_title() for ax in panels(fig)]
    assert titles == ["Input 64×64", "Filter 62×62", "Detect 62×62", "Condense 31×31"]
    assert fig.get_size_inches().tolist() == [14, 6]
    maps = [ax.images[0].get_cmap().name for ax in panels(fig)]
    assert maps == ["magma", "RdBu_r", "magma", "magma"]
    norm = panels(fig)[1].images[0].norm
    assert norm.vmin == -norm.vmax
    text = all_text(fig)
    assert "convolution 3×3, stride 1, padding 'valid'" in text
    assert "max pooling 2×2, stride 2, padding 'same'" in text


def test_show_extraction_in_spanish():
    fig = show_extraction(CIRCLE, SOBEL, conv_stride=3, lang="es")
    titles = [ax.get_title() for ax in panels(fig)]
    assert titles == ["Entrada 64×64", "Filtrar 21×21", "Detectar 21×21", "Condensar 11×11"]
    text = all_text(fig)
    for word in ("convolución 3×3, paso 3", "relleno 'same'", "activación: relu",
                 "Extracción de características"):
        assert word in text
    assert "stride" not in text and "padding" not in text


def test_show_extraction_ops_subplots_gamma_rgb_and_sequences():
    fig = show_extraction(CIRCLE, SOBEL, ops=["Input", "Condense"], subplot_shape=(1, 2),
                          gamma=0.5)
    condense = vt.extract(CIRCLE, SOBEL).condense
    np.testing.assert_allclose(panels(fig)[1].images[0].get_array(), condense ** 0.5)
    rgb = np.stack([CIRCLE] * 3, axis=-1)
    np.testing.assert_allclose(panels(show_extraction(rgb, SOBEL))[3].images[0].get_array(),
                               condense, rtol=1e-6, atol=1e-6)
    x = [1, 9, -1, -2, 7, 3, -1, 2]
    fig = show_extraction(x, [-1, 1])
    heights = [[bar.get_height() for bar in ax.patches] for ax in panels(fig)]
    stages = vt.extract(x, [-1, 1])
    for drawn, stage in zip(heights, stages, strict=True):
        np.testing.assert_array_equal(drawn, stage)
    with pytest.raises(ValueError, match="subplot_shape"):
        show_extraction(CIRCLE, SOBEL, subplot_shape=(1, 2))
    with pytest.raises(ValueError, match="ops"):
        show_extraction(CIRCLE, SOBEL, ops=["Pool"])
    with pytest.raises(ValueError, match="larger than the padded input"):
        show_extraction(np.ones((2, 2)), SOBEL)


def test_show_extraction_says_why_a_long_stride_leaves_one_window():
    fig = show_extraction(CIRCLE, SOBEL, conv_stride=100)
    assert [ax.get_title() for ax in panels(fig)][1:] == ["Filter 1×1", "Detect 1×1",
                                                          "Condense 1×1"]
    # 64 cells, a window of 3: the first window can move 61 cells, fewer than a stride.
    caption = " ".join(all_text(fig).split())
    assert "one window only: stride 100 is more than the 61 cells it could move" in caption
    es = " ".join(all_text(show_extraction(CIRCLE, SOBEL, conv_stride=100, lang="es")).split())
    assert "una sola ventana: el paso 100 supera las 61 celdas que podría avanzar" in es
    # The pooling of a 1×1 map has no room at all: nothing to explain there.
    assert caption.count("one window only") == 1
    assert "one window only" not in all_text(show_extraction(CIRCLE, SOBEL, conv_stride=3))
    # A pooling that fits once says so too: 62 cells, window 40, stride 30 (room 22).
    pooled = " ".join(all_text(show_extraction(CIRCLE, SOBEL, pool_size=40, pool_stride=30,
                                               pool_padding="valid")).split())
    assert "one window only: stride 30 is more than the 22 cells it could move" in pooled


# ---------------------------------------------------------------------------
# show_shapes and its table
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("n, k, s, d", [(397, 2, 2, 1), (5, 3, 2, 1), (8, 1, 3, 1),
                                        (10, 3, 2, 2), (7, 4, 3, 1), (1, 1, 1, 1)])
@pytest.mark.parametrize("padding", ["SAME", "VALID", 1])
def test_shape_table_agrees_with_geometry_and_numpy(n, k, s, d, padding):
    rows = {row.key: row for row in shape_table(n, k, s, padding, d)}
    e = d * (k - 1) + 1

    def expected(pad, ceil=False):
        try:
            return vt.output_shape((n,), k, s, pad, d, ceil_mode=ceil)[0]
        except ValueError:
            return None

    assert rows["tf_same"].output == expected("SAME")
    assert rows["tf_valid"].output == expected("VALID")
    p = padding if isinstance(padding, int) else 0
    assert rows["torch_floor"].output == expected(p)
    assert rows["torch_ceil"].output == expected(p, ceil=True)
    if e <= n:
        view = np.lib.stride_tricks.sliding_window_view(np.zeros(n), e)[::s]
        assert rows["numpy"].output == view.shape[0]
    else:
        assert rows["numpy"].output is None and "error" in rows["numpy"].reason
    for row in rows.values():
        if row.output is not None:
            assert str(row.output) in row.reason
            assert f"not {row.output + 1}:" in row.reason
    assert [row.key for row in rows.values() if row.chosen] == \
        [{"SAME": "tf_same", "VALID": "tf_valid", 1: "vt"}[padding]]


def test_shape_table_explains_199_not_200():
    rows = shape_table(397, 2, 2, "same")
    same = rows[0]
    assert (same.output, same.padding) == (199, (0, 1))
    assert same.reason.startswith("ceil(397 / 2) = ceil(198.5) = 199")
    # Windows are numbered from 0, as the cells: the 200th window is window 199.
    assert "not 200: window 199 would cover cells 398…399" in same.reason
    ceil = next(r for r in rows if r.key == "torch_ceil")
    assert ceil.output == 199 and "sticks out 1 cell" in ceil.reason
    numpy_row = rows[-1]
    assert numpy_row.call == "sliding_window_view(x, 2)[::2]" and numpy_row.output == 198
    assert "never pads" in numpy_row.reason
    es = shape_table(397, 2, 2, "same", lang="es")[0]
    assert es.reason.startswith("techo(397 / 2)") and "no 200" in es.reason


def test_show_shapes_figure_text_and_data():
    fig = show_shapes()
    text = all_text(fig)
    assert fig.texts[0].get_text() == "Output size of a 2×2 window, stride 2, on 397×397"
    for needle in ("199", "198", "padding (0, 1)", "MaxPool2D(2, strides=2, padding='same')",
                   "nn.MaxPool2d(2, stride=2, padding=0, ceil_mode=True)",
                   "sliding_window_view(x, 2)[::2]", "not 200", "your padding"):
        assert needle in text, needle
    ((axis, params, rows),) = fig.ventanal_data  # both axes equal: drawn once
    assert params == (397, 2, 2, "SAME", 1)
    es = all_text(show_shapes((5, 7), 3, 2, "same", lang="es"))
    assert "Tamaño de salida de una ventana 3×3, paso 2, sobre 5×7" in es
    assert "eje 0" in es and "eje 1" in es and "tu relleno" in es and "relleno (1, 1)" in es
    assert "padding" not in es.replace("padding=", "").replace("padding'", "")


# ---------------------------------------------------------------------------
# receptive fields
# ---------------------------------------------------------------------------

def test_parse_layers_grammar():
    layers = parse_layers(" Conv3, conv3s2, pool2, pool3s2:same, conv5d2, avgpool2, relu ")
    assert [(s.kind, s.window, s.stride, s.dilation, s.padding) for s in layers] == [
        ("conv", 3, 1, 1, "valid"), ("conv", 3, 2, 1, "valid"), ("max", 2, 2, 1, "valid"),
        ("max", 3, 2, 1, "same"), ("conv", 5, 1, 2, "valid"), ("avg", 2, 2, 1, "valid"),
        ("relu", 1, 1, 1, "valid")]
    for bad, message in [("conv", "needs a window size"), ("pool2d2", "dilation is for"),
                         ("relu3", "relu takes no"), ("dense4", "cannot read layer"),
                         ("conv3,,pool2", "empty layer"), ("conv0", "must be >= 1"),
                         ("conv3:full", "cannot read layer")]:
        with pytest.raises(ValueError, match=message):
            parse_layers(bad)
    with pytest.raises(TypeError):
        parse_layers(3)


@pytest.mark.parametrize("spec", ["conv3,conv3,conv3,pool2", "conv7s2:same,pool3s2:same,conv3",
                                  "conv5d2,relu,avgpool2,conv3s2"])
def test_receptive_fields_match_vt_receptive_field(spec):
    records = receptive_fields(spec, (64, 48))
    assert records[0].name == "input" and records[0].output_shape == (64, 48)
    table = vt.receptive_field(build_model(spec), (64, 48, 1))
    for record, expected in zip(records[1:], table, strict=True):
        assert record.size == expected.size and record.jump == expected.jump
        assert record.start == expected.start
        assert record.output_shape == tuple(expected.output_shape[1:3])
    # A ventanal model gives the same records as its spec.
    model = vt.Sequential([vt.layers.Conv2D(4, 3), vt.layers.MaxPool2D(2)])
    assert [r.size for r in receptive_fields(model, (32, 32))] == \
        [r.size for r in receptive_fields("conv3,pool2", (32, 32))]


def test_field_table_text():
    table = format_field_table(receptive_fields("conv3,conv3,conv3,pool2", (32, 32)), "es")
    lines = table.splitlines()
    assert lines[0].split()[:2] == ["capa", "forma"]
    assert lines[2].split() == ["entrada", "(InputLayer)", "(32,", "32)", "1x1", "1x1", "0,", "0"]
    assert lines[-1].split() == ["pool2", "(MaxPooling2D)", "(13,", "13)", "8x8", "2x2", "0,", "0"]


def test_show_receptive_field_draws_each_layers_region():
    from matplotlib.patches import Rectangle

    image = np.random.default_rng(0).random((32, 32))
    fig = show_receptive_field("conv3,conv3,conv3,pool2", image, unit=(3, 4))
    records, units = fig.ventanal_data
    assert units[-1] == (3, 4)
    assert records[-1].region((3, 4)) == ((6, 13), (8, 15))
    for ax, record, unit in zip(fig.axes, records[1:], units[1:], strict=True):
        np.testing.assert_array_equal(ax.images[0].get_array(), image)
        (r0, r1), (c0, c1) = record.region(unit)
        rectangles = [p for p in ax.patches if isinstance(p, Rectangle)]
        boxes = {(p.get_x(), p.get_y(), p.get_width(), p.get_height()) for p in rectangles}
        assert (c0 - 0.5, r0 - 0.5, c1 - c0 + 1, r1 - r0 + 1) in boxes
        assert ax.get_title().startswith(record.name)
        assert f"field {record.size[0]}×{record.size[1]}" in ax.get_xlabel()
    assert fig.axes[-1].get_xlabel().startswith("field 8×8, jump 2")
    es = all_text(show_receptive_field("conv3,pool2", image, lang="es"))
    assert "Campo receptivo" in es and "campo 4×4, salto 2" in es
    with pytest.raises(ValueError, match="outside"):
        show_receptive_field("conv3,pool2", image, unit=(20, 0))


def test_show_receptive_field_marks_padding_and_skips_relu():
    image = np.zeros((16, 16))
    fig = show_receptive_field("conv7s2:same,relu,pool3s2:same", image, unit=(0, 0))
    assert len(fig.axes) == 2  # relu has no window of its own
    records, units = fig.ventanal_data
    assert records[-1].start == (-2, -2)
    dashed = [p for p in fig.axes[-1].patches if p.get_linestyle() == "--"]
    assert dashed and min(p.get_x() for p in dashed) < -0.5


# ---------------------------------------------------------------------------
# feature maps
# ---------------------------------------------------------------------------

def test_show_feature_maps_from_a_spec_uses_the_kernel_bank():
    image = np.random.default_rng(2).random((24, 24))
    fig = show_feature_maps("conv3,relu,pool2", image)
    maps = fig.ventanal_data
    names = [ax.get_title() for ax in fig.axes]
    assert names[:2] == ["edge", "bottom_sobel"] and len(names) == maps.shape[-1] == 8
    for index, name in enumerate(names):
        expected = vt.max_pool(vt.relu(vt.conv(image, data.kernel(name))), 2)
        np.testing.assert_allclose(maps[..., index], expected, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(fig.axes[index].images[0].get_array(), expected, rtol=1e-5,
                                   atol=1e-5)
    assert fig._suptitle.get_text() == "Feature maps of pool2: 11×11×8"
    signed = show_feature_maps("conv3,relu,pool2", image, layer=0, lang="es")
    assert signed.axes[0].images[0].get_cmap().name == "RdBu_r"
    assert signed._suptitle.get_text() == "Mapas de características de conv3: 22×22×8"


def test_show_feature_maps_of_a_model_by_name_and_limits():
    model = vt.Sequential([vt.layers.Conv2D(20, 3, seed=0), vt.layers.ReLU(name="act")])
    image = np.random.default_rng(3).random((12, 12))
    fig = show_feature_maps(model, image, layer="act", max_maps=6)
    assert len(fig.axes) == 6 and fig.ventanal_data.shape == (10, 10, 20)
    np.testing.assert_allclose(fig.ventanal_data, model(image[..., None].astype(np.float32)))
    assert "showing 6 of 20 maps" in fig._suptitle.get_text()
    fig = show_feature_maps("conv3,pool2", image, kernels=["edge", [[0, 0, 0], [0, 1, 0],
                                                                    [0, 0, 0]]])
    assert fig.ventanal_data.shape == (5, 5, 2)
    for bad, message in [({"layer": "nope"}, "`layer` must be"), ({"layer": 5}, "`layer`"),
                         ({"max_maps": 0}, "max_maps"),
                         ({"kernels": ["gaussian"]}, "does not fit")]:
        with pytest.raises(ValueError, match=message):
            show_feature_maps("conv3,pool2", image, **bad)


def test_every_figure_says_its_shapes_in_titles():
    checks = [
        (show_kernel("edge"), r"3×3"),
        (show_extraction(CIRCLE, SOBEL), r"64×64.*62×62.*31×31"),
        (show_feature_maps("conv3", np.ones((10, 10))), r"8×8×8"),
        (show_receptive_field("conv3", np.ones((10, 10))), r"8×8"),
    ]
    for fig, pattern in checks:
        assert re.search(pattern, all_text(fig), re.S), pattern
