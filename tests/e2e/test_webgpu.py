"""The WebGPU backend in headless Chromium (``--enable-unsafe-webgpu``).

Here Chromium's WebGPU adapter is SwiftShader (a CPU rasteriser), so the
tests force ``backend: "webgpu"`` for correctness: the same scene and target
go through the WGSL path and the Wasm kernel in the same page, and the loss
trajectories and final parameters must agree, over the white background and
over a grey one, in colour (RGB fills on an RGB target, issue 14), and with
rects and curves among the shapes (issue 10).
``backend: "auto"`` must pick
Wasm on that software adapter. No adapter, a WGSL compile error or a
validation error fails the tests with its message. The page is served from
127.0.0.1 (through ``page.route``) because WebGPU needs a secure context.

Run alone with ``pytest tests/e2e -k webgpu``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from pelican_widget import Scene

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "js" / "build" / "engine.mjs"
ORIGIN = "http://127.0.0.1:9"
WIDTH, HEIGHT, STEPS = 64, 64, 50
GREY, GREY_STEPS = 0.37, 25

PAGE = """<!doctype html><meta charset="utf-8"><title>webgpu engine</title><body>
<script type="module">
import { createEngine } from "/engine.mjs";

window.adapterInfo = async () => {
  if (!navigator.gpu) return { error: "navigator.gpu is missing" };
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return { error: "requestAdapter() returned null" };
  const i = adapter.info;
  return {
    vendor: i.vendor, architecture: i.architecture, description: i.description,
    fallback: Boolean(adapter.isFallbackAdapter ?? i.isFallbackAdapter),
    subgroups: adapter.features.has("subgroups"),
  };
};

window.runEngine = async ({ backend, scene, target, width, height, steps, tau, channels = 1 }) => {
  const engine = await createEngine({ backend, workers: 0 });
  const chosen = { backend: engine.backend, reason: engine.backendReason };
  if (steps === 0) {
    engine.dispose();
    return chosen;
  }
  await engine.setTarget({ data: Float32Array.from(target), width, height, channels });
  engine.setScene(scene);
  const losses = [];
  const result = await engine.optimize({
    steps, tauStart: tau, tauEnd: tau, progressEvery: 1, onProgress: (p) => losses.push(p.loss),
  });
  const frame = await engine.render();
  const out = {
    ...chosen,
    after: { backend: engine.backend, reason: engine.backendReason },
    losses, final: result.loss, bestStep: result.bestStep, skipped: result.skipped,
    steps: result.steps, shapes: result.scene.shapes, background: engine.getScene().background,
    frameMean: frame.reduce((a, b) => a + b, 0) / frame.length, corner: frame[0],
  };
  engine.dispose();
  return out;
};
// navigator.gpu, except that the devices it hands out are kept, so that the
// test can take the device away in the middle of a run.
function watchedGpu(devices) {
  return {
    requestAdapter: async (options) => {
      const adapter = await navigator.gpu.requestAdapter(options);
      if (!adapter) return adapter;
      const requestDevice = adapter.requestDevice.bind(adapter);
      adapter.requestDevice = async (descriptor) => {
        const device = await requestDevice(descriptor);
        devices.push(device);
        return device;
      };
      return adapter;
    },
  };
}

