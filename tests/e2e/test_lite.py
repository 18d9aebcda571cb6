"""End to end: the static JupyterLite site runs the demo notebook offline in headless Chromium.

The site is built once per test session with ``bash lite/build.sh`` (from the
project's current wheel), served from ``lite/dist`` by a static server on
127.0.0.1, and opened by URL. Every request that leaves 127.0.0.1 is blocked and
fails the test. Times (page load to kernel ready and to the first frame) are
written to ``test-artifacts/lite-timings.json``, per notebook.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "lite" / "dist"
ARTIFACTS = ROOT / "test-artifacts"
# the demo (built-in target, sent as PNG bytes) and the landing notebook (a path target)
NOTEBOOKS = ("pelican.ipynb", "lite_landing.ipynb")
DEMO_STEPS = 150
KERNEL_TIMEOUT_S = 240
RUN_TIMEOUT_S = 240
MIME = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm"}
# Run All per notebook (the bar is 10 of 10: PELICAN_LITE_RUN_ALL=10)
RUN_ALL_REPEATS = int(os.environ.get("PELICAN_LITE_RUN_ALL", "1"))

# Browser-side helpers. The notebook panel is found through the app object,
# which the test server exposes by adding `exposeAppInBrowser` to the served
# jupyter-lite.json (the built site itself does not expose it).
HELPERS = """() => {
  const app = window.jupyterapp;
  const panel = () => {
    for (const w of app.shell.widgets("main")) if (w.sessionContext && w.content?.widgets) return w;
    return null;
  };
  const kernel = () => panel()?.sessionContext.session?.kernel ?? null;
  const outputs = (cell) => cell.model.outputs.toJSON();
  window.__lite = {
    panel,
    kernelReady: () => kernel()?.status === "idle",
    // every code cell's execution count (null: not run yet) and error outputs
    cellStates: () => panel().content.widgets
      .filter((cell) => cell.model.type === "code")
      .map((cell) => ({
        count: cell.model.executionCount,
        errors: outputs(cell).filter((o) => o.output_type === "error")
          .map((o) => `${o.ename}: ${o.evalue}`),
      })),
    kernelName: () => kernel()?.name ?? "",
    codeCells: () => panel().content.widgets
      .map((cell, index) => ({
        index, type: cell.model.type, source: cell.model.sharedModel.getSource(),
      }))
      .filter((cell) => cell.type === "code"),
    async runCell(index) {
      const notebook = panel().content;
      notebook.activeCellIndex = index;
      await app.commands.execute("notebook:run-cell");
      return outputs(notebook.widgets[index]);
    },
    async appendAndRun(source) {
      const notebook = panel().content;
      notebook.activeCellIndex = notebook.widgets.length - 1;
      await app.commands.execute("notebook:insert-cell-below");
      const index = notebook.activeCellIndex;
      notebook.widgets[index].model.sharedModel.setSource(source);
      return window.__lite.runCell(index);
    },
    async py(code) {
      const future = kernel().requestExecute({ code, silent: false, store_history: false });
      let text = "";
      future.onIOPub = (msg) => {
        if (msg.header.msg_type === "stream") text += msg.content.text;
        if (msg.header.msg_type === "error") text += `${msg.content.ename}: ${msg.content.evalue}`;
      };
      await future.done;
      return text;
    },
  };
}"""


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site; adds `exposeAppInBrowser` to the root config for the test."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME}

    def do_GET(self) -> None:
        if urlparse(self.path).path == "/jupyter-lite.json":
            config = json.loads((Path(self.directory) / "jupyter-lite.json").read_text())
            config["jupyter-config-data"]["exposeAppInBrowser"] = "true"
            body = json.dumps(config).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def lite_site() -> Path:
    """Build the site once per test session, from the project's current wheel."""
    subprocess.run(["bash", str(ROOT / "lite" / "build.sh")], cwd=ROOT, check=True, timeout=900)
    return DIST


