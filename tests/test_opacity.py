"""Per-shape opacity (issue 10) in Python and across the Python/JS boundary.

The scene field (validation, wire format), the oracle's compositing
``out = (1 - a*c)*out + a*c*fill``, central differences of the oracle's loss in
each shape's opacity against the JS reference's analytic gradient, SVG round trips
through both writers (``fill-opacity``, ``stroke-opacity`` for curves) and the UI's
canvas drawing. The CPU and GPU backends against the reference:
js/test/opacity.test.mjs, js/test/webgpu.test.mjs, tests/e2e/test_webgpu.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pelican_widget import Scene, loss, render
from pelican_widget.raster import coverage, render64
from pelican_widget.scene import SHAPE_TYPES
from pelican_widget.svg import from_svg, to_svg

ROOT = Path(__file__).resolve().parents[1]


def translucent_scene(colour: bool = False) -> Scene:
    """Every kind's first example at its own opacity (the rect opaque), 30x22."""
    shapes = []
    for index, kind in enumerate(SHAPE_TYPES.values()):
        shape = kind.examples()[0]
        if kind.type != "rect":
            shape = replace(shape, opacity=0.3 + 0.15 * index)
        if colour:
            shape = replace(shape, fill=(0.1 + 0.2 * index, 0.8 - 0.1 * index, 0.4))
        shapes.append(shape)
    background = (0.9, 0.8, 0.7) if colour else 0.85
    return Scene(tuple(shapes), width=30, height=22, background=background)


def smooth_target(scene: Scene) -> np.ndarray:
    y, x = np.mgrid[0 : scene.height, 0 : scene.width].astype(np.float64)
    grey = 0.5 + 0.3 * np.sin(0.45 * x + 0.2) * np.cos(0.35 * y - 0.4)
    if scene.channels == 1:
        return grey.astype(np.float32)
    return np.stack([grey, 1.0 - grey, 0.5 * grey + 0.2], -1).astype(np.float32)


def test_opacity_defaults_to_1_and_is_written_only_below_1():
    circle = SHAPE_TYPES["circle"].examples()[0]
    assert circle.opacity == 1.0
    assert "opacity" not in circle.to_dict()
    half = replace(circle, opacity=0.5)
    assert half.to_dict()["opacity"] == 0.5
    scene = Scene.from_dict({"shapes": [half.to_dict(), {**circle.to_dict(), "opacity": 1}]})
    assert [s.opacity for s in scene.shapes] == [0.5, 1.0]
    assert "opacity" not in scene.to_dict()["shapes"][1]
    assert Scene.from_json(json.dumps(translucent_scene().to_dict())) == translucent_scene()
    # grey <-> colour keeps the opacities
    assert [s.opacity for s in translucent_scene().as_colour().shapes] == [
        s.opacity for s in translucent_scene().shapes
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "must be in (0, 1], got 0.0"),
        (-0.3, "must be in (0, 1], got -0.3"),
        (1.2, "must be in (0, 1], got 1.2"),
        (float("nan"), "must be finite"),
        ("0.5", "must be a number, got str"),
        (None, "must be a number, got NoneType"),
        (True, "must be a number, got bool"),
    ],
)
@pytest.mark.parametrize("kind", list(SHAPE_TYPES))
def test_bad_opacity_is_a_value_error_naming_the_shape(kind, value, message):
    shape = SHAPE_TYPES[kind].examples()[0].to_dict()
    data = {"shapes": [SHAPE_TYPES["circle"].examples()[0].to_dict(), {**shape, "opacity": value}]}
    with pytest.raises(ValueError) as err:
        Scene.from_dict(data)
    text = str(err.value)
    assert text.startswith(f"shape 1 ({kind}): field 'opacity' ")
    assert message in text


def test_oracle_composites_alpha_opacity_times_coverage():
    scene = translucent_scene()
    tau = 0.5 / 30
    side = 30
    px = ((np.arange(30) + 0.5) / side)[None, :]
    py = ((np.arange(22) + 0.5) / side)[:, None]
    out = np.full((22, 30), scene.background)
    for shape in scene.shapes:
        c = coverage(shape.sdf(px, py, 1.0, 22 / 30), tau)
        out = (1.0 - shape.opacity * c) * out + shape.opacity * c * shape.fill
    np.testing.assert_allclose(render64(scene, tau), out, rtol=0, atol=1e-15)
    # opacity 1 is the opaque compositing of before, bit for bit
    opaque = Scene(tuple(replace(s, opacity=1.0) for s in scene.shapes), width=30, height=22)
    plain = Scene(
        tuple(SHAPE_TYPES[s.type].examples()[0] for s in scene.shapes), width=30, height=22
    )
    np.testing.assert_array_equal(render(opaque), render(plain))
    # deep inside a lone shape of opacity a (coverage sigmoid(10)) the render is
    # (1 - a) background + a fill
    circle = replace(scene.shapes[0], opacity=0.4)
    lone = render64(replace(scene, shapes=(circle,)), tau)
    inside = (1 - 0.4) * scene.background + 0.4 * circle.fill
    assert np.abs(lone - inside).min() < 0.4 * 5e-5