window.runLostDevice = async ({ scene, target, width, height, steps, loseAt }) => {
  const devices = [];
  const engine = await createEngine({ backend: "webgpu", gpu: watchedGpu(devices), workers: 0 });
  const before = engine.backend;
  engine.setTarget({ data: Float32Array.from(target), width, height });
  engine.setScene(scene);
  const start = (await engine.loss()).total;
  const result = await engine.optimize({
    steps, progressEvery: 1,
    onProgress: (p) => { if (p.step === loseAt) for (const d of devices) d.destroy(); },
  });
  const out = {
    before, after: engine.backend, reason: engine.backendReason, devices: devices.length,
    steps: result.steps, start, final: result.loss.total, background: engine.getScene().background,
    corner: (await engine.render())[0],
  };
  engine.dispose();
  return out;
};
window.engineReady = true;
</script>"""


def synthetic_target(width: int, height: int) -> list[float]:
    """Return a smooth grey blob with ripples, row-major."""
    out = []
    for j in range(height):
        for i in range(width):
            x, y = i / width - 0.45, j / height - 0.55
            blob = math.exp(-(x * x + y * y) / 0.05)
            out.append(0.95 - 0.6 * blob + 0.05 * math.sin(i * 0.3) * math.cos(j * 0.2))
    return out


def colour_target(width: int, height: int) -> list[float]:
    """Return the synthetic target tinted differently per channel, RGB interleaved."""
    grey = synthetic_target(width, height)
    return [v for g in grey for v in (g, 0.9 * g + 0.05, 1.0 - 0.8 * g)]


def shape_numbers(shape: dict) -> list[float]:
    """Return the shape's parameters in a fixed order (every fill channel, then the opacity)."""
    fill = shape["fill"] if isinstance(shape["fill"], list) else [shape["fill"]]
    fill = [*fill, shape.get("opacity", 1.0)]
    if "points" in shape:
        coords = [c for point in shape["points"] for c in point]
        return coords + ([shape["width"]] if shape["type"] == "curve" else []) + fill
    keys = {
        "circle": ("cx", "cy", "r"),
        "ellipse": ("cx", "cy", "rx", "ry", "angle"),
        "rect": ("cx", "cy", "w", "h", "angle"),
    }[shape["type"]]
    return [shape[k] for k in keys] + fill


def assert_losses_agree(gpu: list[float], wasm: list[float]) -> None:
    """Assert two loss trajectories agree step by step to 1e-3 relative."""
    rel = [abs(a - b) / abs(b) for a, b in zip(gpu, wasm, strict=True)]
    worst = max(rel)
    assert worst <= 1e-3, f"worst relative loss difference {worst:.2e} at step {rel.index(worst)}"


def assert_final_terms_agree(gpu: dict, wasm: dict) -> None:
    """Assert the final evaluations' loss terms agree to 1e-3 relative."""
    for key in ("mse", "edge", "ssim", "perimeter", "total"):
        assert gpu[key] == pytest.approx(wasm[key], rel=1e-3), key


def assert_parameters_agree(gpu: list[dict], wasm: list[dict]) -> None:
    """Assert two runs end on the same shapes, every parameter within 5e-4."""
    assert [s["type"] for s in gpu] == [s["type"] for s in wasm]
    diff = max(
        abs(a - b)
        for sg, sw in zip(gpu, wasm, strict=True)
        for a, b in zip(shape_numbers(sg), shape_numbers(sw), strict=True)
    )
    assert diff <= 5e-4, f"largest parameter difference {diff:.2e}"


@pytest.fixture(scope="module")
def gpu_page(launch_chromium):
    """Return a page of a Chromium with WebGPU on, its console errors collected."""
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE} is missing: run `cd js && npm run build` first")
    browser = launch_chromium(["--enable-unsafe-webgpu"])
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    bundle = BUNDLE.read_text()

    def serve(route):
        path = route.request.url[len(ORIGIN) :]
        if path == "/engine.mjs":
            route.fulfill(status=200, content_type="text/javascript", body=bundle)
        else:
            route.fulfill(status=200, content_type="text/html", body=PAGE)

    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    page.wait_for_function("window.engineReady === true")
    page.errors = errors
    yield page
    context.close()


@pytest.fixture(scope="module")
def adapter(gpu_page) -> dict:
    """Return the adapter's description; no adapter fails (never skips) the tests."""
    info = gpu_page.evaluate("window.adapterInfo()")
    if "error" in info:
        pytest.fail(f"no WebGPU adapter in headless Chromium: {info['error']}")
    return info


def pelican_scene(background: float) -> dict:
    """Return the pelican start scene at WIDTH x HEIGHT over a grey background."""
    return {**Scene.pelican().to_dict(), "width": WIDTH, "height": HEIGHT, "background": background}


def run(page, backend: str, steps: int, background: float = 1.0) -> dict:
    payload = {
        "backend": backend,
        "scene": pelican_scene(background),
        "target": synthetic_target(WIDTH, HEIGHT),
        "width": WIDTH,
        "height": HEIGHT,
        "steps": steps,
        # A constant tau keeps the loss falling to the last step: with an annealed
        # tau the training loss can rise at the end, and two backends may then pick
        # neighbouring steps of a near-tie as their best state.
        "tau": 1 / WIDTH,
    }
    return page.evaluate("(p) => window.runEngine(p)", payload)


