import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from pelican_widget import Circle, Ellipse, Scene, Triangle

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

CIRCLE = {"type": "circle", "cx": 0.5, "cy": 0.4, "r": 0.1, "fill": 0.2}
ELLIPSE = {"type": "ellipse", "cx": 0.3, "cy": 0.6, "rx": 0.2, "ry": 0.1, "angle": 0.5, "fill": 0.7}
TRIANGLE = {"type": "triangle", "points": [[0.1, 0.1], [0.9, 0.2], [0.4, 0.8]], "fill": 0.0}


def scene_dict(*shapes, **top):
    return {
        "version": 1,
        "width": 64,
        "height": 48,
        "background": 1.0,
        "shapes": list(shapes),
    } | top


def test_to_dict_is_the_wire_format():
    scene = Scene.from_dict(scene_dict(CIRCLE, ELLIPSE, TRIANGLE))
    assert scene.to_dict() == scene_dict(CIRCLE, ELLIPSE, TRIANGLE)
    assert list(scene.to_dict()) == ["version", "width", "height", "background", "shapes"]
    assert list(scene.to_dict()["shapes"][1]) == ["type", "cx", "cy", "rx", "ry", "angle", "fill"]


def test_json_round_trip_keeps_every_value():
    scene = Scene(
        (
            Circle(0.123456789, 0.5, 1e-3, 0.333333333, name="c"),
            Ellipse(-0.2, 1.3, 0.05, 0.6, -7.25, 1.0),
            Triangle(((0.0, 0.0), (1.0, 0.0), (0.0, 1.0)), 0.5, name="t"),
        ),
        width=40,
        height=24,
        background=0.75,
    )
    text = scene.to_json(indent=1)
    assert Scene.from_json(text) == scene
    assert Scene.from_json(text.encode()) == scene
    assert json.loads(text)["shapes"][0]["name"] == "c"
    assert "name" not in json.loads(text)["shapes"][1]


def test_defaults_for_missing_top_level_fields():
    scene = Scene.from_dict({"shapes": [CIRCLE]})
    assert (scene.width, scene.height, scene.background, scene.version) == (128, 128, 1.0, 1)


def test_unknown_shape_keys_are_ignored_and_name_is_kept():
    scene = Scene.from_dict(scene_dict(CIRCLE | {"name": "head", "stroke": 3}))
    assert scene.shapes[0] == Circle(0.5, 0.4, 0.1, 0.2, name="head")
    assert "stroke" not in scene.to_dict()["shapes"][0]


def test_values_are_normalised_to_floats_and_tuples():
    triangle = Triangle([[0, 0], [1, 0], [0, 1]], 1)
    assert triangle.points == ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0))
    assert isinstance(triangle.fill, float)
    scene = Scene([triangle])
    assert isinstance(scene.shapes, tuple)


def test_equality_and_copy():
    scene = Scene.from_dict(scene_dict(CIRCLE, TRIANGLE))
    same = Scene.from_dict(scene_dict(CIRCLE, TRIANGLE))
    assert scene == same
    assert scene != Scene.from_dict(scene_dict(TRIANGLE, CIRCLE))
    copy = scene.copy()
    assert copy == scene and copy is not scene
    resized = scene.copy(width=32, height=32)
    assert (resized.width, resized.height) == (32, 32)
    assert (scene.width, scene.height) == (64, 48)
    with pytest.raises(AttributeError):
        scene.width = 3
    with pytest.raises(ValueError, match="field 'width'"):
        scene.copy(width=0)