@pytest.fixture(scope="module")
def site_url(lite_site: Path) -> Iterator[str]:
    handler = functools.partial(_SiteHandler, directory=str(lite_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def offline_page(browser, requests: list[str], outside: list[str]):
    """A page of ``browser``: requests off 127.0.0.1 are recorded in ``outside`` and aborted."""

    def is_outside(url: str) -> bool:
        parsed = urlparse(url)
        return parsed.scheme not in ("data", "blob") and parsed.hostname != "127.0.0.1"

    def guard(route) -> None:
        if is_outside(route.request.url):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def watch(request) -> None:
        requests.append(request.url)
        if is_outside(request.url):
            outside.append(request.url)

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        context.route("**/*", guard)
        context.on("request", watch)
        yield context.new_page()
    finally:
        context.close()


def _poll(page, code: str, done, timeout_s: float) -> dict:
    """Run ``code`` (printing one JSON object) in the kernel until ``done(value)``."""
    deadline = time.monotonic() + timeout_s
    while True:
        text = page.evaluate("(code) => window.__lite.py(code)", code)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            raise AssertionError(f"kernel answered {text!r}") from err
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s; last answer {value}")
        page.wait_for_timeout(250)


RUN_STATE = (
    "import json; print(json.dumps({'status': w.status, 'step': w.step,"
    " 'frame': len(w.frame), 'backend': w.backend, 'error': w.error}))"
)


def _errors(outputs: list[dict]) -> list[str]:
    return [f"{o['ename']}: {o['evalue']}" for o in outputs if o.get("output_type") == "error"]


def _canvas_summary(page) -> list[dict]:
    return page.evaluate(
        """() => [...document.querySelectorAll(".pelican-widget canvas")].map((c) => {
          const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
          let lo = 255, hi = 0;
          for (let i = 0; i < data.length; i += 4) {
            lo = Math.min(lo, data[i]);
            hi = Math.max(hi, data[i]);
          }
          const box = c.getBoundingClientRect();
          const shown = box.width > 0 && box.height > 0;
          return { cls: c.className, width: c.width, shown, range: hi - lo };
        })"""
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_lite_notebook_runs_offline(browser, site_url: str, notebook: str) -> None:
    requests: list[str] = []
    outside: list[str] = []
    timings: dict[str, float] = {}
    with offline_page(browser, requests, outside) as page:
        start = time.monotonic()
        page.goto(f"{site_url}lab/index.html?path={notebook}")
        page.wait_for_function("() => window.jupyterapp", timeout=60_000)
        page.evaluate(HELPERS)
        page.wait_for_function("() => window.__lite.panel()", timeout=60_000)
        # the notebook's session must exist and its kernel be idle before any cell runs,
        # or JupyterLab asks for a kernel in a dialog
        page.evaluate("() => window.__lite.panel().sessionContext.ready")
        page.wait_for_function(
            "() => window.__lite.kernelReady()", timeout=KERNEL_TIMEOUT_S * 1000, polling=200
        )
        timings["kernel_ready_s"] = time.monotonic() - start
        assert page.evaluate("() => window.__lite.kernelName()") == "python"
        page.evaluate(
            "(code) => window.__lite.py(code)",
            f"import os; os.environ['PELICAN_DEMO_STEPS'] = '{DEMO_STEPS}'",
        )

        states = []
        for cell in page.evaluate("() => window.__lite.codeCells()"):
            outputs = page.evaluate("(i) => window.__lite.runCell(i)", cell["index"])
            assert not _errors(outputs), (
                f"cell {cell['index']}:\n{cell['source']}\n{_errors(outputs)}"
            )
            if ".run(" not in cell["source"] and ".refine(" not in cell["source"]:
                continue
            # nothing reaches Python while a cell runs: wait out here, between cells
            if "first_frame_s" not in timings:
                first = _poll(
                    page,
                    RUN_STATE,
                    lambda s: s["frame"] > 0 or s["status"] != "running",
                    RUN_TIMEOUT_S,
                )
                assert first["frame"] > 0, f"no frame reached Python: {first}"
                timings["first_frame_s"] = time.monotonic() - start
            states.append(_poll(page, RUN_STATE, lambda s: s["status"] != "running", RUN_TIMEOUT_S))
        assert states, f"{notebook} has no cell that starts a run"
        for state in states:
            assert state["status"] == "done", state
            assert state["backend"] in ("webgpu", "wasm"), state

        canvases = {c["cls"]: c for c in _canvas_summary(page)}
        for name in ("pelican-target", "pelican-drawing"):
            assert name in canvases, f"no {name} canvas among {list(canvases)}"
            assert canvases[name]["shown"] and canvases[name]["range"] > 32, canvases[name]
        badge = page.inner_text(".pelican-widget .pelican-badge")
        assert states[0]["backend"] in badge.lower(), badge

        later = page.evaluate(
            "(code) => window.__lite.appendAndRun(code)",
            "import json\n"
            "import pelican_widget\n"
            "history = [row['total'] for row in w.loss_history]\n"
            "try:\n"
            "    pelican_widget.default_target()\n"
            "    missing = ''\n"
            "except ImportError as err:\n"
            "    missing = str(err)\n"
            "print(json.dumps({'step': w.step, 'svg': w.to_svg()[:4], 'history': history,"
            " 'missing': missing}))",
        )
        assert not _errors(later), _errors(later)
        seen = json.loads("".join(o["text"] for o in later if o.get("name") == "stdout"))
        assert seen["step"] > 0
        assert seen["svg"] == "<svg"
        assert len(seen["history"]) >= 2 and seen["history"][-1] < seen["history"][0], seen
        # the site ships no numpy: what needs it says so instead of failing obscurely
        assert "numpy" in seen["missing"], seen["missing"]
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    assert any(u.endswith("/static/pyodide/pyodide.asm.wasm") for u in requests), (
        "the kernel's own requests were not seen, so the offline check would be blind"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "lite-timings.json"
    recorded = json.loads(path.read_text()) if path.exists() else {}
    recorded[notebook] = timings
    path.write_text(json.dumps(recorded, indent=1))
    print(f"lite timings {notebook}:", {k: round(v, 1) for k, v in timings.items()})


def _open_lite(page, site_url: str, notebook: str) -> None:
    page.goto(f"{site_url}lab/index.html?path={notebook}")
    page.wait_for_function("() => window.jupyterapp", timeout=60_000)
    page.evaluate(HELPERS)
    page.wait_for_function("() => window.__lite.panel()", timeout=60_000)
    page.evaluate("() => window.__lite.panel().sessionContext.ready")
    page.wait_for_function(
        "() => window.__lite.kernelReady()", timeout=KERNEL_TIMEOUT_S * 1000, polling=200
    )


@pytest.mark.parametrize("attempt", range(RUN_ALL_REPEATS))
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_lite_run_all_completes(browser, site_url: str, notebook: str, attempt: int) -> None:
    """Run All: nothing reaches Python while the cells run, so no cell may wait
    for the run (or fail because it is still going); the run itself then ends."""
    requests: list[str] = []
    outside: list[str] = []
    with offline_page(browser, requests, outside) as page:
        _open_lite(page, site_url, notebook)
        page.evaluate(
            "(code) => window.__lite.py(code)",
            f"import os; os.environ['PELICAN_DEMO_STEPS'] = '{DEMO_STEPS}'",
        )
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while True:
            cells = page.evaluate("() => window.__lite.cellStates()")
            errors = [e for cell in cells for e in cell["errors"]]
            assert not errors, f"Run All: a cell failed: {errors}"
            if all(cell["count"] is not None for cell in cells) and page.evaluate(
                "() => window.__lite.kernelReady()"
            ):
                break
            assert time.monotonic() < deadline, f"Run All did not finish: {cells}"
            page.wait_for_timeout(250)
        counts = [cell["count"] for cell in cells]
        assert counts == sorted(counts) and len(set(counts)) == len(counts), counts
        # the run started while the cells ran, and ends without another cell
        state = _poll(page, RUN_STATE, lambda s: s["status"] != "running", RUN_TIMEOUT_S)
        assert state["status"] == "done", state
        assert state["frame"] > 0, state
    assert outside == [], f"requests left 127.0.0.1: {outside}"


# A colour photo-like image made in the kernel, which has neither numpy nor
# Pillow: the browser decodes it, picks its mean colour and grows a drawing.
COLOUR_CELL = """
import json, math
import pelican_widget as pw
from pelican_widget._png import encode_rgb_png
W, H = 60, 45
pixels = bytearray()
for y in range(H):
    for x in range(W):
        if (x - 18) ** 2 + (y - 16) ** 2 < 100:
            pixels += bytes((230, 40, 25))
        elif x > 33 and y > 20 and x - y < 20:
            pixels += bytes((25, 30, 115))
        else:
            shade = int(130 + 50 * math.sin(y / 5))
            pixels += bytes((80 + 120 * x // W, shade, 200 - 120 * x // W))
channels = [[v / 255 for v in pixels[c::3]] for c in range(3)]
means = [sum(ch) / len(ch) for ch in channels]
flat = sum(sum((v - m) ** 2 for v in ch) / len(ch) for ch, m in zip(channels, means)) / 3
cw = pw.PelicanWidget(encode_rgb_png(W, H, bytes(pixels)), resolution=W)
start = {"colour": cw.colour, "shapes": len(cw.scene.shapes)}
cw.refine(max_shapes=10, seed=1)
cw
"""

COLOUR_STATE = (
    "import json; print(json.dumps({'status': cw.status, 'error': cw.error, 'start': start,"
    " 'colour': cw.colour, 'channels': cw.scene.channels, 'shapes': len(cw.scene.shapes),"
    " 'background': cw.scene.background, 'means': means, 'flat': flat,"
    " 'mse': cw.loss.get('mse'), 'frame_type': cw.frame[25] if len(cw.frame) > 25 else None}))"
)


def test_lite_colour_target(browser, site_url: str) -> None:
    requests: list[str] = []
    outside: list[str] = []
    with offline_page(browser, requests, outside) as page:
        _open_lite(page, site_url, "lite_landing.ipynb")
        outputs = page.evaluate("(code) => window.__lite.appendAndRun(code)", COLOUR_CELL)
        assert not _errors(outputs), _errors(outputs)
        state = _poll(page, COLOUR_STATE, lambda s: s["status"] != "running", RUN_TIMEOUT_S)
        page.screenshot(path=str(ARTIFACTS / "lite-colour.png"))
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    assert state["status"] == "done" and state["error"] == "", state
    # Python read "colour" from the PNG header; it has no decoder to find the mean
    assert state["start"] == {"colour": "rgb", "shapes": 0}
    assert state["colour"] == "rgb" and state["channels"] == 3
    assert 1 <= state["shapes"] <= 10, state
    # the browser started the drawing on the image's mean colour
    for got, want in zip(state["background"], state["means"], strict=True):
        assert abs(got - want) < 1e-5, state
    assert state["frame_type"] == 2, "the frame is not an RGB PNG"
    assert state["mse"] < 0.5 * state["flat"], state
