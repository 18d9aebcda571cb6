import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from pelican_widget import Circle, Ellipse, Scene, Triangle, render

NS = {"svg": "http://www.w3.org/2000/svg"}


def assert_close_scenes(a, b, tol=1e-3):
    assert (a.width, a.height) == (b.width, b.height)
    assert a.background == pytest.approx(b.background, abs=tol)
    assert len(a.shapes) == len(b.shapes)
    for x, y in zip(a.shapes, b.shapes, strict=True):
        assert type(x) is type(y) and x.name == y.name
        dx, dy = x.to_dict(), y.to_dict()
        for key, value in dx.items():
            if key in ("type", "name"):
                continue
            np.testing.assert_allclose(np.array(value), np.array(dy[key]), atol=tol, rtol=0)


SCENES = [
    Scene.pelican(),
    Scene(
        (
            Circle(0.123456, 0.654321, 0.0123, 0.987654, name='quote " & <tag>'),
            Ellipse(0.5, 0.25, 0.3, 0.05, 2.5, 1 / 3),
            Triangle(((0.9, 0.1), (0.1, 0.2), (0.5, 0.95)), 0.0),
        ),
        width=40,
        height=24,
        background=0.9,
    ),
]


@pytest.mark.parametrize("scene", SCENES)
def test_svg_round_trip(scene):
    back = Scene.from_svg(scene.to_svg())
    assert_close_scenes(back, scene, tol=1e-6)


def test_svg_structure():
    scene = SCENES[1]
    root = ET.fromstring(scene.to_svg(scale=2.5))
    assert root.get("viewBox") == "0 0 40 24"
    assert (root.get("width"), root.get("height")) == ("100", "60")
    children = list(root)
    assert [c.tag.split("}")[1] for c in children] == ["rect", "circle", "ellipse", "polygon"]
    rect, circle, ellipse, polygon = children
    assert (rect.get("width"), rect.get("height"), rect.get("fill")) == (
        "40",
        "24",
        "rgb(90%,90%,90%)",
    )
    # positions in pixels of their own axis, lengths in pixels of the longer side
    assert float(circle.get("cx")) == pytest.approx(0.123456 * 40)
    assert float(circle.get("cy")) == pytest.approx(0.654321 * 24)
    assert float(circle.get("r")) == pytest.approx(0.0123 * 40)
    assert circle.get("data-name") == 'quote " & <tag>'
    degrees = math.degrees(2.5)
    assert ellipse.get("transform") == f"rotate({degrees:.6f} 20 6)"
    assert ellipse.get("fill") == "rgb(33.3333%,33.3333%,33.3333%)"
    assert polygon.get("points") == "36,2.4 4,4.8 20,22.8"
    assert polygon.get("fill") == "rgb(0%,0%,0%)"


def test_svg_scale_must_be_positive():
    for scale in (0, -1, float("inf"), "2"):
        with pytest.raises(ValueError, match="scale must be"):
            SCENES[0].to_svg(scale=scale)


