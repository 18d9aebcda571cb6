"""Quality benchmark: 500 Adam steps on the pelican target from the 9 start shapes.

Runs the real engine (the built ``js/build/engine.mjs``) under Node through
``benchmarks/quality_driver.mjs``, or with ``--browser`` in headless Chromium
(Playwright; the default for ``webgpu``, which plain Node lacks; ``--node`` runs
it on Dawn through the npm package ``webgpu``), scores the result with the
Python reference loss at tau 0.5 px, and writes ``DIR/quality_<backend>.svg``.
The PyTorch reference reached 0.0345 on this run.

With ``--colour`` the same run happens in colour twice: on the pelican photo loaded
with ``colour="rgb"`` (``DIR/quality_<backend>_rgb.svg``, the RESULT line's figures)
and on a colour test image that the project makes, benchmarks/photos.py's generated
``texture`` scene in colour (coloured regions, a colour ramp and fine texture; made by
our code, MIT like the project, no third-party content;
``DIR/quality_<backend>_rgb_texture.svg``). Both start from the 9 pelican shapes, whose
grey fills the engine takes as equal colours, the test image's on its mean colour.

Usage::

    cd js && npm run build && cd ..
    python benchmarks/quality.py --backend wasm --out bench-out
    python benchmarks/quality.py --backend wasm --browser --workers 1 --out bench-out
    python benchmarks/quality.py --backend wasm --colour --out bench-out
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DATA,
    REPO,
    RESOLUTION,
    driver_input_args,
    load_pelican,
)
from photos import load_image

import pelican_widget as pw

REFERENCE_LOSS = 0.0345
WEBGPU_CHROMIUM_ARGS = [
    *CHROMIUM_ARGS,
    "--enable-unsafe-webgpu",
    "--enable-features=Vulkan",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
# Served through Playwright's request routing (nothing listens): localhost is a
# secure context, which WebGPU needs.
ORIGIN = "http://localhost:9"
PAGE = """<!doctype html><script type="module">
import { createEngine } from "./engine.mjs";
window.runQuality = async ({ backend, workers, data, width, height, channels, scene, steps }) => {
  const engine = await createEngine({ backend, workers });
  if (engine.backend !== backend) {
    throw new Error(`asked for ${backend}, got ${engine.backend}: ${engine.backendReason}`);
  }
  await engine.setTarget({ data: Float32Array.from(data), width, height, channels });
  await engine.setScene(scene);
  const started = performance.now();
  const result = await engine.optimize({ steps });
  const seconds = (performance.now() - started) / 1000;
  engine.dispose();
  const { loss, bestStep, skipped } = result;
  const reason = engine.backendReason;
  return { backend, backendReason: reason, seconds, steps: result.steps, bestStep, skipped,
           loss, scene: result.scene };
};
window.pageReady = true;
</script>"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["wasm", "reference", "webgpu"], default="wasm")
    parser.add_argument("--out", type=Path, default=REPO / "bench-out")
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--browser", action="store_true", help="run in headless Chromium")
    parser.add_argument(
        "--node",
        action="store_true",
        help="run webgpu under Node with the npm package `webgpu` (Dawn), e.g. on a GPU machine",
    )
    parser.add_argument("--workers", type=int, default=1, help="Wasm Workers in the browser")
    parser.add_argument(
        "--colour",
        action="store_true",
        help="RGB: the pelican photo in colour, then the colour test image",
    )
    return parser.parse_args(argv)


def channels_of(target: np.ndarray) -> int:
    """1 for a grey (H, W) target, 3 for an RGB (H, W, 3) one."""
    return target.shape[2] if target.ndim == 3 else 1


def run_driver(backend: str, steps: int, target: np.ndarray, scene: pw.Scene) -> dict:
    """Run one optimisation in Node and return the driver's DONE record."""
    with tempfile.TemporaryDirectory() as tmp:
        target_path = Path(tmp) / "target.f32"
        scene_path = Path(tmp) / "start.json"
        target_path.write_bytes(target.astype("<f4").tobytes())
        scene_path.write_text(scene.to_json())
        command = ["node"]
        if backend == "webgpu":
            # Node has no navigator.gpu: the npm package `webgpu` (Dawn) provides it
            command += ["--import", str(REPO / "js" / "engine" / "webgpu" / "node-gpu.mjs")]
        command += [
            str(REPO / "benchmarks" / "quality_driver.mjs"),
            "--backend",
            backend,
            *driver_input_args(target_path, scene_path),
            *("--channels", str(channels_of(target))),
            "--steps",
            str(steps),
        ]
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"quality_driver.mjs failed ({proc.returncode}):\n{proc.stderr.strip()}")
    done = [line for line in proc.stdout.splitlines() if line.startswith("DONE ")]
    if not done:
        sys.exit(f"quality_driver.mjs printed no DONE line:\n{proc.stdout}")
    return json.loads(done[-1][len("DONE ") :])


