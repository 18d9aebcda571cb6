"""Every shape kind known to Python is known to every backend and to the SVG code.

The kinds are those of :data:`pelican_widget.shapes.SHAPE_TYPES`. For each one this
checks the JS kind table (js/engine/shapes/), the scalar JS reference and the Wasm
kernel (renders of the kind's ``examples()`` against the NumPy oracle), the C
section and dispatch line in shapes.h, the WGSL section and its place in
shaders.js, the SVG writer and reader (Python, and the UI's js/ui/svg.js read back
by Python) and the UI canvas drawing (js/ui/draw.js), and that the kind has its own
oracle fixture (js/test/fixtures/kind_<name>_*.json, checked against the reference
and Wasm backends by js/test/fixtures.test.mjs and here by tests/test_fixtures.py).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pelican_widget import Scene, render
from pelican_widget.shapes import SHAPE_TYPES

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "js" / "engine"
JS_MEMBERS = {
    "name", "code", "slots", "check", "values", "fromValues", "positions", "sdf", "sdfGrad",
    "priors", "wasmRecord", "yRange", "rowSpan", "draft", "mutate", "confine", "scaled",
    "perimeter", "propose", "fits", "inside", "toScene", "canvasPath", "svg",
}  # fmt: skip
C_FUNCTIONS = ("bbox", "inner_prep", "inner_row", "cover", "grad", "finalize")
WGSL_FUNCTIONS = ("Sdf", "Geo1", "Prior", "Box")


def example_scene(kind) -> Scene:
    return Scene(kind.examples(), width=26, height=20, background=0.9)


@pytest.fixture(scope="module")
def probe():
    node = shutil.which("node")
    if node is None or not (ROOT / "js" / "build" / "engine.mjs").exists():
        pytest.fail("needs node and the JS build (cd js && npm run build)")
    scenes = {name: example_scene(kind).to_dict() for name, kind in SHAPE_TYPES.items()}
    result = subprocess.run(
        [node, str(ROOT / "tests" / "kinds_probe.mjs")],
        input=json.dumps({"scenes": scenes}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_python_kinds_are_the_js_kinds_in_code_order(probe):
    assert [k["name"] for k in probe["kinds"]] == list(SHAPE_TYPES)
    assert [k["code"] for k in probe["kinds"]] == list(range(len(SHAPE_TYPES)))


@pytest.mark.parametrize("name", list(SHAPE_TYPES))
def test_js_kind_module_is_complete(probe, name):
    kind = next(k for k in probe["kinds"] if k["name"] == name)
    assert JS_MEMBERS <= set(kind["members"]), JS_MEMBERS - set(kind["members"])


@pytest.mark.parametrize("name", list(SHAPE_TYPES))
@pytest.mark.parametrize("backend", ["reference", "wasm"])
def test_js_backends_render_the_kind_like_the_oracle(probe, name, backend):
    scene = example_scene(SHAPE_TYPES[name])
    image = np.array(probe["results"][name][backend], dtype=np.float32)
    expected = render(scene).reshape(-1)
    # the drawing differs from the background, so a kind drawn as nothing fails
    assert np.abs(expected - 0.9).max() > 0.3
    np.testing.assert_allclose(image, expected, rtol=0, atol=2e-5)


@pytest.mark.parametrize("name", list(SHAPE_TYPES))
def test_c_kernel_has_the_kind_section_and_dispatch(name):
    source = (ENGINE / "wasm" / "shapes.h").read_text(encoding="utf-8")
    code = list(SHAPE_TYPES).index(name)
    assert re.search(rf"X\({code}, {name}\)", source), f"SHAPE_KINDS lacks X({code}, {name})"
    for function in C_FUNCTIONS:
        assert re.search(rf"\b{name}_{function}\(", source), f"shapes.h lacks {name}_{function}"


@pytest.mark.parametrize("name", list(SHAPE_TYPES))
def test_wgsl_has_the_kind_section(name):
    section = ENGINE / "webgpu" / "shaders" / "kinds" / f"{name}.wgsl"
    assert section.exists(), f"missing {section}"
    text = section.read_text(encoding="utf-8")
    for function in WGSL_FUNCTIONS:
        assert re.search(rf"\bfn {name}{function}\(", text), (
            f"{section.name} lacks {name}{function}"
        )
    shaders = (ENGINE / "webgpu" / "shaders.js").read_text(encoding="utf-8")
    assert f'import {name} from "./shaders/kinds/{name}.wgsl";' in shaders
    assert re.search(rf"KIND_FILES = \{{[^}}]*\b{name}\b", shaders)


@pytest.mark.parametrize("name", list(SHAPE_TYPES))
def test_svg_round_trip_python_and_ui(probe, name):
    scene = example_scene(SHAPE_TYPES[name])
    for text in (scene.to_svg(), probe["results"][name]["svg"]):
        back = Scene.from_svg(text)
        assert [s.type for s in back.shapes] == [name] * len(scene.shapes)
        got = json.dumps(back.to_dict())
        np.testing.assert_allclose(
            np.array(re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", got), dtype=float),
            np.array(
                re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", json.dumps(scene.to_dict())), dtype=float
            ),
            atol=1e-6,
        )
    assert probe["results"][name]["svg"] == scene.to_svg()


@pytest.mark.parametrize("name", list(SHAPE_TYPES))
def test_ui_canvas_draws_every_shape_of_the_kind(probe, name):
    calls = probe["results"][name]["draw"]
    count = len(SHAPE_TYPES[name].examples())
    paint = "stroke" if getattr(SHAPE_TYPES[name], "paint", "fill") == "stroke" else "fill"
    assert calls.count(paint) == count
    # every beginPath .. fill (or stroke) span draws a path
    spans = "|".join(calls).split("beginPath")[1:]
    assert len(spans) == count
    for span in spans:
        ops = span.split(f"|{paint}")[0].strip("|").split("|")
        assert any(
            op in ("ellipse", "moveTo", "lineTo", "rect", "arc", "quadraticCurveTo") for op in ops
        ), ops


@pytest.mark.parametrize("name", list(SHAPE_TYPES))
def test_kind_has_an_oracle_fixture(name):
    files = list((ROOT / "js" / "test" / "fixtures").glob(f"kind_{name}_*.json"))
    assert files, f"no oracle fixture for {name}; add it in tests/test_fixtures.py"
    scene = json.loads(files[0].read_text(encoding="utf-8"))["scene"]
    assert {s["type"] for s in scene["shapes"]} == {name}
