"""Colour in the model: RGB fills and backgrounds, colour targets, the colour oracle, SVG.

Issue 14 §2 (engine and model parts). The JS and Wasm backends are checked against
the colour fixtures of tests/test_fixtures.py by js/test/fixtures.test.mjs.
"""

import io

import numpy as np
import pytest
from PIL import Image

from pelican_widget import Circle, Ellipse, Scene, Triangle, load_target, loss, render
from pelican_widget.raster import image_terms, render64
from pelican_widget.svg import COLOUR_NAMES

RGB_SHAPES = (
    Ellipse(0.45, 0.55, 0.3, 0.18, -0.6, (0.9, 0.2, 0.1)),
    Circle(0.3, 0.35, 0.15, (0.1, 0.7, 0.3)),
    Triangle(((0.5, 0.1), (0.9, 0.5), (0.55, 0.7)), (0.2, 0.3, 0.95)),
)


def colour_scene(**top):
    return Scene(RGB_SHAPES, width=top.pop("width", 24), height=top.pop("height", 18), **top)


# ---- scene validation --------------------------------------------------------------


def test_colour_fill_and_background_in_the_wire_format():
    scene = colour_scene(background=(0.2, 0.4, 0.6))
    data = scene.to_dict()
    assert data["background"] == [0.2, 0.4, 0.6]
    assert data["shapes"][1]["fill"] == [0.1, 0.7, 0.3]
    assert scene.channels == 3 and Scene.pelican().channels == 1
    assert Scene.from_json(scene.to_json()) == scene


def test_colour_scene_rejects_a_grey_fill_naming_the_shape():
    data = colour_scene().to_dict()
    data["shapes"][2]["fill"] = 0.5
    with pytest.raises(ValueError, match=r"shape 2 \(triangle\): field 'fill' is grey in a colour"):
        Scene.from_dict(data)
    data = Scene.pelican().to_dict() | {"background": [0.1, 0.2, 0.3]}
    with pytest.raises(ValueError, match=r"shape 0 \(ellipse\).*the background is RGB"):
        Scene.from_dict(data)


@pytest.mark.parametrize(
    ("background", "message"),
    [
        ([0.1, 0.2], r"field 'background' must be a grey number or \[r, g, b\]"),
        ([0.1, 0.2, 1.5], r"field 'background\[2\]' must be in \[0, 1\]"),
        (-0.1, r"field 'background' must be in \[0, 1\]"),
    ],
)
def test_colour_background_validation(background, message):
    with pytest.raises(ValueError, match=message):
        Scene((), background=background)


def test_colour_grey_background_in_a_colour_scene_and_as_colour():
    scene = colour_scene(background=0.3)
    assert scene.channels == 3
    np.testing.assert_array_equal(render64(Scene((), 4, 3, background=(0.3, 0.3, 0.3))), 0.3)
    grey = Scene.pelican()
    rgb = grey.as_colour()
    assert rgb.channels == 3 and rgb.shapes[0].fill == (0.35, 0.35, 0.35)
    assert rgb.background == (1.0, 1.0, 1.0)


# ---- targets -------------------------------------------------------------------------


def photo(width=30, height=20):
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x / width, y / height, 0.5 + 0.3 * np.sin(x * 0.4)], axis=-1)


def test_colour_load_target_modes():
    rgb = photo()
    assert load_target(rgb, 16).shape == (11, 16, 3)  # "auto" by default
    assert load_target(rgb, 16, colour="grey").shape == (11, 16)
    assert load_target(rgb, 16, colour="auto").shape == (11, 16, 3)
    assert load_target(rgb, 16, colour="rgb").shape == (11, 16, 3)
    same = load_target(rgb, size=(30, 20), colour="rgb")
    np.testing.assert_allclose(same, rgb, atol=1e-7)  # no resampling at the same size
    grey = np.repeat(rgb[..., :1], 3, axis=-1)
    auto = load_target(grey, 16, colour="auto")
    assert auto.shape == (11, 16)
    np.testing.assert_array_equal(auto, load_target(grey, 16, colour="grey"))
    np.testing.assert_array_equal(
        load_target(rgb[..., 0], 16, colour="rgb"),
        np.repeat(load_target(rgb[..., 0], 16, colour="grey")[..., None], 3, axis=-1),
    )
    with pytest.raises(ValueError, match="colour must be one of auto, grey, rgb"):
        load_target(rgb, colour="RGB")


def test_colour_load_target_8bit_and_alpha():
    pixels = (photo() * 255).round().astype(np.uint8)
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, format="PNG")
    out = load_target(png.getvalue(), size=(30, 20), colour="auto")
    np.testing.assert_array_equal(out, pixels / np.float32(255))
    rgba = np.concatenate([pixels, np.full((20, 30, 1), 0, np.uint8)], axis=-1)
    np.testing.assert_array_equal(load_target(rgba, size=(30, 20), colour="rgb"), 1.0)