def run_browser(args: argparse.Namespace, target: np.ndarray, scene: pw.Scene) -> dict:
    """Run one optimisation in headless Chromium and return the same record as the driver."""
    from playwright.sync_api import sync_playwright

    files = {
        "/index.html": ("text/html", PAGE.encode()),
        "/engine.mjs": ("text/javascript", (REPO / "js" / "build" / "engine.mjs").read_bytes()),
    }

    def serve(route: Any) -> None:
        path = route.request.url[len(ORIGIN) :]
        if path not in files:
            route.fulfill(status=404, body="")
            return
        content_type, body = files[path]
        route.fulfill(status=200, content_type=content_type, body=body)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=WEBGPU_CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route(f"{ORIGIN}/**", serve)
            page.goto(f"{ORIGIN}/index.html")
            page.wait_for_function("window.pageReady === true")
            return page.evaluate(
                "args => window.runQuality(args)",
                {
                    "backend": args.backend,
                    "workers": args.workers,
                    "data": target.ravel().tolist(),
                    "width": RESOLUTION,
                    "height": RESOLUTION,
                    "channels": channels_of(target),
                    "scene": scene.to_dict(),
                    "steps": args.steps,
                },
            )
        finally:
            browser.close()


def run_case(
    args: argparse.Namespace, name: str, target: np.ndarray, svg: Path, start: pw.Scene
) -> dict[str, float]:
    """Optimise a start scene on one target; print its table; return the final terms."""
    started = time.perf_counter()
    if args.browser or (args.backend == "webgpu" and not args.node):
        record = run_browser(args, target, start)
    else:
        record = run_driver(args.backend, args.steps, target, start)
    wall = time.perf_counter() - started
    scene = pw.Scene.from_dict(record["scene"])
    tau = 0.5 / RESOLUTION
    before = pw.loss(start, target, tau=tau)
    after = pw.loss(scene, target, tau=tau)
    scene.save_svg(svg)

    print(f"target: {name} ({'RGB' if target.ndim == 3 else 'grey'})")
    print(f"backend: {record['backend']} ({record['backendReason']})")
    steps, best, skipped = record["steps"], record["bestStep"], record["skipped"]
    print(f"steps: {steps}  best step: {best}  skipped: {skipped}")
    print(f"{'term':<12}{'start':>12}{'final':>12}{'engine':>12}")
    for key in ("mse", "edge", "ssim", "perimeter", "degeneracy", "canvas", "total"):
        print(f"{key:<12}{before[key]:>12.6f}{after[key]:>12.6f}{record['loss'][key]:>12.6f}")
    where = "Chromium" if args.browser or (args.backend == "webgpu" and not args.node) else "Node"
    print(f"optimize time: {record['seconds']:.2f} s  wall time with {where} start: {wall:.2f} s")
    print(f"svg: {svg}")
    print()
    return {**after, "seconds": record["seconds"]}


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its table and RESULT line."""
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.colour:
        svg = args.out / f"quality_{args.backend}.svg"
        final = run_case(args, "pelican", load_pelican(), svg, pw.Scene.pelican())
        print(f"reference (PyTorch) total: {REFERENCE_LOSS}")
        print(
            f"RESULT loss={final['total']:.6f} mse={final['mse']:.6f} "
            f"seconds={final['seconds']:.2f} svg={svg}"
        )
        return
    pelican = pw.load_target(DATA / "pelican.jpg", size=(RESOLUTION, RESOLUTION), colour="rgb")
    svg = args.out / f"quality_{args.backend}_rgb.svg"
    final = run_case(args, "pelican photo", pelican, svg, pw.Scene.pelican())
    test_svg = args.out / f"quality_{args.backend}_rgb_texture.svg"
    texture = load_image("texture", colour=True)
    # the engraving's white start is far from this image: start on its mean colour
    mean = [float(v) for v in texture.mean(axis=(0, 1))]
    on_mean = pw.Scene.pelican().as_colour().copy(background=mean)
    test = run_case(args, "colour test image (photos.py 'texture')", texture, test_svg, on_mean)
    print(f"{'target (RGB)':<20}{'loss':>10}{'mse':>10}{'1-SSIM':>10}{'t [s]':>8}")
    for name, terms in (("pelican photo", final), ("texture (generated)", test)):
        print(
            f"{name:<20}{terms['total']:>10.6f}{terms['mse']:>10.6f}"
            f"{terms['ssim']:>10.4f}{terms['seconds']:>8.2f}"
        )
    print(
        f"RESULT loss={final['total']:.6f} mse={final['mse']:.6f} "
        f"seconds={final['seconds']:.2f} svg={svg} "
        f"test_loss={test['total']:.6f} test_mse={test['mse']:.6f} test_svg={test_svg}"
    )


if __name__ == "__main__":
    main()
