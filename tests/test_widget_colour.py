"""Colour in the widget: the ``colour`` trait, colour targets and start, RGB PNGs (issue 14).

The model, oracle and SVG side of colour is in tests/test_colour.py.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import traitlets
from PIL import Image
from without_numpy import assert_runs_without_numpy

import pelican_widget as pw
from pelican_widget import _png
from pelican_widget.widget import _encode_target


def photo(height: int = 40, width: int = 60) -> np.ndarray:
    """A colour image in [0, 1] whose channels differ."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x / width, y / height, 0.5 + 0.3 * np.sin(x / 4.0)], axis=-1).clip(0.0, 1.0)


def levels(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


RED_CIRCLE = pw.Circle(0.5, 0.5, 0.2, (1.0, 0.0, 0.0))


# ---- bad colour input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fill", "message"),
    [
        ([0.1, 0.2], r"shape 0 \(circle\): field 'fill' must be a grey number or \[r, g, b\]"),
        ([0.1, 0.2, 0.3, 1.0], r"\(3 numbers\), got 4 numbers"),
        ([0.1, -0.2, 0.3], r"field 'fill\[1\]' must be in \[0, 1\]"),
        ([0.1, 0.2, float("nan")], r"field 'fill\[2\]' must be finite"),
    ],
)
def test_colour_bad_fills_are_refused_and_the_widget_keeps_its_drawing(fill, message):
    data = {"shapes": [{"type": "circle", "cx": 0.5, "cy": 0.5, "r": 0.1, "fill": fill}]}
    with pytest.raises(ValueError, match=message):
        pw.Scene.from_dict(data)
    w = pw.PelicanWidget(photo())
    w.scene = pw.Scene((RED_CIRCLE,))
    with pytest.raises(traitlets.TraitError, match=message):
        w.scene = data
    assert w.scene.shapes == (RED_CIRCLE,)


