"""The rect and curve kinds on the Python side: the oracle's distances, validation,
SVG, and a search restricted to them (the Wasm engine under Node, as ``fit`` runs it).

Every backend's render of both kinds is checked against the oracle by
tests/test_shape_registry.py and tests/test_fixtures.py; gradients, Wasm and
WebGPU by js/test/kinds.test.mjs, js/test/webgpu.test.mjs and tests/e2e/test_webgpu.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import pelican_widget as pw
from pelican_widget import Curve, Rect, Scene


def brute_distance(points: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Distance to the curve by dense sampling: an upper bound, within 1e-7 here."""
    t = np.linspace(0.0, 1.0, 40001)[:, None]
    bx = (1 - t) ** 2 * points[0, 0] + 2 * (1 - t) * t * points[1, 0] + t * t * points[2, 0]
    by = (1 - t) ** 2 * points[0, 1] + 2 * (1 - t) * t * points[1, 1] + t * t * points[2, 1]
    result: np.ndarray = np.sqrt((bx - px) ** 2 + (by - py) ** 2).min(axis=0)
    return result


def test_rect_sdf_is_the_exact_box_distance():
    rect = Rect(0.5, 0.5, 0.4, 0.2, math.pi / 2, 0.3)
    # rotated a quarter turn: the long side runs along y
    px = np.array([0.5, 0.5, 0.5, 0.8, 0.5 + 0.1 + 0.3, 0.5 + 0.1 + 0.03])
    py = np.array([0.5, 0.5 + 0.2, 0.9, 0.5, 0.5 + 0.2 + 0.4, 0.5])
    expected = [-0.1, 0.0, 0.2, 0.2, 0.5, 0.03]
    np.testing.assert_allclose(rect.sdf(px, py, 1.0, 1.0), expected, atol=1e-12)


@pytest.mark.parametrize(
    "control",
    [(0.5, 0.1), (0.45, 0.5), (0.450001, 0.5), (0.7, 0.5), (1.4, 0.5), (-0.3, 0.5)],
    ids=["bent", "midpoint", "near-midpoint", "collinear", "beyond-end", "before-start"],
)
def test_curve_sdf_is_the_distance_to_the_segment_less_half_the_width(control):
    points = np.array([[0.1, 0.5], control, [0.8, 0.5]])
    curve = Curve(tuple(map(tuple, points)), 0.04, 0.5)
    rng = np.random.default_rng(7)
    px, py = rng.uniform(-0.2, 1.2, 500), rng.uniform(-0.2, 1.2, 500)
    got = curve.sdf(px, py, 1.0, 1.0) + 0.02
    brute = brute_distance(points, px, py)
    assert np.all(got <= brute + 1e-12)
    np.testing.assert_allclose(got, brute, atol=1e-7)


def test_curve_priors_length_width_and_canvas():
    straight = Curve(((0.1, 0.5), (0.5, 0.5), (0.9, 0.5)), 0.001, 0.5)
    perimeter, degeneracy, canvas = straight.priors()
    assert perimeter == pytest.approx(2 * 0.8, abs=1e-12)
    assert degeneracy == pytest.approx(0.5 / 128 - 0.001)
    assert canvas == 0.0
    # a parabola's arc length, in closed form
    bent = Curve(((0.0, 0.0), (0.5, 1.0), (1.0, 0.0)), 0.01, 0.5)
    exact = 0.5 * math.sqrt(5) + 0.25 * math.asinh(2)
    assert bent.length() == pytest.approx(exact, rel=1e-4)
    assert bent.priors()[2] == pytest.approx(0.05 + 0.05 + 0.05 + 0.05 + 0.05)