def run_both(page, scene: dict, target, **extra) -> dict:
    """Run ``scene`` GREY_STEPS steps at tau 1 / WIDTH on WebGPU and on Wasm; results by backend."""
    payload = {
        "scene": scene,
        "target": target,
        "width": WIDTH,
        "height": HEIGHT,
        "steps": GREY_STEPS,
        "tau": 1 / WIDTH,
        **extra,
    }
    return {
        backend: page.evaluate("(p) => window.runEngine(p)", {**payload, "backend": backend})
        for backend in ("webgpu", "wasm")
    }


@pytest.fixture(scope="module")
def runs(gpu_page, adapter) -> dict:
    """The same 50-step run on the forced WebGPU backend and on the Wasm kernel."""
    gpu = run(gpu_page, "webgpu", STEPS)
    wasm = run(gpu_page, "wasm", STEPS)
    return {"webgpu": gpu, "wasm": wasm}


@pytest.fixture(scope="module")
def colour_runs(gpu_page, adapter) -> dict:
    """A colour run (RGB fills over an RGB background) on WebGPU and on the Wasm kernel."""
    scene = Scene.pelican().as_colour().to_dict()
    for k, shape in enumerate(scene["shapes"]):
        shape["fill"] = [shape["fill"][0], 0.2 + 0.07 * k, 0.8 - 0.05 * k]
    scene.update(width=WIDTH, height=HEIGHT, background=[0.95, 0.9, 0.8])
    return run_both(gpu_page, scene, colour_target(WIDTH, HEIGHT), channels=3)


@pytest.fixture(scope="module")
def kinds_runs(gpu_page, adapter) -> dict:
    """The pelican start scene plus rects and curves of every sort, on WebGPU and on Wasm."""
    scene = pelican_scene(1.0)
    scene["shapes"] += [
        {"type": "rect", "cx": 0.3, "cy": 0.75, "w": 0.3, "h": 0.1, "angle": -0.4, "fill": 0.3},
        {"type": "rect", "cx": 0.8, "cy": 0.3, "w": 0.08, "h": 0.25, "angle": 0.7, "fill": 0.6},
        {
            "type": "curve",
            "points": [[0.1, 0.9], [0.5, 0.4], [0.9, 0.85]],
            "width": 0.03,
            "fill": 0.1,
        },
        # nearly straight: the control point next to the chord's midpoint
        {
            "type": "curve",
            "points": [[0.2, 0.2], [0.45, 0.2501], [0.7, 0.3]],
            "width": 0.02,
            "fill": 0.2,
        },
    ]
    return run_both(gpu_page, scene, synthetic_target(WIDTH, HEIGHT))


@pytest.fixture(scope="module")
def grey_runs(gpu_page, adapter) -> dict:
    """The same shorter run over a grey background on WebGPU and on the Wasm kernel."""
    gpu = run(gpu_page, "webgpu", GREY_STEPS, background=GREY)
    wasm = run(gpu_page, "wasm", GREY_STEPS, background=GREY)
    return {"webgpu": gpu, "wasm": wasm}


def test_webgpu_adapter_is_software_here(adapter):
    assert adapter["subgroups"], adapter
    assert adapter["fallback"] or "swiftshader" in adapter["architecture"].lower(), adapter


def test_webgpu_forced_runs_on_webgpu(runs, gpu_page):
    gpu = runs["webgpu"]
    assert gpu["backend"] == "webgpu", gpu["reason"]
    # a validation error, lost device or out-of-memory mid-run would have moved it to Wasm
    assert gpu["after"]["backend"] == "webgpu", gpu["after"]["reason"]
    assert gpu["steps"] == STEPS
    assert gpu["skipped"] == 0
    assert not [e for e in gpu_page.errors if "WebGPU" in e or "WGSL" in e], gpu_page.errors