def test_colour_nan_in_a_colour_array_target_is_refused_by_the_widget():
    bad = photo()
    bad[2, 3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        pw.PelicanWidget(bad)
    w = pw.PelicanWidget(photo())
    before = bytes(w.target_image)
    with pytest.raises(ValueError, match="NaN"):
        w.set_target(bad)
    assert bytes(w.target_image) == before and w.colour == "rgb"


@pytest.mark.parametrize("value", ["RGB", "color", "", None, 3])
def test_colour_mode_is_validated(value):
    with pytest.raises(traitlets.TraitError, match="colour must be one of"):
        pw.PelicanWidget(photo(), colour=value)
    w = pw.PelicanWidget(photo())
    with pytest.raises(traitlets.TraitError, match=r"'colour' trait .* expected any of"):
        w.colour = value
    assert w.colour == "rgb"


# ---- colour trait and start ----------------------------------------------------------


def test_colour_photo_starts_in_colour_on_its_mean_colour():
    image = photo()
    w = pw.PelicanWidget(image, resolution=60)
    assert w.colour == "rgb"
    assert w.scene.shapes == () and w.scene.channels == 3
    expected = levels(image).reshape(-1, 3).mean(axis=0) / 255
    np.testing.assert_allclose(w.scene.background, expected, atol=1e-12)
    assert w._initial_scene == w.scene
    with Image.open(io.BytesIO(w.target_image)) as sent:
        assert sent.mode == "RGB" and sent.size == (60, 40)
        np.testing.assert_array_equal(np.asarray(sent), levels(image))
    assert w.target.shape == (40, 60, 3)
    np.testing.assert_allclose(w.target, levels(image) / 255, atol=1e-7)


def test_colour_grey_images_and_the_built_in_target_stay_grey():
    w = pw.PelicanWidget()
    assert w.colour == "grey" and len(w.scene.shapes) == 9 and w.scene.channels == 1
    grey_rgb = np.repeat(photo()[..., :1], 3, axis=-1)
    w = pw.PelicanWidget(grey_rgb)
    assert w.colour == "grey" and isinstance(w.scene.background, float)
    assert w.target.shape == (85, 128)


def test_colour_explicit_modes():
    w = pw.PelicanWidget(photo(), colour="grey")
    assert w.colour == "grey" and isinstance(w.scene.background, float)
    with Image.open(io.BytesIO(w.target_image)) as sent:
        assert sent.mode == "L"
    w = pw.PelicanWidget(colour="rgb")
    assert w.colour == "rgb"
    assert w.scene == pw.Scene.pelican().as_colour()
    assert w.target.shape == (128, 128, 3)
    # a colour scene given with a grey target: "auto" draws in colour
    w = pw.PelicanWidget(scene=pw.Scene((RED_CIRCLE,)))
    assert w.colour == "rgb" and w.scene.shapes[0].fill == (1.0, 0.0, 0.0)


def test_colour_switching_converts_the_drawing_and_keeps_the_shapes():
    w = pw.PelicanWidget(photo())
    w.scene = pw.Scene.pelican()  # a grey scene on a colour widget becomes colour
    assert w.scene == pw.Scene.pelican().as_colour().copy(width=128, height=85)
    w.scene = pw.Scene((RED_CIRCLE,))
    w.colour = "grey"
    assert w.colour == "grey" and len(w.scene.shapes) == 1
    assert w.scene.shapes[0].fill == pytest.approx(0.299)
    assert w._initial_scene.shapes[0].fill == pytest.approx(0.299)
    with Image.open(io.BytesIO(w.target_image)) as sent:
        assert sent.mode == "L"
    # a colour scene set from Python on a grey widget is an error, not a silent change
    with pytest.raises(traitlets.TraitError, match="w.colour = 'rgb' first"):
        w.scene = pw.Scene((RED_CIRCLE,))
    assert w.scene.shapes[0].fill == pytest.approx(0.299)
    w.colour = "auto"
    assert w.colour == "rgb"
    assert w.scene.shapes[0].fill == pytest.approx((0.299, 0.299, 0.299))


def test_colour_new_targets_follow_the_mode():
    w = pw.PelicanWidget(photo(), resolution=60)
    grey = photo()[..., 1]
    w.set_target(grey)  # an empty drawing follows the new image, grey, on its mean
    assert w.colour == "grey"
    assert w.scene.background == pytest.approx(levels(grey).mean() / 255, abs=1e-12)
    w.set_target(photo())
    assert w.colour == "rgb" and w.scene.channels == 3
    # "auto" keeps a colour drawing in colour on a grey image: nothing is lost
    w.scene = pw.Scene((RED_CIRCLE,))
    w.set_target(grey)
    assert w.colour == "rgb" and w.scene.shapes[0].fill == (1.0, 0.0, 0.0)
    # an explicit choice sticks for later targets
    w.colour = "grey"
    w.set_target(photo())
    assert w.colour == "grey"
    w.resolution = 32
    assert w.colour == "grey" and w.target.shape == (21, 32)


def test_colour_cannot_change_while_running():
    w = pw.PelicanWidget(photo())
    w.scene = pw.Scene((RED_CIRCLE,))
    w.run(steps=5)
    with pytest.raises(traitlets.TraitError, match="while a run is in progress"):
        w.colour = "grey"
    assert w.colour == "rgb"


def test_colour_grow_from_the_page_knows_the_objective_and_the_start():
    w = pw.PelicanWidget(photo())
    state = w.get_state()
    # the page's Grow button sends the same search as refine(): it needs these
    assert state["objective"] == "mse" and state["colour"] == "rgb"
    assert state["_background_from_target"] is False


def test_colour_save_png_from_the_widget(tmp_path):
    w = pw.PelicanWidget(photo(), resolution=60)
    w.scene = pw.Scene((RED_CIRCLE,), background=(0.0, 0.0, 1.0))
    path = tmp_path / "drawing.png"
    w.save_png(path)
    with Image.open(path) as image:
        assert image.mode == "RGB" and image.size == (60, 40)
        assert tuple(np.asarray(image)[20, 30]) == (255, 0, 0)
        assert tuple(np.asarray(image)[0, 0]) == (0, 0, 255)


def test_colour_scene_as_grey_uses_the_luma_weights():
    scene = pw.Scene((RED_CIRCLE, pw.Circle(0.2, 0.2, 0.1, (0.0, 1.0, 1.0))), background=(0, 0, 1))
    grey = scene.as_grey()
    assert grey.channels == 1
    assert [s.fill for s in grey.shapes] == pytest.approx([0.299, 0.701])
    assert grey.background == pytest.approx(0.114)
    assert grey.as_grey() == grey


# ---- PNG helpers (pure Python) -------------------------------------------------------------


def test_colour_rgb_png_encoder_round_trips():
    pixels = levels(photo(5, 7))
    data = _png.encode_rgb_png(7, 5, pixels.tobytes())
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(image), pixels)
    with pytest.raises(ValueError, match="expected 105 RGB bytes"):
        _png.encode_rgb_png(7, 5, pixels.tobytes()[:-1])