def test_from_svg_accepts_integer_rgb_and_hex_greys():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        "<title>t</title>"
        '<circle cx="5" cy="5" r="2" fill="rgb(51, 51, 51)"/>'
        '<circle cx="5" cy="5" r="1" fill="#fff"/>'
        '<polygon points="1 1 9 1 5 9" fill="#808080"/>'
        "</svg>"
    )
    scene = Scene.from_svg(svg)
    assert [s.fill for s in scene.shapes] == [pytest.approx(0.2), 1.0, pytest.approx(128 / 255)]
    assert scene.shapes[2].points == ((0.1, 0.1), (0.9, 0.1), (0.5, 0.9))
    assert scene.background == 1.0


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        ("<svg", "not well-formed SVG"),
        ('<html xmlns="http://www.w3.org/2000/svg"/>', "root element must be <svg>"),
        ('<svg viewBox="1 0 10 10"/>', "viewBox='0 0 W H'"),
        ("<svg/>", "viewBox='0 0 W H'"),
        ('<svg viewBox="0 0 10.5 10"/>', "whole pixels"),
        (
            '<svg viewBox="0 0 10 10"><line x1="0" y1="0" x2="1" y2="1"/></svg>',
            r"element 0 <line>: unsupported",
        ),
        (
            '<svg viewBox="0 0 10 10"><path d="M0 0 L 1 1" stroke="#000" stroke-width="1"/></svg>',
            r"element 0 <path>: a curve's path must be 'M x y Q x y x y'",
        ),
        (
            '<svg viewBox="0 0 9 9"><path d="M0 0 Q 1 1 2 0" fill="#000" stroke-width="1"/></svg>',
            r"element 0 <path>: missing attribute 'stroke'",
        ),
        (
            '<svg viewBox="0 0 9 9"><path d="M1 1 Q 2 2 1 1" stroke="#000" stroke-width="1"/>'
            "</svg>",
            r"points\[0\] and points\[2\] coincide",
        ),
        (
            '<svg viewBox="0 0 9 9"><path d="M0 0 Q 1 1 2 0" stroke="#000" stroke-width="-1"/>'
            "</svg>",
            "field 'width' must be > 0",
        ),
        ('<svg viewBox="0 0 10 10"><g><circle/></g></svg>', "nested element <circle>"),
        (
            '<svg viewBox="0 0 10 10"><circle cx="1" cy="1" fill="#000"/></svg>',
            "missing attribute 'r'",
        ),
        (
            '<svg viewBox="0 0 10 10"><circle cx="1" cy="1" r="x" fill="#000"/></svg>',
            "not a number",
        ),
        (
            '<svg viewBox="0 0 10 10"><circle cx="1" cy="1" r="1"/></svg>',
            "missing attribute 'fill'",
        ),
        (
            '<svg viewBox="0 0 10 10"><circle cx="1" cy="1" r="1" fill="reddish"/></svg>',
            "unsupported fill",
        ),
        (
            '<svg viewBox="0 0 10 10"><circle cx="1" cy="1" r="1" fill="#ff00"/></svg>',
            "unsupported fill",
        ),
        (
            '<svg viewBox="0 0 10 10"><circle cx="1" cy="1" r="0" fill="#000"/></svg>',
            "field 'r' must be > 0",
        ),
        (
            '<svg viewBox="0 0 10 10"><polygon points="1,1 2,2" fill="#000"/></svg>',
            "exactly 3 points",
        ),
        (
            '<svg viewBox="0 0 10 10"><ellipse cx="1" cy="1" rx="1" ry="1" '
            'transform="scale(2)" fill="#000"/></svg>',
            "unsupported transform",
        ),
        (
            '<svg viewBox="0 0 10 10"><ellipse cx="1" cy="1" rx="1" ry="1" '
            'transform="rotate(30 0 0)" fill="#000"/></svg>',
            "about the ellipse centre",
        ),
        (
            '<svg viewBox="0 0 10 10"><rect width="10" height="10" fill="#fff"/>'
            '<rect x="1" y="1" width="2" height="4" transform="rotate(30 0 0)" fill="#000"/></svg>',
            "about the rect centre",
        ),
        (
            '<svg viewBox="0 0 10 10"><rect width="10" height="10" fill="#fff"/>'
            '<rect x="1" y="1" width="-2" height="4" fill="#000"/></svg>',
            "field 'w' must be > 0",
        ),
        (
            '<svg viewBox="0 0 10 10"><circle cx="1" cy="1" r="1" fill="#000"/>'
            '<rect width="10" height="10" fill="#fff"/></svg>',
            "<rect>: missing attribute 'x'",
        ),
    ],
)
def test_from_svg_errors(svg, message):
    with pytest.raises(ValueError, match=message):
        Scene.from_svg(svg)


@pytest.mark.parametrize(
    "svg",
    [
        '<!DOCTYPE svg [<!ENTITY x "boom">]><svg viewBox="0 0 10 10">&x;</svg>',
        '<!DOCTYPE svg SYSTEM "http://example.invalid/evil.dtd"><svg viewBox="0 0 10 10"/>',
        '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg viewBox="0 0 9 9">&x;</svg>',
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n<svg/>',
    ],
)
def test_from_svg_refuses_doctype_and_entities(svg):
    with pytest.raises(ValueError, match="DOCTYPE, entity declarations or external references"):
        Scene.from_svg(svg)


def test_from_svg_rejects_non_text():
    with pytest.raises(TypeError, match="SVG must be text"):
        Scene.from_svg(42)
    assert Scene.from_svg(SCENES[0].to_svg().encode()) == Scene.from_svg(SCENES[0].to_svg())


def test_save_svg(tmp_path):
    path = tmp_path / "p.svg"
    SCENES[1].save_svg(path, scale=2)
    assert path.read_text(encoding="utf-8") == SCENES[1].to_svg(scale=2)


def test_save_png_uses_the_reference_renderer(tmp_path):
    scene = SCENES[1]
    path = tmp_path / "p.png"
    scene.save_png(path)
    image = Image.open(path)
    assert image.mode == "L" and image.size == (40, 24)
    expected = np.round(render(scene).astype(np.float64) * 255).astype(np.uint8)
    np.testing.assert_array_equal(np.asarray(image), expected)


def test_save_png_with_size_keeps_aspect(tmp_path):
    path = tmp_path / "big.png"
    SCENES[1].save_png(path, size=80)
    expected = np.round(render(SCENES[1].copy(width=80, height=48)).astype(np.float64) * 255)
    image = Image.open(path)
    assert image.size == (80, 48)
    np.testing.assert_array_equal(np.asarray(image), expected.astype(np.uint8))
    with pytest.raises(ValueError, match="size must be an integer"):
        SCENES[1].save_png(path, size=0)