def test_webgpu_loss_trajectory_matches_wasm(runs):
    gpu, wasm = runs["webgpu"], runs["wasm"]
    assert wasm["backend"] == "wasm", wasm["reason"]
    assert len(gpu["losses"]) == len(wasm["losses"]) == STEPS
    assert_losses_agree(gpu["losses"], wasm["losses"])
    # the run moved the loss, so agreeing trajectories mean agreeing gradients
    assert wasm["losses"][-1] < 0.9 * wasm["losses"][0]
    assert_final_terms_agree(gpu["final"], wasm["final"])
    assert gpu["bestStep"] == wasm["bestStep"]
    assert gpu["frameMean"] == pytest.approx(wasm["frameMean"], abs=1e-3)


def test_webgpu_final_parameters_match_wasm(runs):
    assert_parameters_agree(runs["webgpu"]["shapes"], runs["wasm"]["shapes"])


def test_webgpu_grey_background_matches_wasm(grey_runs, runs):
    gpu, wasm = grey_runs["webgpu"], grey_runs["wasm"]
    assert gpu["backend"] == gpu["after"]["backend"] == "webgpu", gpu["after"]["reason"]
    assert wasm["backend"] == "wasm", wasm["reason"]
    assert gpu["background"] == wasm["background"] == GREY
    # the corner pixel is far from every pelican shape: it shows the background
    assert gpu["corner"] == pytest.approx(GREY, abs=2e-3)
    assert wasm["corner"] == pytest.approx(GREY, abs=2e-3)
    assert runs["webgpu"]["corner"] == pytest.approx(1.0, abs=2e-3)
    assert len(gpu["losses"]) == len(wasm["losses"]) == GREY_STEPS
    assert_losses_agree(gpu["losses"], wasm["losses"])
    # over grey the same start scene has another loss than over white
    assert abs(gpu["losses"][0] - runs["webgpu"]["losses"][0]) > 1e-3 * runs["webgpu"]["losses"][0]
    # the run moved the loss, so agreeing trajectories mean agreeing gradients
    assert wasm["losses"][-1] < 0.98 * wasm["losses"][0]
    assert_final_terms_agree(gpu["final"], wasm["final"])
    assert gpu["frameMean"] == pytest.approx(wasm["frameMean"], abs=1e-3)
    assert_parameters_agree(gpu["shapes"], wasm["shapes"])


def test_webgpu_colour_matches_wasm(colour_runs):
    gpu, wasm = colour_runs["webgpu"], colour_runs["wasm"]
    assert gpu["backend"] == gpu["after"]["backend"] == "webgpu", gpu["after"]["reason"]
    assert wasm["backend"] == "wasm", wasm["reason"]
    assert gpu["background"] == wasm["background"] == [0.95, 0.9, 0.8]
    # the corner pixel shows the background's red channel
    assert gpu["corner"] == pytest.approx(0.95, abs=2e-3)
    assert len(gpu["losses"]) == len(wasm["losses"]) == GREY_STEPS
    assert_losses_agree(gpu["losses"], wasm["losses"])
    assert wasm["losses"][-1] < 0.98 * wasm["losses"][0]
    assert_final_terms_agree(gpu["final"], wasm["final"])
    assert all(len(s["fill"]) == 3 for s in gpu["shapes"])
    assert_parameters_agree(gpu["shapes"], wasm["shapes"])


def test_webgpu_rect_and_curve_match_wasm(kinds_runs):
    gpu, wasm = kinds_runs["webgpu"], kinds_runs["wasm"]
    assert gpu["backend"] == gpu["after"]["backend"] == "webgpu", gpu["after"]["reason"]
    assert wasm["backend"] == "wasm", wasm["reason"]
    assert [s["type"] for s in gpu["shapes"]][-4:] == ["rect", "rect", "curve", "curve"]
    assert_losses_agree(gpu["losses"], wasm["losses"])
    assert wasm["losses"][-1] < 0.98 * wasm["losses"][0]
    assert_final_terms_agree(gpu["final"], wasm["final"])
    assert_parameters_agree(gpu["shapes"], wasm["shapes"])