def test_colour_channels_from_the_header():
    grey_palette = Image.new("L", (4, 4), 90).convert("P")
    colour_palette = Image.new("RGB", (4, 4), (200, 10, 10)).convert("P")
    cases = {
        1: [Image.new("L", (4, 4)), Image.new("LA", (4, 4)), grey_palette],
        3: [Image.new("RGB", (4, 4)), Image.new("RGBA", (4, 4)), colour_palette],
    }
    for channels, images in cases.items():
        for image in images:
            assert _png.image_channels(encoded(image)) == channels, image.mode
    assert _png.image_channels(encoded(Image.new("L", (8, 8)), "JPEG")) == 1
    assert _png.image_channels(encoded(Image.new("RGB", (8, 8)), "JPEG")) == 3
    with pytest.raises(ValueError, match="not a PNG or JPEG"):
        _png.image_channels(b"GIF89a")


def test_colour_without_pillow_the_header_decides_and_the_browser_decodes(monkeypatch):
    rgb = encoded(Image.fromarray(levels(photo())), "JPEG")
    monkeypatch.setitem(sys.modules, "PIL", None)
    target = _encode_target(rgb, 64, "auto")
    assert target.colour == "rgb" and target.mean is None and target.image == rgb
    assert _encode_target(rgb, 64, "grey").colour == "grey"


def test_colour_widget_in_pyodide_conditions(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(levels(photo())).save(path)
    assert_runs_without_numpy(
        "import pelican_widget as pw\n"
        f"w = pw.PelicanWidget({str(path)!r})\n"
        "assert w.colour == 'rgb' and w.scene.background == (1.0, 1.0, 1.0), w.scene\n"
        "assert w._background_from_target is True\n"
        "w.refine(max_shapes=5)\n"
        "assert w._run_request['refine']['backgroundFromTarget'] is True\n"
    )


def test_colour_svg_of_the_download_button_is_pythons():
    node = shutil.which("node")
    if node is None:
        pytest.fail("needs node")
    scene = pw.Scene(
        (RED_CIRCLE, pw.Triangle(((0.1, 0.1), (0.9, 0.2), (0.4, 0.8)), (0.123456, 0.5, 0.987654))),
        width=30,
        height=20,
        background=(0.2, 0.4, 0.6),
    )
    done = subprocess.run(
        [node, str(Path(__file__).parent / "ui_svg_probe.mjs")],
        input=scene.to_json(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == scene.to_svg()
    back = pw.Scene.from_svg(done.stdout)
    for a, b in zip(back.shapes, scene.shapes, strict=True):
        np.testing.assert_allclose(a.fill, b.fill, atol=1e-6)


def test_colour_result_from_pyodide_with_js_nulls_is_applied(monkeypatch):
    class JsNull:
        """Stands in for pyodide.ffi.jsnull, what Pyodide makes of a JavaScript null."""

    monkeypatch.setattr(sys, "platform", "emscripten")
    w = pw.PelicanWidget(photo())
    w.scene = pw.Scene((RED_CIRCLE,))
    w.run(steps=5)
    request = w._run_request["id"]
    result = {
        "status": "done",
        "step": 5,
        "loss": {"total": 0.01, "mse": 0.01, "edge": JsNull()},
        "loss_history": [{"step": 5, "total": 0.01, "ssim": JsNull()}],
        "_heartbeat": {"frontend": "page", "request": request, "beat": 3},
    }
    w.set_state(result)
    assert w.status == "done" and w.step == 5
    assert math.isnan(w.loss["edge"]) and math.isnan(w.loss_history[0]["ssim"])


def test_colour_switch_keeps_everything_when_the_target_cannot_be_read_again(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(levels(photo())).save(path)
    w = pw.PelicanWidget(path)
    before = (bytes(w.target_image), w.scene)
    path.unlink()
    with pytest.raises(FileNotFoundError):
        w.colour = "grey"
    assert w.colour == "rgb" and (bytes(w.target_image), w.scene) == before
