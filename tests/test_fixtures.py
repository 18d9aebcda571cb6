"""Fixtures for the JS engine tests, computed by the NumPy oracle.

The files live in ``js/test/fixtures/<name>.json`` and are committed, so the Node
tests read them without running Python. This test checks that they still match
what the oracle computes; regenerate them after a deliberate change with::

    PELICAN_REGEN_FIXTURES=1 python -m pytest -q tests/test_fixtures.py

Format of one file::

    {
      "name": "nonsquare_40x24",
      "description": "what the case exercises",
      "scene": {...},                 # the wire format of DESIGN.md
      "target": {
        "width": 40, "height": 24, "channels": 1,
        "data": [[...], ...]          # height rows of width grey values in [0, 1]
      },                              # colour (channels 3): rows of width [r, g, b]
      "cases": [
        {
          "tau": 0.0125,
          "loss": {"mse": ..., "edge": ..., "ssim": ..., "perimeter": ...,
                   "degeneracy": ..., "canvas": ..., "total": ...},
          "render": [[...], ...]      # the rendered image, shaped like the target data
        }
      ]
    }

Every number in ``target.data`` and ``render`` is a float32 written as the shortest
decimal that reads back as that float32, so ``Float32Array.from(rows.flat())`` gives
exactly the values the oracle used (the target) or produced (the render, rounded
to float32). ``loss`` holds the oracle's float64 results for the target as stored:
unweighted terms (``ssim`` is 1 - mean SSIM) and ``total`` with the default
weights. Float32 backends should compare with a tolerance (about 1e-5 relative).
Taus are in units of the longer side (docs/engine.md).
"""

import json
import math
import os
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pelican_widget import Circle, Ellipse, Scene, Triangle, loss, render
from pelican_widget.raster import render64
from pelican_widget.scene import SHAPE_TYPES

FIXTURES = Path(__file__).resolve().parents[1] / "js" / "test" / "fixtures"
REGENERATE = os.environ.get("PELICAN_REGEN_FIXTURES") == "1"

MIXED = (
    Ellipse(0.45, 0.55, 0.3, 0.18, -0.6, 0.35),
    Circle(0.3, 0.35, 0.15, 0.8),
    Triangle(((0.5, 0.1), (0.9, 0.5), (0.55, 0.7)), 0.1),  # counter-clockwise on screen
    Triangle(((0.1, 0.9), (0.2, 0.6), (0.4, 0.95)), 0.6),  # clockwise on screen
    Circle(0.7, 0.8, 0.08, 0.02),
    Ellipse(0.75, 0.3, 0.05, 0.15, 1.2, 0.95),
)
OFF_CANVAS = (
    Circle(0.95, 0.5, 0.12, 0.2),
    Ellipse(0.1, 0.2, 0.25, 0.08, 0.3, 0.5),
    Triangle(((0.02, 0.6), (0.3, 0.98), (0.4, 0.7)), 0.3),
    Triangle(((0.5, 0.5), (0.506, 0.5), (0.5, 0.504)), 0.02),
)
TARGET_SHAPES = (
    Ellipse(0.5, 0.55, 0.32, 0.22, 0.4, 0.3),
    Circle(0.62, 0.3, 0.12, 0.15),
    Triangle(((0.15, 0.2), (0.45, 0.15), (0.3, 0.45)), 0.55),
)


def make_target(width, height, phase, channels=1):
    """A deterministic target: a rendered scene plus a smooth texture (per channel)."""
    side = max(width, height)
    x = np.arange(width, dtype=np.float64)[None, :]
    y = np.arange(height, dtype=np.float64)[:, None]
    if channels == 3:
        return np.stack([make_target(width, height, phase + 1.7 * c) for c in range(3)], -1)
    base = render64(Scene(TARGET_SHAPES, width=width, height=height), tau=1.0 / side)
    texture = 0.08 * np.sin(0.9 * x + 0.5 * y + phase) * np.cos(0.4 * x - 0.8 * y)
    return np.clip(base + texture, 0.0, 1.0).astype(np.float32)


def coloured(shapes, seed):
    """The shapes with deterministic RGB fills."""
    rng = np.random.default_rng(seed)
    return tuple(
        replace(shape, fill=tuple(float(v) for v in rng.uniform(0.05, 0.95, 3))) for shape in shapes
    )


