"""The Wasm engine in module Workers, in headless Chromium.

The page loads the built ``js/build/engine.mjs`` (served through
``page.route``, no server), runs ``createEngine({backend: "wasm", workers: 2})``
and optimises; the same scene and target go through the engine in Node
(in-process kernel) in a subprocess. Both must report the same losses, and
the page must keep running timers while the Workers compute.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

from pelican_widget import Scene

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "js" / "build" / "engine.mjs"
ORIGIN = "http://engine.test"
WIDTH, HEIGHT, STEPS = 96, 80, 60

PAGE = """<!doctype html><meta charset="utf-8"><title>engine worker</title><body>
<script type="module">
import { createEngine } from "/engine.mjs";
window.runEngine = async ({ scene, target, width, height, steps, workers }) => {
  const engine = await createEngine({ backend: "wasm", workers });
  engine.setTarget({ data: Float32Array.from(target), width, height });
  engine.setScene(scene);
  const losses = [];
  let ticks = 0;
  let last = performance.now();
  let longestGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    ticks++;
  }, 4);
  const started = performance.now();
  const result = await engine.optimize({
    steps, progressEvery: 1, onProgress: (p) => losses.push(p.loss),
  });
  const duration = performance.now() - started;
  clearInterval(timer);
  const frame = await engine.render();
  const out = {
    backend: engine.backend, reason: engine.backendReason, losses, final: result.loss.total,
    ticks, longestGap, duration, frameSum: frame.reduce((a, b) => a + b, 0),
  };
  engine.dispose();
  return out;
};
window.engineReady = true;
</script>"""

NODE = """
import { createEngine } from %(bundle)s;
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { scene, target, width, height, steps } = JSON.parse(input);
const engine = await createEngine({ backend: "wasm", workers: 0 });
engine.setTarget({ data: Float32Array.from(target), width, height });
engine.setScene(scene);
const losses = [];
const result = await engine.optimize({
  steps, progressEvery: 1, onProgress: (p) => losses.push(p.loss),
});
const frame = await engine.render();
console.log(JSON.stringify({
  backend: engine.backend, losses, final: result.loss.total,
  frameSum: frame.reduce((a, b) => a + b, 0),
}));
engine.dispose();
"""


def synthetic_target(width: int, height: int) -> list[float]:
    """Return a smooth grey blob with ripples, row-major."""
    out = []
    for j in range(height):
        for i in range(width):
            x, y = i / width - 0.45, j / height - 0.55
            blob = 0.6 * math.exp(-(x * x + y * y) / 0.05)
            out.append(0.95 - blob + 0.05 * math.sin(0.3 * i) * math.cos(0.2 * j))
    return out


@pytest.fixture(scope="module")
def job() -> dict:
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE} is missing: run `cd js && npm run build` first")
    scene = Scene.pelican().to_dict()
    scene.update(width=WIDTH, height=HEIGHT)
    target = synthetic_target(WIDTH, HEIGHT)
    return {"scene": scene, "target": target, "width": WIDTH, "height": HEIGHT, "steps": STEPS}


def run_in_node(job: dict, tmp_path: Path) -> dict:
    script = tmp_path / "engine_node.mjs"
    script.write_text(NODE % {"bundle": json.dumps(BUNDLE.as_uri())})
    done = subprocess.run(
        ["node", str(script)], input=json.dumps(job), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run_in_page(page, job: dict, workers: int) -> dict:
    def serve(route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path == "/engine.mjs":
            route.fulfill(body=BUNDLE.read_bytes(), content_type="text/javascript")
        elif path == "/":
            route.fulfill(body=PAGE, content_type="text/html")
        else:
            route.fulfill(status=404, body="not found")

    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    page.wait_for_function("window.engineReady === true", timeout=30_000)
    result = page.evaluate("(job) => window.runEngine(job)", {**job, "workers": workers})
    assert not errors, errors
    return result


def test_worker_pool_matches_node_and_keeps_the_page_responsive(page, job, tmp_path) -> None:
    node = run_in_node(job, tmp_path)
    browser = run_in_page(page, job, workers=2)

    assert browser["backend"] == "wasm" and node["backend"] == "wasm"
    assert "2 Workers" in browser["reason"], browser["reason"]
    assert len(browser["losses"]) == len(node["losses"]) == STEPS
    # two row bands sum in another order than one: float64 rounding only
    assert browser["losses"] == pytest.approx(node["losses"], rel=1e-5)
    assert browser["final"] == pytest.approx(node["final"], rel=1e-5)
    assert browser["frameSum"] == pytest.approx(node["frameSum"], rel=1e-6)
    assert node["losses"][-1] < node["losses"][0], "the optimiser did not lower the loss"
    # the main thread only posts parameters and runs Adam: a 4 ms timer keeps
    # firing (at least a quarter of its nominal rate), with no long stall
    assert browser["ticks"] >= min(5, browser["duration"] / 16), browser
    assert browser["longestGap"] < 250, browser


def test_single_worker_and_more_workers_than_needed_agree(page, job) -> None:
    one = run_in_page(page, {**job, "steps": 5}, workers=1)
    many = run_in_page(page, {**job, "steps": 5}, workers=3)
    assert "1 Worker" in one["reason"] and "3 Workers" in many["reason"]
    assert one["losses"] == pytest.approx(many["losses"], rel=1e-5)
