"""English and Spanish text of every figure, animation and command-line table.

One catalogue, :data:`MESSAGES`, maps a key to its text in each language;
:func:`text` picks one and fills its ``{placeholders}``. A test checks that
every key has every language, so a label can never be left untranslated.

Examples
--------
>>> from ventanal.viz.i18n import text
>>> text("stage.condense", "es")
'Condensar'
>>> text("title.kernel", "en", shape="3×3")
'Kernel 3×3'
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "MESSAGES", "check_lang", "text"]

#: Languages every message is written in.
LANGUAGES: tuple[str, ...] = ("en", "es")

#: key -> {language: text}. Placeholders use :meth:`str.format` syntax.
MESSAGES: dict[str, dict[str, str]] = {
    # -- the four stages of feature extraction (the lesson's words) ----------------
    "stage.input": {"en": "Input", "es": "Entrada"},
    "stage.filter": {"en": "Filter", "es": "Filtrar"},
    "stage.detect": {"en": "Detect", "es": "Detectar"},
    "stage.condense": {"en": "Condense", "es": "Condensar"},
    # -- operations, as captions ---------------------------------------------------
    "op.conv": {"en": "convolution {window}, stride {stride}, {padding}",
                "es": "convolución {window}, paso {stride}, {padding}"},
    "op.conv_dilated": {"en": "convolution {window}, stride {stride}, dilation {dilation}, "
                              "{padding}",
                        "es": "convolución {window}, paso {stride}, dilatación {dilation}, "
                              "{padding}"},
    "op.max": {"en": "max pooling {window}, stride {stride}, {padding}",
               "es": "max pooling {window}, paso {stride}, {padding}"},
    "op.avg": {"en": "average pooling {window}, stride {stride}, {padding}",
               "es": "average pooling {window}, paso {stride}, {padding}"},
    "op.max_dilated": {"en": "max pooling {window}, stride {stride}, dilation {dilation}, "
                             "{padding}",
                       "es": "max pooling {window}, paso {stride}, dilatación {dilation}, "
                             "{padding}"},
    "op.avg_dilated": {"en": "average pooling {window}, stride {stride}, dilation {dilation}, "
                             "{padding}",
                       "es": "average pooling {window}, paso {stride}, dilatación {dilation}, "
                             "{padding}"},
    "op.activation": {"en": "activation: {name}", "es": "activación: {name}"},
    "op.none": {"en": "none (identity)", "es": "ninguna (identidad)"},
    "padding.valid": {"en": "padding 'valid'", "es": "relleno 'valid'"},
    "padding.same": {"en": "padding 'same'", "es": "relleno 'same'"},
    "padding.full": {"en": "padding 'full'", "es": "relleno 'full'"},
    "padding.causal": {"en": "padding 'causal'", "es": "relleno 'causal'"},
    "padding.explicit": {"en": "padding {pads}", "es": "relleno {pads}"},
    "note.one_window": {"en": "one window only: stride {stride} is more than the {room} "
                              "cells it could move",
                        "es": "una sola ventana: el paso {stride} supera las {room} celdas "
                              "que podría avanzar"},
    # -- show_kernel ---------------------------------------------------------------
    "title.kernel": {"en": "Kernel {shape}", "es": "Kernel {shape}"},
    # -- show_extraction -----------------------------------------------------------
    "title.stage": {"en": "{stage} {shape}", "es": "{stage} {shape}"},
    "title.extraction": {"en": "Feature extraction: filter → detect → condense",
                         "es": "Extracción de características: filtrar → detectar → condensar"},
    # -- show_invariance -----------------------------------------------------------
    "inv.original": {"en": "Feature map {shape}", "es": "Mapa de características {shape}"},
    "inv.after": {"en": "After {count} pooling {shape}",
                  "es": "Tras {count} pooling {shape}"},
    "inv.after_plural": {"en": "After {count} poolings {shape}",
                         "es": "Tras {count} poolings {shape}"},
    "inv.dots_title": {"en": "Repeated max pooling: two dots become one",
                       "es": "Max pooling repetido: dos puntos se vuelven uno"},
    "inv.experiment_title": {"en": "Measured: {image} ({what}) shifted by 0..{max_shift} "
                                   "pixels on a zero canvas, then {op}, r times",
                             "es": "Medido: {image} ({what}) desplazada 0..{max_shift} "
                                   "píxeles sobre un lienzo de ceros, luego {op}, r veces"},
    "inv.xlabel": {"en": "horizontal shift k (pixels)",
                   "es": "desplazamiento horizontal k (píxeles)"},
    "inv.ylabel": {"en": "shared activity", "es": "actividad compartida"},
    "inv.caption": {"en": "Shared activity = Σ min(a, b) / Σ max(a, b): a = map of the "
                          "unshifted image, b = map of the image shifted by k.\n100% = "
                          "identical, 0% = no active cell in common; cells zero in both maps "
                          "count for nothing (ReLU zeros are not agreement).\nA gap in a curve "
                          "= undefined: both maps all zero.",
                    "es": "Actividad compartida = Σ min(a, b) / Σ max(a, b): a = mapa de la "
                          "imagen original, b = mapa de la imagen desplazada k.\n100% = "
                          "idénticos, 0% = ninguna celda activa en común; las celdas nulas en "
                          "ambos mapas no cuentan (los ceros de la ReLU no son acuerdo).\nUn "
                          "hueco en una curva = indefinido: ambos mapas nulos."},
    "inv.caption_aligned": {"en": "Aligned on the pooled grid: b is moved back by k // jump "
                                  "cells before the comparison (jump = pixels between two "
                                  "cells after r poolings).",
                            "es": "Alineados en la rejilla del pooling: b se desplaza de vuelta "
                                  "k // salto celdas antes de comparar (salto = píxeles entre "
                                  "dos celdas tras r poolings)."},
    "inv.table_header": {"en": "Shared activity Σ min(a, b) / Σ max(a, b) of the map a of the "
                               "unshifted image and b of the image shifted by k pixels, after "
                               "r poolings",
                         "es": "Actividad compartida Σ min(a, b) / Σ max(a, b) entre el mapa a "
                               "de la imagen original y b de la imagen desplazada k píxeles, "
                               "tras r poolings"},
    "inv.table_legend": {"en": "(1 = identical, 0 = no activity in common, nan = undefined: "
                               "both maps all zero)",
                         "es": "(1 = idénticos, 0 = ninguna actividad en común, nan = "
                               "indefinido: ambos mapas nulos)"},
    "inv.table_legend_aligned": {"en": "(maps aligned on the pooled grid: b moved back by "
                                       "k // jump cells; 1 = identical, 0 = no activity in "
                                       "common, nan = undefined: both maps all zero)",
                                 "es": "(mapas alineados en la rejilla del pooling: b "
                                       "desplazado de vuelta k // salto celdas; 1 = idénticos, "
                                       "0 = ninguna actividad en común, nan = indefinido: "
                                       "ambos mapas nulos)"},
    "inv.table_mean": {"en": "mean 1..{max_shift}", "es": "media 1..{max_shift}"},
    "inv.legend_zero": {"en": "r = 0, no pooling", "es": "r = 0, sin pooling"},
    "inv.legend": {"en": "r = {count}: {shape}, jump {jump}",
                   "es": "r = {count}: {shape}, salto {jump}"},
    "inv.feature_map": {"en": "ReLU({kernel} ∗ image)", "es": "ReLU({kernel} ∗ imagen)"},
    # -- show_receptive_field ------------------------------------------------------
    "rf.title": {"en": "Receptive field of output unit {unit} of {layer}",
                 "es": "Campo receptivo de la unidad de salida {unit} de {layer}"},
    "rf.panel": {"en": "{layer} → {shape}", "es": "{layer} → {shape}"},
    "rf.field": {"en": "field {size}, jump {jump}", "es": "campo {size}, salto {jump}"},
    "rf.unit": {"en": "unit {unit}", "es": "unidad {unit}"},
    "rf.input": {"en": "Input {shape}", "es": "Entrada {shape}"},
    # -- receptive-field table -----------------------------------------------------
    "table.layer": {"en": "layer", "es": "capa"},
    "table.output_shape": {"en": "output shape", "es": "forma de salida"},
    "table.size": {"en": "field size", "es": "tamaño del campo"},
    "table.jump": {"en": "jump", "es": "salto"},
    "table.start": {"en": "start", "es": "inicio"},
    "table.input": {"en": "input", "es": "entrada"},
    # -- show_shapes ---------------------------------------------------------------
    "shapes.title": {"en": "Output size of a {window} window, stride {stride}, on {shape}",
                     "es": "Tamaño de salida de una ventana {window}, paso {stride}, sobre "
                           "{shape}"},
    "shapes.axis": {"en": "axis {axis}: n = {n} cells, window k = {k}, stride s = {s}{dil}",
                    "es": "eje {axis}: n = {n} celdas, ventana k = {k}, paso s = {s}{dil}"},
    "shapes.dilation": {"en": ", dilation d = {d} (span {e})",
                        "es": ", dilatación d = {d} (alcance {e})"},
    "shapes.pads_value": {"en": "padding {pads}", "es": "relleno {pads}"},
    "shapes.tf": {"en": "TensorFlow / Keras", "es": "TensorFlow / Keras"},
    "shapes.torch_floor": {"en": "PyTorch (floor)", "es": "PyTorch (piso)"},
    "shapes.torch_ceil": {"en": "PyTorch (ceil_mode)", "es": "PyTorch (ceil_mode)"},
    "shapes.numpy": {"en": "NumPy view", "es": "Vista NumPy"},
    "shapes.why_same": {"en": "ceil({n} / {s}) = ceil({ratio}) = {o}; the windows then need "
                              "max(0, ({o}−1)·{s} + {e} − {n}) = {total} padded cell(s): {lo} "
                              "before, {hi} after",
                        "es": "techo({n} / {s}) = techo({ratio}) = {o}; las ventanas necesitan "
                              "máx(0, ({o}−1)·{s} + {e} − {n}) = {total} celda(s) de relleno: "
                              "{lo} antes, {hi} después"},
    "shapes.why_floor": {"en": "floor(({n} + {pads} − {e}) / {s}) + 1 = floor({ratio}) + 1 = {o}",
                         "es": "piso(({n} + {pads} − {e}) / {s}) + 1 = piso({ratio}) + 1 = {o}"},
    "shapes.why_ceil": {"en": "ceil(({n} + {pads} − {e}) / {s}) + 1 = ceil({ratio}) + 1 = {o}",
                        "es": "techo(({n} + {pads} − {e}) / {s}) + 1 = techo({ratio}) + 1 = {o}"},
    "shapes.why_ceil_dropped": {"en": "ceil({ratio}) + 1 = {o_raw}, minus the last window, "
                                      "which would start in the padding: {o}",
                                "es": "techo({ratio}) + 1 = {o_raw}, menos la última ventana, "
                                      "que empezaría en el relleno: {o}"},
    "shapes.why_numpy": {"en": "sliding_window_view gives {n} − {e} + 1 = {windows} windows "
                               "(never pads); [::{s}] keeps one in {s}: ceil({windows} / {s}) "
                               "= {o}",
                         "es": "sliding_window_view da {n} − {e} + 1 = {windows} ventanas "
                               "(nunca rellena); [::{s}] toma una de cada {s}: techo({windows} / "
                               "{s}) = {o}"},
    "shapes.not_more": {"en": "not {next}: window {index} would cover cells {start}…{end}, past "
                              "the last cell with padding ({last})",
                        "es": "no {next}: la ventana {index} cubriría las celdas {start}…{end}, "
                              "más allá de la última celda con relleno ({last})"},
    "shapes.not_more_plain": {"en": "not {next}: window {index} would cover cells {start}…{end}, "
                                    "past the last cell ({last})",
                              "es": "no {next}: la ventana {index} cubriría las celdas "
                                    "{start}…{end}, más allá de la última celda ({last})"},
    "shapes.sticks_out": {"en": "the last window sticks out {count} cell(s) past the end "
                                "(max ignores them)",
                          "es": "la última ventana sobresale {count} celda(s) del final "
                                "(max las ignora)"},
    "shapes.legend_cell": {"en": "input cell", "es": "celda de entrada"},
    "shapes.legend_pad": {"en": "padding", "es": "relleno"},
    "shapes.legend_unread": {"en": "never read", "es": "nunca leída"},
    "shapes.legend_window": {"en": "last windows (numbered from 0, as the cells)",
                             "es": "últimas ventanas (numeradas desde 0, como las celdas)"},
    "shapes.legend_ghost": {"en": "the next window, which does not fit",
                            "es": "la ventana siguiente, que no cabe"},
    "shapes.chosen": {"en": "◀ your padding", "es": "◀ tu relleno"},
    "shapes.error": {"en": "error: {reason}", "es": "error: {reason}"},
    # -- show_feature_maps ---------------------------------------------------------
    "fm.title": {"en": "Feature maps of {layer}: {shape}",
                 "es": "Mapas de características de {layer}: {shape}"},
    "fm.map": {"en": "map {index}", "es": "mapa {index}"},
    "fm.more": {"en": "showing {shown} of {total} maps",
                "es": "se muestran {shown} de {total} mapas"},
    # -- animations ----------------------------------------------------------------
    "anim.input": {"en": "input {shape}", "es": "entrada {shape}"},
    "anim.output": {"en": "output {shape}", "es": "salida {shape}"},
    "anim.kernel": {"en": "kernel {shape}", "es": "kernel {shape}"},
    "anim.padding": {"en": "grey: padding", "es": "gris: relleno"},
    "anim.padding_ignored": {"en": "grey: padding (ignored by max)",
                             "es": "gris: relleno (max lo ignora)"},
    "anim.padding_avg": {"en": "grey: padding (not counted in the mean)",
                         "es": "gris: relleno (no cuenta en la media)"},
    "anim.step": {"en": "step {step}/{total}", "es": "paso {step}/{total}"},
    "anim.done": {"en": "done: {shape} outputs", "es": "listo: {shape} salidas"},
    "anim.unread": {"en": "light numbers: cells never read", "es": "números claros: celdas nunca "
                                                                   "leídas"},
    "anim.mean": {"en": "mean", "es": "media"},
    "anim.max_of": {"en": "max of the window", "es": "máximo de la ventana"},
    "anim.mean_of": {"en": "mean of the window", "es": "media de la ventana"},
    "anim.sum_of": {"en": "sum of window × kernel", "es": "suma de ventana × kernel"},
    # -- command line --------------------------------------------------------------
    "cli.wrote": {"en": "saved to {path}", "es": "guardado en {path}"},
    "cli.stage_shape": {"en": "{stage:<10} {shape}", "es": "{stage:<10} {shape}"},
    "cli.kernels_header": {"en": "Built-in kernels (use with --kernel NAME):",
                           "es": "Kernels incluidos (úsalos con --kernel NOMBRE):"},
    "cli.frames": {"en": "{frames} frames, {width}×{height} px", "es": "{frames} fotogramas, "
                                                                      "{width}×{height} px"},
    "cli.rendering": {"en": "rendering", "es": "dibujando"},
    # -- detection figures and animation (ventanal.viz.detection) ----------------------
    "det.title": {"en": "{count} detections on {shape}", "es": "{count} detecciones en {shape}"},
    "det.truth": {"en": "planted (dashed)", "es": "plantados (discontinuo)"},
    "det.before": {"en": "Before NMS: {count} boxes", "es": "Antes de NMS: {count} cajas"},
    "det.after": {"en": "After NMS ({metric} > {threshold} suppressed): {kept} kept, "
                        "{dropped} suppressed",
                  "es": "Tras NMS (se suprime {metric} > {threshold}): {kept} conservadas, "
                        "{dropped} suprimidas"},
    "det.coverage": {"en": "Windows covering each pixel: {windows} windows {size}, step {step}",
                     "es": "Ventanas que cubren cada píxel: {windows} ventanas {size}, "
                           "paso {step}"},
    "det.tile_coverage": {"en": "Tiles covering each pixel: {tiles} tiles {size}, "
                                "{slivers} slivers",
                          "es": "Teselas que cubren cada píxel: {tiles} teselas {size}, "
                                "{slivers} astillas"},
    "det.never": {"en": "never visited: {count} pixels", "es": "nunca visitados: {count} píxeles"},
    "det.visits": {"en": "visits", "es": "visitas"},
    "det.score_title": {"en": "A linear classifier's scores: window by window = one convolution",
                        "es": "Puntuaciones de un clasificador lineal: ventana a ventana = "
                              "una convolución"},
    "det.score_conv": {"en": "One convolution {shape}", "es": "Una convolución {shape}"},
    "det.score_loop": {"en": "Window by window {shape}", "es": "Ventana a ventana {shape}"},
    "det.score_diff": {"en": "Largest difference: {value}", "es": "Diferencia máxima: {value}"},
    "det.anim_level": {"en": "Level {level}: {shape}, ×{factor}",
                       "es": "Nivel {level}: {shape}, ×{factor}"},
    "det.anim_score": {"en": "score {score}", "es": "puntuación {score}"},
    "det.anim_hits": {"en": "hits: {count}", "es": "aciertos: {count}"},
    "det.anim_final": {"en": "After NMS: {count} detections",
                       "es": "Tras NMS: {count} detecciones"},
    "det.found": {"en": "{count} detections (template {shape}, {levels} pyramid levels)",
                  "es": "{count} detecciones (plantilla {shape}, {levels} niveles de pirámide)"},
    "det.found_box": {"en": "  box {box}  score {score}  level {level}",
                      "es": "  caja {box}  puntuación {score}  nivel {level}"},
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a supported language, else raise ValueError.

    Examples
    --------
    >>> check_lang("es")
    'es'
    >>> check_lang("fr")
    Traceback (most recent call last):
    ...
    ValueError: `lang` must be one of 'en', 'es', got 'fr'
    """
    if lang not in LANGUAGES:
        raise ValueError(f"`lang` must be one of {', '.join(map(repr, LANGUAGES))}, got {lang!r}")
    return lang


def text(key: str, lang: str = "en", **values: object) -> str:
    """The message ``key`` in language ``lang``, with ``values`` filled in.

    Parameters
    ----------
    key : str
        A key of :data:`MESSAGES`.
    lang : {"en", "es"}
        Language.
    **values
        Values for the message's ``{placeholders}``.

    Returns
    -------
    str

    Examples
    --------
    >>> text("stage.input", "es")
    'Entrada'
    >>> text("anim.step", "en", step=3, total=9)
    'step 3/9'
    """
    message = MESSAGES[key][check_lang(lang)]
    return message.format(**values) if values else message