# name -> (description, scene, target phase, taus in pixels of the longer side)
CASES = {
    "square_all_types_32": (
        "32x32, every shape type, both triangle windings, overlapping",
        Scene(MIXED, width=32, height=32),
        0.0,
        (0.5, 1.0),
    ),
    "nonsquare_40x24": (
        "40x24 (wide): the longer-side metric for positions, radii and tau",
        Scene(MIXED, width=40, height=24),
        1.0,
        (0.5, 1.0),
    ),
    "nonsquare_20x36": (
        "20x36 (tall): the longer-side metric along y",
        Scene(MIXED[:4], width=20, height=36),
        2.0,
        (0.5,),
    ),
    "priors_48": (
        "48x48, shapes over the canvas margin (positions still in [0, 1], so the raw "
        "parameters can represent them) and a degenerate triangle: canvas and "
        "degeneracy priors are non-zero; tau at the end of the schedule (0.2 px)",
        Scene(OFF_CANVAS, width=48, height=48),
        3.0,
        (0.5, 0.2),
    ),
    "pelican_48": (
        "the 9 reference start shapes at 48x48",
        Scene.pelican().copy(width=48, height=48),
        4.0,
        (0.5, 1.0),
    ),
    "grey_background_30x22": (
        "30x22, every shape type over a grey background (0.37): compositing starts from it",
        Scene(MIXED, width=30, height=22, background=0.37),
        6.0,
        (0.5, 1.0),
    ),
    "empty_16x12": (
        "no shapes: the render is the white background",
        Scene((), width=16, height=12),
        5.0,
        (0.5,),
    ),
}

COLOUR_CASES = {
    "colour_square_32": (
        "32x32 in colour: every shape type, RGB fills, white background",
        Scene(coloured(MIXED, 1), width=32, height=32),
        10.0,
        (0.5, 1.0),
    ),
    "colour_nonsquare_40x24": (
        "40x24 in colour over an RGB background (0.2, 0.5, 0.8)",
        Scene(coloured(MIXED, 2), width=40, height=24, background=(0.2, 0.5, 0.8)),
        11.0,
        (0.5, 1.0),
    ),
    "colour_nonsquare_20x36": (
        "20x36 (tall) in colour, priors at tau 0.2 px",
        Scene(coloured(OFF_CANVAS, 3), width=20, height=36, background=0.6),
        12.0,
        (0.5, 0.2),
    ),
}
CASES.update(COLOUR_CASES)

# one fixture per shape kind, alone on a wide canvas: a new kind gets its oracle
# fixture from its `examples()` (tests/test_shape_registry.py checks it is there)
for _index, _kind in enumerate(SHAPE_TYPES.values()):
    CASES[f"kind_{_kind.type}_26x20"] = (
        f"26x20, the {_kind.type} kind alone (its examples()), over grey 0.9",
        Scene(_kind.examples(), width=26, height=20, background=0.9),
        7.0 + _index,
        (0.5, 1.0),
    )
    CASES[f"kind_{_kind.type}_rgb_26x20"] = (
        f"26x20, the {_kind.type} kind alone in colour",
        Scene(coloured(_kind.examples(), 4 + _index), width=26, height=20, background=0.9),
        13.0 + _index,
        (0.5,),
    )

# every kind translucent (its first example), each at its own opacity, over an opaque
# circle: the compositing out = (1 - a c) out + a c fill of DESIGN.md
_TRANSLUCENT = (
    Circle(0.5, 0.5, 0.3, 0.7),
    *(
        replace(kind.examples()[0], opacity=round(0.35 + 0.12 * index, 2))
        for index, kind in enumerate(SHAPE_TYPES.values())
    ),
)
CASES["opacity_30x22"] = (
    "30x22, every kind with opacity < 1 over an opaque circle, grey background 0.9",
    Scene(_TRANSLUCENT, width=30, height=22, background=0.9),
    19.0,
    (0.5, 1.0),
)
CASES["opacity_rgb_30x22"] = (
    "30x22 in colour, every kind with opacity < 1 over an opaque circle",
    Scene(coloured(_TRANSLUCENT, 9), width=30, height=22, background=(0.9, 0.85, 0.7)),
    20.0,
    (0.5,),
)