OPACITY_SHAPES = [
    {"type": "circle", "cx": 0.3, "cy": 0.35, "r": 0.2, "fill": 0.2, "opacity": 0.6},
    {"type": "ellipse", "cx": 0.6, "cy": 0.55, "rx": 0.25, "ry": 0.12, "angle": 0.4, "fill": 0.8},
    {
        "type": "triangle",
        "points": [[0.5, 0.1], [0.9, 0.3], [0.6, 0.6]],
        "fill": 0.35,
        "opacity": 0.5,
    },
    {
        "type": "rect",
        "cx": 0.35,
        "cy": 0.75,
        "w": 0.4,
        "h": 0.12,
        "angle": -0.4,
        "fill": 0.1,
        "opacity": 0.7,
    },
    {
        "type": "curve",
        "points": [[0.1, 0.9], [0.5, 0.4], [0.9, 0.85]],
        "width": 0.04,
        "fill": 0.05,
        "opacity": 0.45,
    },
    # cy - max(rx, ry) clear of the canvas margin (0.05): exactly on it, the canvas
    # prior's kink is decided differently in float32 and float64
    {
        "type": "ellipse",
        "cx": 0.7,
        "cy": 0.3,
        "rx": 0.15,
        "ry": 0.1,
        "angle": -1.0,
        "fill": 0.6,
        "opacity": 0.85,
    },
]


@pytest.fixture(scope="module", params=["grey", "colour"])
def opacity_runs(request, gpu_page, adapter) -> dict:
    """Every kind with opacity < 1 (and one opaque ellipse), on WebGPU and on Wasm."""
    colour = request.param == "colour"
    shapes = [dict(shape) for shape in OPACITY_SHAPES]
    if colour:
        for k, shape in enumerate(shapes):
            shape["fill"] = [shape["fill"], 0.2 + 0.1 * k, 0.85 - 0.1 * k]
    scene = {
        "version": 1,
        "width": WIDTH,
        "height": HEIGHT,
        "background": [0.95, 0.9, 0.8] if colour else 0.95,
        "shapes": shapes,
    }
    if colour:
        return run_both(gpu_page, scene, colour_target(WIDTH, HEIGHT), channels=3)
    return run_both(gpu_page, scene, synthetic_target(WIDTH, HEIGHT))


def test_webgpu_opacity_matches_wasm(opacity_runs):
    gpu, wasm = opacity_runs["webgpu"], opacity_runs["wasm"]
    assert gpu["backend"] == gpu["after"]["backend"] == "webgpu", gpu["after"]["reason"]
    assert wasm["backend"] == "wasm", wasm["reason"]
    assert_losses_agree(gpu["losses"], wasm["losses"])
    assert wasm["losses"][-1] < 0.98 * wasm["losses"][0]
    assert_final_terms_agree(gpu["final"], wasm["final"])
    assert_parameters_agree(gpu["shapes"], wasm["shapes"])
    # the translucent shapes' opacities were optimised; the opaque ellipse stays opaque
    for k, shape in enumerate(OPACITY_SHAPES):
        if "opacity" in shape:
            assert abs(wasm["shapes"][k]["opacity"] - shape["opacity"]) > 1e-3, k
        else:
            assert "opacity" not in gpu["shapes"][k]
            assert "opacity" not in wasm["shapes"][k]


def test_webgpu_auto_picks_wasm_on_software_adapter(gpu_page, adapter):
    chosen = run(gpu_page, "auto", 0)
    assert chosen["backend"] == "wasm", chosen["reason"]
    assert "software" in chosen["reason"], chosen["reason"]


def test_webgpu_lost_device_mid_run_continues_on_wasm(gpu_page, adapter):
    payload = {
        # a grey background: the Wasm engine taking over must composite over it too
        "scene": pelican_scene(GREY),
        "target": synthetic_target(WIDTH, HEIGHT),
        "width": WIDTH,
        "height": HEIGHT,
        "steps": 30,
        "loseAt": 10,
    }
    out = gpu_page.evaluate("(p) => window.runLostDevice(p)", payload)
    assert out["before"] == "webgpu"
    assert out["devices"] >= 1
    assert out["after"] == "wasm", out["reason"]
    assert "WebGPU failed during the run" in out["reason"], out["reason"]
    assert out["steps"] == 30
    assert out["final"] < out["start"]
    assert out["background"] == GREY
    assert out["corner"] == pytest.approx(GREY, abs=2e-3)