def test_colour_bad_array_targets():
    bad = photo()
    bad[3, 4, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        load_target(bad, colour="rgb")
    with pytest.raises(ValueError, match="NaN"):
        load_target(bad, colour="auto")
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        load_target(photo() * 2, colour="rgb")
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        load_target(np.zeros((4, 4, 2)), colour="rgb")


# ---- the colour oracle -----------------------------------------------------------------


def test_colour_render_composites_per_channel():
    scene = colour_scene(background=(0.2, 0.5, 0.8))
    image = render64(scene)
    assert image.shape == (18, 24, 3)
    for c in range(3):
        channel = Scene(
            tuple(
                type(s)(**{f: getattr(s, f) for f in s.fields if f != "fill"}, fill=s.fill[c])
                for s in scene.shapes
            ),
            width=24,
            height=18,
            background=scene.background[c],
        )
        np.testing.assert_allclose(image[..., c], render64(channel), rtol=0, atol=1e-15)
    assert render(scene).dtype == np.float32


def test_colour_loss_equals_the_grey_loss_on_equal_channels():
    grey = Scene.pelican().copy(width=40, height=30)
    target = load_target(photo(40, 30), size=(40, 30), colour="grey")
    grey_loss = loss(grey, target)
    colour_loss = loss(grey.as_colour(), np.repeat(target[..., None], 3, axis=-1))
    for key, value in grey_loss.items():
        assert colour_loss[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key


def test_colour_image_terms_average_the_channels():
    rng = np.random.default_rng(3)
    a, b = rng.random((12, 10, 3)), rng.random((12, 10, 3))
    terms = image_terms(a, b)
    per = [image_terms(a[..., c], b[..., c]) for c in range(3)]
    for key in ("mse", "edge", "ssim"):
        assert terms[key] == pytest.approx(np.mean([p[key] for p in per]), rel=1e-12)
    assert terms["mse"] == pytest.approx(np.mean((a - b) ** 2), rel=1e-12)


def test_colour_loss_of_a_colour_scene_uses_an_rgb_target():
    scene = colour_scene()
    target = photo(24, 18)
    terms = loss(scene, target)
    assert terms["mse"] == pytest.approx(np.mean((render64(scene) - target) ** 2), rel=1e-6)


# ---- SVG and PNG -------------------------------------------------------------------------


def test_colour_svg_round_trip_is_exact():
    scene = colour_scene(background=(0.123456, 0.654321, 0.5))
    text = scene.to_svg()
    assert 'fill="rgb(12.3456%,65.4321%,50%)"' in text
    back = Scene.from_svg(text)
    assert back.channels == 3
    for a, b in zip(back.shapes, scene.shapes, strict=True):
        np.testing.assert_allclose(a.fill, b.fill, atol=1e-6)
    np.testing.assert_allclose(back.background, scene.background, atol=1e-6)


@pytest.mark.parametrize(
    ("fill", "rgb"),
    [
        ("#ff8000", (1.0, 128 / 255, 0.0)),
        ("#F80", (1.0, 136 / 255, 0.0)),
        ("rgb(255, 0, 51)", (1.0, 0.0, 0.2)),
        ("rgb(100%,50%,0%)", (1.0, 0.5, 0.0)),
        ("red", (1.0, 0.0, 0.0)),
        ("Navy", (0.0, 0.0, 128 / 255)),
        ("orange", (1.0, 165 / 255, 0.0)),
    ],
)
def test_colour_svg_reads_colour_syntaxes(fill, rgb):
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        f'<circle cx="5" cy="5" r="2" fill="{fill}"/><circle cx="2" cy="2" r="1" fill="grey"/>'
        "</svg>"
    )
    scene = Scene.from_svg(svg)
    np.testing.assert_allclose(scene.shapes[0].fill, rgb, atol=1e-9)
    # in a colour scene grey fills and the background become triples
    assert scene.shapes[1].fill == (128 / 255,) * 3 and scene.background == (1.0, 1.0, 1.0)


def test_colour_svg_grey_names_give_a_grey_scene():
    svg = (
        '<svg viewBox="0 0 4 4"><rect width="4" height="4" fill="white"/>'
        '<circle cx="1" cy="1" r="1" fill="black"/></svg>'
    )
    scene = Scene.from_svg(svg)
    assert scene.channels == 1 and scene.shapes[0].fill == 0.0 and scene.background == 1.0
    assert {"black", "white", "red", "green", "blue", "grey", "gray"} <= set(COLOUR_NAMES)


def test_colour_save_png(tmp_path):
    scene = colour_scene(background=(0.0, 0.0, 1.0))
    path = tmp_path / "colour.png"
    scene.save_png(path, size=48)
    with Image.open(path) as image:
        assert image.mode == "RGB" and image.size == (48, 36)
        pixels = np.asarray(image)
    expected = np.round(render(scene.copy(width=48, height=36)).astype(np.float64) * 255)
    np.testing.assert_array_equal(pixels, expected.astype(np.uint8))
    assert tuple(pixels[0, -1]) == (0, 0, 255)