def float32_rows(image):
    """Rows of shortest decimals that read back as the float32 values (nested for RGB)."""
    array = np.asarray(image, dtype=np.float32)
    if array.ndim == 1:
        return [float(str(v)) for v in array]
    return [float32_rows(row) for row in array]


def build(name):
    description, scene, phase, taus = CASES[name]
    target = make_target(scene.width, scene.height, phase, scene.channels)
    side = max(scene.width, scene.height)
    cases = []
    for tau_px in taus:
        tau = tau_px / side
        cases.append(
            {
                "tau": tau,
                "loss": loss(scene, target, tau=tau),
                "render": float32_rows(render(scene, tau=tau)),
            }
        )
    return {
        "name": name,
        "description": description,
        "scene": scene.to_dict(),
        "target": {
            "width": scene.width,
            "height": scene.height,
            "channels": scene.channels,
            "data": float32_rows(target),
        },
        "cases": cases,
    }


def dumps(fixture):
    """JSON with one line per image row, so diffs stay readable."""
    text = json.dumps(fixture, indent=1)
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + re.sub(r"\s+", "", m[1]) + "]", text)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_matches_the_oracle(name):
    path = FIXTURES / f"{name}.json"
    fresh = build(name)
    if REGENERATE:
        FIXTURES.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(fresh) + "\n", encoding="utf-8")
    assert path.exists(), f"missing {path}; run with PELICAN_REGEN_FIXTURES=1"
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["name"] == name and stored["description"] == fresh["description"]
    scene = Scene.from_dict(stored["scene"])
    assert scene == Scene.from_dict(fresh["scene"])
    target = np.array(stored["target"]["data"], dtype=np.float32)
    shape = (scene.height, scene.width) + ((3,) if scene.channels == 3 else ())
    assert target.shape == shape and stored["target"]["channels"] == scene.channels
    assert (stored["target"]["width"], stored["target"]["height"]) == (scene.width, scene.height)
    # The stored target is what the losses were computed on; a platform whose sin()
    # differs in the last bit may regenerate a neighbouring float32.
    np.testing.assert_allclose(target, np.array(fresh["target"]["data"]), rtol=0, atol=1e-6)
    assert [c["tau"] for c in stored["cases"]] == [c["tau"] for c in fresh["cases"]]
    for case in stored["cases"]:
        expected = loss(scene, target, tau=case["tau"])
        assert list(case["loss"]) == list(expected)
        for key, value in expected.items():
            assert case["loss"][key] == pytest.approx(value, rel=1e-9, abs=1e-15), key
        image = np.array(case["render"], dtype=np.float32)
        np.testing.assert_allclose(image, render(scene, tau=case["tau"]), rtol=0, atol=1e-6)


def test_no_stale_fixture_files():
    present = {p.stem for p in FIXTURES.glob("*.json")}
    assert present == set(CASES)


def test_fixture_numbers_read_back_as_float32():
    fixture = build("nonsquare_40x24")
    stored = np.array(fixture["target"]["data"], dtype=np.float32)
    np.testing.assert_array_equal(stored, make_target(40, 24, 1.0))
    rendered = np.array(fixture["cases"][0]["render"], dtype=np.float32)
    np.testing.assert_array_equal(rendered, render(CASES["nonsquare_40x24"][1], tau=0.5 / 40))
    assert all(math.isfinite(v) for v in fixture["cases"][0]["loss"].values())


def test_colour_fixtures_are_colour_and_differ_per_channel():
    for name in [*COLOUR_CASES, *(n for n in CASES if n.startswith("kind_") and "_rgb_" in n)]:
        fixture = build(name)
        image = np.array(fixture["cases"][0]["render"])
        assert image.ndim == 3 and image.shape[2] == 3, name
        assert np.abs(image[..., 0] - image[..., 1]).max() > 0.05, name


def test_priors_fixture_exercises_the_priors():
    losses = build("priors_48")["cases"][0]["loss"]
    assert losses["canvas"] > 0 and losses["degeneracy"] > 0