def test_rect_priors():
    assert Rect(0.5, 0.5, 0.2, 0.4, 0.3, 0.5).priors() == pytest.approx((1.2, 0.0, 0.0))
    # half the longer side reaches over the left margin by 0.05
    assert Rect(0.2, 0.5, 0.1, 0.4, 0.0, 0.5).priors()[2] == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"type": "rect", "cx": 0.5, "cy": 0.5, "w": -0.1, "h": 0.1, "angle": 0, "fill": 0.5},
            "'w'",
        ),
        ({"type": "rect", "cx": 0.5, "cy": 0.5, "w": 0.1, "h": 0, "angle": 0, "fill": 0.5}, "'h'"),
        (
            {"type": "curve", "points": [[0, 0], [1, 1], [2, 0]], "width": -1.0, "fill": 0.5},
            "'width' must be > 0",
        ),
        (
            {
                "type": "curve",
                "points": [[0.1, 0.1], [0.5, 0.5], [0.1, 0.1]],
                "width": 0.1,
                "fill": 0,
            },
            r"points\[0\] and points\[2\] coincide",
        ),
        (
            {
                "type": "curve",
                "points": [[0.1, 0.1], [0.1, 0.1], [0.3, 0.1]],
                "width": 0.1,
                "fill": 0,
            },
            r"points\[0\] and points\[1\] coincide",
        ),
        ({"type": "curve", "points": [[0, 0], [1, 1]], "width": 0.1, "fill": 0}, "exactly 3"),
        ({"type": "spline", "points": [], "fill": 0.5}, "unknown type 'spline'"),
    ],
)
def test_bad_rect_and_curve_input_names_the_field(data, message):
    with pytest.raises(ValueError, match=message):
        Scene.from_dict({"width": 8, "height": 8, "shapes": [data]})


def test_rect_and_curve_svg_round_trip_in_colour_with_names():
    scene = Scene(
        [
            Rect(0.3, 0.4, 0.2, 0.1, -0.7, (0.9, 0.2, 0.1), name="roof"),
            Curve(((0.1, 0.9), (0.5, 0.2), (0.9, 0.8)), 0.03, (0.1, 0.3, 0.8), name="neck"),
        ],
        width=40,
        height=30,
        background=(1.0, 1.0, 0.9),
    )
    text = scene.to_svg()
    assert 'fill="none" stroke="rgb(10%,30%,80%)"' in text
    assert 'stroke-linecap="round"' in text
    back = Scene.from_svg(text)
    assert [s.name for s in back.shapes] == ["roof", "neck"]
    a, b = back.shapes
    assert isinstance(a, Rect) and isinstance(b, Curve)
    assert (a.cx, a.cy, a.w, a.h, a.angle) == pytest.approx((0.3, 0.4, 0.2, 0.1, -0.7), abs=1e-6)
    assert np.allclose(b.points, ((0.1, 0.9), (0.5, 0.2), (0.9, 0.8)), atol=1e-6)
    assert b.width == pytest.approx(0.03, abs=1e-6) and b.fill == pytest.approx((0.1, 0.3, 0.8))


def test_a_search_with_only_rects_and_curves_draws_with_those():
    yy, xx = np.mgrid[0:40, 0:40] / 40.0
    target = np.where(np.abs(yy - 0.3 - 0.4 * (xx - 0.5) ** 2) < 0.04, 0.1, 0.9)
    target[25:35, 8:30] = 0.4
    scene = pw.fit(
        target.astype(np.float32),
        shapes=6,
        seed=1,
        resolution=40,
        types=("rect", "curve"),
        backend="wasm",
        progress=False,
    )
    kinds = {s.type for s in scene.shapes}
    assert kinds <= {"rect", "curve"} and len(scene.shapes) >= 3
    flat = float(((target - target.mean()) ** 2).mean())
    assert pw.loss(scene, target, weights={"mse": 1.0, "edge": 0, "ssim": 0})["mse"] < 0.3 * flat


def test_widget_refine_names_an_unknown_kind():
    widget = pw.PelicanWidget(np.full((16, 16), 0.5, dtype=np.float32))
    with pytest.raises(Exception, match="unknown shape kind 'spline'"):
        widget.refine(types=("rect", "spline"))
    widget.refine(types=("curve", "rect"))
    assert widget._run_request["refine"]["types"] == ["curve", "rect"]
    widget.stop()