@pytest.fixture(scope="module", params=["grey", "colour"])
def probed(request):
    node = shutil.which("node")
    if node is None or not (ROOT / "js" / "build" / "engine.mjs").exists():
        pytest.fail("needs node and the JS build (cd js && npm run build)")
    scene = translucent_scene(colour=request.param == "colour")
    target = smooth_target(scene)
    tau = 1.0 / 30
    result = subprocess.run(
        [node, str(ROOT / "tests" / "opacity_probe.mjs")],
        input=json.dumps({"scene": scene.to_dict(), "target": target.ravel().tolist(), "tau": tau}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return scene, target, tau, json.loads(result.stdout)


def test_oracle_finite_differences_in_opacity_match_the_js_reference(probed):
    scene, target, tau, out = probed
    h = 1e-5
    checked = 0
    for index, shape in enumerate(scene.shapes):
        if shape.opacity >= 1.0:
            # an opaque shape's opacity is fixed: the engine gives it no gradient
            assert out["dOpacity"][index] == 0
            continue

        def total(a: float, index: int = index, shape=shape) -> float:
            shapes = list(scene.shapes)
            shapes[index] = replace(shape, opacity=a)
            return loss(replace(scene, shapes=tuple(shapes)), target, tau=tau)["total"]

        numeric = (total(shape.opacity + h) - total(shape.opacity - h)) / (2 * h)
        analytic = out["dOpacity"][index]
        assert abs(numeric) > 1e-4, f"shape {index}: the case must have a gradient"
        assert analytic == pytest.approx(numeric, rel=1e-4, abs=1e-8), index
        checked += 1
    assert checked == len(scene.shapes) - 1


def test_svg_round_trip_keeps_opacity_in_fill_and_stroke_opacity(probed):
    scene, _, _, out = probed
    text = to_svg(scene)
    for shape in scene.shapes:
        key = "stroke-opacity" if shape.type == "curve" else "fill-opacity"
        wanted = f'{key}="{shape.opacity:.9g}"' if shape.opacity < 1 else None
        line = next(
            line for line in text.splitlines() if line.strip().startswith(f"<{shape.svg_tag}")
        )
        if wanted:
            assert wanted in line
        else:
            assert "opacity" not in line
    for written in (text, out["svg"]):
        back = from_svg(written)
        assert [s.type for s in back.shapes] == [s.type for s in scene.shapes]
        for mine, theirs in zip(scene.shapes, back.shapes, strict=True):
            assert theirs.opacity == pytest.approx(mine.opacity, abs=1e-9)
    assert out["svg"].count("-opacity=") == sum(s.opacity < 1 for s in scene.shapes)


def test_ui_canvas_draws_each_shape_at_its_opacity(probed):
    scene, _, _, out = probed
    assert out["alphas"] == [s.opacity for s in scene.shapes]


def test_svg_reader_refuses_a_bad_opacity_naming_the_element():
    text = to_svg(translucent_scene()).replace('fill-opacity="0.3"', 'fill-opacity="1.5"')
    with pytest.raises(ValueError, match=r"shape 0 \(circle\): field 'opacity' must be in"):
        from_svg(text)
    text = to_svg(translucent_scene()).replace('fill-opacity="0.3"', 'fill-opacity="half"')
    with pytest.raises(ValueError, match="attribute 'fill-opacity' is not a number"):
        from_svg(text)


def test_headless_fit_passes_opacity_through():
    from pelican_widget.headless import fit

    scene = translucent_scene()
    target = smooth_target(scene)
    result = fit(
        target, scene=scene, steps=5, backend="wasm", progress=False, resolution=30, workers=0
    )
    assert [s.type for s in result.shapes] == [s.type for s in scene.shapes]
    for before, after in zip(scene.shapes, result.shapes, strict=True):
        if before.opacity < 1:
            assert 0 < after.opacity < 1
            assert after.opacity == pytest.approx(before.opacity, abs=0.1)
        else:
            assert after.opacity == 1.0


def test_widget_refine_sends_a_start_opacity_below_1_only():
    import pelican_widget as pw

    y, x = np.mgrid[0:30, 0:40]
    w = pw.PelicanWidget(np.clip(0.2 + 0.5 * x / 40 + 0.1 * np.sin(y / 3.0), 0.0, 1.0))
    w.refine(max_shapes=10)
    assert "opacity" not in w._run_request["refine"]
    w.stop()
    w.refine(max_shapes=10, opacity=0.6)
    assert w._run_request["refine"]["opacity"] == 0.6


@pytest.mark.parametrize("opacity", [0, -0.5, 1.5, float("nan"), True, "0.5"])
def test_widget_refine_refuses_a_bad_start_opacity(opacity):
    import traitlets

    import pelican_widget as pw

    w = pw.PelicanWidget(np.full((20, 20), 0.5))
    with pytest.raises(traitlets.TraitError, match=r"opacity must be a number in \(0, 1\]"):
        w.refine(opacity=opacity)