def test_pelican_matches_the_shared_start_scene():
    pelican = Scene.pelican()
    assert len(pelican.shapes) == 9
    assert pelican == Scene.from_json((SHARED / "initial_pelican.json").read_text())
    assert [s.name for s in pelican.shapes][:3] == ["body", "neck", "head"]


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ({"type": "square", "cx": 0.5}, r"shape 1: unknown type 'square'"),
        ({"cx": 0.5}, r"shape 1: unknown type None"),
        ("circle", r"shape 1: must be an object"),
        (CIRCLE | {"cy": None}, r"shape 1 \(circle\): field 'cy' must be a number"),
        ({k: v for k, v in CIRCLE.items() if k != "r"}, r"shape 1 \(circle\): missing field 'r'"),
        (
            {k: v for k, v in ELLIPSE.items() if k != "angle"},
            r"shape 1 \(ellipse\): missing field 'angle'",
        ),
        (
            {k: v for k, v in TRIANGLE.items() if k != "fill"},
            r"shape 1 \(triangle\): missing field 'fill'",
        ),
        (CIRCLE | {"cx": float("nan")}, r"shape 1 \(circle\): field 'cx' must be finite"),
        (ELLIPSE | {"angle": float("inf")}, r"shape 1 \(ellipse\): field 'angle' must be finite"),
        (CIRCLE | {"cx": "0.5"}, r"shape 1 \(circle\): field 'cx' must be a number"),
        (CIRCLE | {"cx": True}, r"shape 1 \(circle\): field 'cx' must be a number"),
        (CIRCLE | {"r": 0}, r"shape 1 \(circle\): field 'r' must be > 0"),
        (ELLIPSE | {"rx": -0.1}, r"shape 1 \(ellipse\): field 'rx' must be > 0"),
        (ELLIPSE | {"ry": 0.0}, r"shape 1 \(ellipse\): field 'ry' must be > 0"),
        (CIRCLE | {"fill": 1.5}, r"shape 1 \(circle\): field 'fill' must be in \[0, 1\]"),
        (TRIANGLE | {"fill": -0.01}, r"shape 1 \(triangle\): field 'fill' must be in \[0, 1\]"),
        (
            CIRCLE | {"fill": [0.1, 0.2]},
            r"shape 1 \(circle\): field 'fill' must be a grey number or \[r, g, b\] "
            r"\(3 numbers\), got 2 numbers",
        ),
        (ELLIPSE | {"fill": [0.1, 0.2, 0.3, 1.0]}, r"shape 1 \(ellipse\): .*got 4 numbers"),
        (
            TRIANGLE | {"fill": [0.1, 1.2, 0.3]},
            r"shape 1 \(triangle\): field 'fill\[1\]' must be in \[0, 1\], got 1.2",
        ),
        (CIRCLE | {"fill": [0.1, 0.2, -0.3]}, r"field 'fill\[2\]' must be in \[0, 1\]"),
        (CIRCLE | {"fill": [0.1, float("nan"), 0.3]}, r"field 'fill\[1\]' must be finite"),
        (
            CIRCLE | {"fill": "red"},
            r"field 'fill' must be a grey number in \[0, 1\] or \[r, g, b\]",
        ),
        (
            TRIANGLE | {"points": [[0, 0], [1, 1]]},
            r"shape 1 \(triangle\): field 'points' must have exactly 3 points, got 2",
        ),
        (
            TRIANGLE | {"points": [[0, 0], [1, 1], [0, 1], [1, 0]]},
            r"field 'points' must have exactly 3 points, got 4",
        ),
        (TRIANGLE | {"points": "abc"}, r"field 'points' must be a list"),
        (TRIANGLE | {"points": [[0, 0], [1], [0, 1]]}, r"field 'points\[1\]' must be an \[x, y\]"),
        (
            TRIANGLE | {"points": [[0, 0], [1, 1], [0, float("nan")]]},
            r"field 'points\[2\]\[1\]' must be finite",
        ),
        (CIRCLE | {"name": 3}, r"shape 1 \(circle\): field 'name' must be a string"),
    ],
)
def test_shape_validation_names_index_type_and_field(shape, message):
    with pytest.raises(ValueError, match=message):
        Scene.from_dict(scene_dict(CIRCLE, shape))


@pytest.mark.parametrize(
    ("top", "message"),
    [
        ({"version": 2}, r"unknown scene version 2"),
        ({"version": "1"}, r"unknown scene version '1'"),
        ({"width": 0}, r"field 'width' must be in \[1, 2048\]"),
        ({"height": 4096}, r"field 'height' must be in \[1, 2048\]"),
        ({"width": 12.5}, r"field 'width' must be an integer"),
        ({"background": 2.0}, r"field 'background' must be in \[0, 1\]"),
        ({"shapes": {"type": "circle"}}, r"field 'shapes' must be a list"),
    ],
)
def test_scene_validation(top, message):
    with pytest.raises(ValueError, match=message):
        Scene.from_dict(scene_dict(CIRCLE, **top))


def test_missing_shapes_and_bad_json():
    with pytest.raises(ValueError, match="missing field 'shapes'"):
        Scene.from_dict({"version": 1})
    with pytest.raises(ValueError, match="a scene must be an object"):
        Scene.from_dict([CIRCLE])
    with pytest.raises(ValueError, match="invalid scene JSON"):
        Scene.from_json("{not json")


def test_constructor_rejects_non_shapes():
    with pytest.raises(
        ValueError, match="shape 0: expected Circle, Ellipse, Triangle, Rect or Curve"
    ):
        Scene([CIRCLE])


def test_positions_off_canvas_and_any_angle_are_allowed():
    circle = Circle(-0.5, 1.5, 0.1, 0.5)
    ellipse = Ellipse(0.5, 0.5, 0.1, 0.2, 12 * math.pi, 0.5)
    assert Scene([circle, ellipse]).shapes == (circle, ellipse)


def test_import_needs_neither_numpy_nor_pillow():
    code = (
        "import sys; import pelican_widget as p; s = p.Scene.pelican();"
        "t = s.to_svg(); assert p.Scene.from_svg(t).to_json();"
        "from pelican_widget.target import default_target_png;"
        "assert default_target_png().startswith(b'\\x89PNG');"
        "bad = [m for m in ('numpy', 'PIL') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
