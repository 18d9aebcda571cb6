"""End to end: the demo notebook in a real JupyterLab / Notebook 7, in Debian chromium.

The test copies notebooks/pelican.ipynb, appends cells that print JSON check
markers, runs all cells from the Run menu and reads the page and the markers.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .jupyter_server import REPO, wait_for_marker
from .notebook_ui import open_and_run_all, run_cell
from .notebooks import code_cells

DEMO = REPO / "notebooks" / "pelican.ipynb"
STEPS = 1000
SHAPES = 12  # the search's budget: 3 shapes on top of the 9 start shapes

CHECK_CELLS = [
    # the notebook ends after the search: results, SVG against the last frame
    # (through the reference renderer), the GIF and the animated SVG on disk
    """
import io, json
import xml.etree.ElementTree as ET
import numpy as np
from PIL import Image
start = pw.Scene.pelican()
def params(shapes):
    out = []
    for s in shapes:
        d = s.to_dict()
        out += [d[k] for k in ("cx", "cy", "r", "rx", "ry", "angle", "fill") if k in d]
        out += [c for p in d.get("points", []) for c in p]
    return np.array(out)
svg = w.to_svg()
parsed = pw.Scene.from_svg(svg)
ref = pw.render(parsed)
frame = np.asarray(Image.open(io.BytesIO(w.frame)).convert("L"), dtype=np.float64) / 255
hist = w.loss_history
with Image.open("pelican.gif") as gif:
    gif_frames, gif_size = gif.n_frames, list(gif.size)
groups = ET.parse("pelican-animation.svg").getroot().findall("{http://www.w3.org/2000/svg}g")
print("PELICAN_CHECK " + json.dumps({
    "status": w.status, "step": w.step, "total_steps": w.total_steps, "backend": w.backend,
    "title": w.title, "rounds": len(w.rounds),
    "start_types": [type(s).__name__ for s in w.scene.shapes[:9]],
    "pelican_types": [type(s).__name__ for s in start.shapes],
    "scene_moved": float(np.abs(params(w.scene.shapes[:9]) - params(start.shapes)).max()),
    "svg_shapes": len(parsed.shapes), "scene_shapes": len(w.scene.shapes),
    "frame_shape": list(frame.shape),
    "svg_vs_frame_mae": float(np.abs(ref - frame).mean()),
    "history_len": len(hist), "first_total": hist[0]["total"], "last_total": hist[-1]["total"],
    "array_shape": list(w.loss_history_array().shape),
    "snapshots": len(w.snapshots), "gif_frames": gif_frames, "gif_size": gif_size,
    "animation_frames": len(groups), "svg_on_disk": os.path.getsize("pelican.svg"),
}))
""",
    # stop() halts a long run; wait() with a timeout keeps the kernel responsive
    """
import json
w.run(100000)
try:
    w.wait(timeout=4)
except TimeoutError:
    pass
running_step = w.step
w.stop()
status = w.wait(timeout=60)
result = {"status": status, "running_step": running_step, "step": w.step}
print("PELICAN_STOP " + json.dumps(result))
""",
    # a later cell: the run stays stopped; wrong values raise in Python
    """
import json, time, traitlets
stopped_step = w.step
bad = {"steps": "many", "lr": float("nan"), "requested_backend": "cuda",
       "scene": {"shapes": [{"type": "hexagon"}]}, "weights": {"mse": -1}, "step": 5}
errors = {}
for name, value in bad.items():
    try:
        setattr(w, name, value)
        errors[name] = None
    except traitlets.TraitError as err:
        errors[name] = str(err)
result = {"status": w.status, "step": w.step, "stopped_step": stopped_step,
          "steps": w.steps, "errors": errors}
print("PELICAN_LATER " + json.dumps(result))
""",
    # an image the browser cannot decode (what Pyodide, without Pillow, would
    # pass on): the error shows in the widget and the drawing is kept
    """
import json
before = w.scene
with w._internal():
    w.target_image = bytes([0x89]) + b"PNG" + bytes([13, 10, 26, 10]) + bytes(64)
w.run()
status = w.wait(timeout=60)
result = {"status": status, "error": w.error, "scene_kept": w.scene == before}
print("PELICAN_ERROR " + json.dumps(result))
""",
]


def _prepare_notebook(tmp_path: Path) -> Path:
    nb = json.loads(DEMO.read_text())
    nb["cells"] += code_cells([c.strip() for c in CHECK_CELLS], "check-")
    path = tmp_path / "pelican.ipynb"
    path.write_text(json.dumps(nb))
    return path


def _widget_state(page) -> dict:
    return page.evaluate(
        """() => {
        const w = document.querySelector('.pelican-widget');
        if (!w) return null;
        const inked = (c) => {
            const ctx = c.getContext('2d');
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) if (d[i] < 200) n++;
            return n;
        };
        const badge = w.querySelector('.pelican-badge');
        return {
            status: w.querySelector('.pelican-status').textContent,
            badge: badge.textContent, badgeTitle: badge.title,
            progress: w.querySelector('.pelican-progress-text').textContent,
            loss: w.querySelector('.pelican-loss').dataset.loss,
            error: w.querySelector('.pelican-error').textContent,
            target: inked(w.querySelector('canvas.pelican-target')),
            drawing: inked(w.querySelector('canvas.pelican-drawing')),
            chart: w.querySelector('canvas.pelican-chart').width,
        };
    }"""
    )


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_widget_demo_notebook(app, jupyter_server, page, artifacts, tmp_path):
    try:
        _demo_notebook(app, jupyter_server, page, artifacts, tmp_path)
    finally:
        page.screenshot(path=str(artifacts / f"widget-{app}-page.png"))


def _demo_notebook(app, jupyter_server, page, artifacts, tmp_path):
    notebook = _prepare_notebook(tmp_path)
    server = jupyter_server(
        app,
        files=(notebook,),
        env={"PELICAN_DEMO_STEPS": str(STEPS), "PELICAN_DEMO_SHAPES": str(SHAPES)},
    )
    console_errors = []
    page.on("pageerror", lambda err: console_errors.append(f"{err}\n{err.stack}"))
    open_and_run_all(page, server.notebook_url("pelican.ipynb"))

    # the first run: sample the loss the widget shows (in the page, every
    # 20 ms), screenshot the widget mid-run
    page.evaluate(
        """() => {
        // the first run's losses: the next cells start more runs at once
        window.__pelicanLosses = [];
        const timer = setInterval(() => {
            const w = document.querySelector('.pelican-widget');
            const v = w && w.querySelector('.pelican-loss').dataset.loss;
            const arr = window.__pelicanLosses;
            if (v && arr[arr.length - 1] !== Number(v)) arr.push(Number(v));
            const status = w && w.querySelector('.pelican-status').textContent;
            if (status === 'done') clearInterval(timer);
        }, 20);
    }"""
    )
    shot = artifacts / f"widget-{app}-running.png"
    took_shot = False
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = _widget_state(page)
        step = int(state["progress"].split()[1])
        if state["status"] == "running" and 0.2 * STEPS < step < 0.8 * STEPS and not took_shot:
            page.locator(".pelican-widget").screenshot(path=str(shot))
            took_shot = True
        if state["status"] in ("done", "error"):
            break
        time.sleep(0.05)
    losses = page.evaluate("() => window.__pelicanLosses")
    assert state["status"] == "done", state
    assert state["error"] == "", state["error"]
    assert took_shot and shot.exists()
    assert state["badge"] in ("wasm", "webgpu"), state
    assert state["badgeTitle"], "the badge explains the backend choice on hover"
    assert state["target"] > 500 and state["drawing"] > 500, state
    assert len(losses) >= 2 and losses[-1] < losses[0], losses
    assert f"step {STEPS} / {STEPS}" in state["progress"]

    check = wait_for_marker(page, "PELICAN_CHECK", timeout=300)
    assert check["status"] == "done", check
    # the search ran last: its progress ends at its own step count
    assert check["step"] == check["total_steps"] > STEPS, check
    assert check["backend"] == state["badge"]
    assert check["title"] == "pelican"
    # the engraving's 9 start shapes moved, and the search only added shapes
    assert check["start_types"] == check["pelican_types"], check
    assert check["scene_moved"] > 1e-3
    assert 9 <= check["svg_shapes"] == check["scene_shapes"] <= SHAPES, check
    assert check["rounds"] >= 1
    assert check["frame_shape"] == [114, 128]  # the engraving keeps its aspect
    # hard-edged SVG shapes vs the soft browser render: close, not equal
    assert check["svg_vs_frame_mae"] < 0.02, check
    assert check["last_total"] < check["first_total"]
    assert check["array_shape"][0] == check["history_len"] > 1
    # the search as an animated SVG (one frame per snapshot) and a GIF (which
    # merges pixel-identical neighbours into one longer frame)
    assert check["snapshots"] >= 3, check
    assert check["animation_frames"] == check["snapshots"], check
    assert 3 <= check["gif_frames"] <= check["snapshots"], check
    assert check["gif_size"] == [256, 228]
    assert check["svg_on_disk"] > 0

    stop = wait_for_marker(page, "PELICAN_STOP", timeout=120)
    assert stop["status"] == "stopped", stop
    assert 0 < stop["running_step"] <= stop["step"] < 100000, stop

    later = wait_for_marker(page, "PELICAN_LATER", timeout=60)
    assert later["status"] == "stopped"
    assert later["step"] == later["stopped_step"] == stop["step"]
    assert later["steps"] == STEPS
    assert all(later["errors"].values()), later["errors"]

    error = wait_for_marker(page, "PELICAN_ERROR", timeout=60)
    assert error["status"] == "error" and "decode" in error["error"], error
    assert error["scene_kept"]
    page.wait_for_timeout(500)
    final = _widget_state(page)
    assert final["status"] == "error"
    assert "decode" in final["error"], final
    page.locator(".pelican-widget").screenshot(path=str(artifacts / f"widget-{app}-error.png"))
    # errors of the widget's own code (anywidget loads it from a blob: URL);
    # Jupyter's own plugins may log unrelated ones
    ours = [e for e in console_errors if "blob:" in e or "pelican" in e or "anywidget" in e]
    assert not ours, ours


TWO_TAB_CELLS = [
    "import pelican_widget as pw\nw = pw.PelicanWidget(steps=400)\nw",
    "w  # a second view, shown in the second tab",
    "import json\nw.run()\nprint('PELICAN_TWO ' + json.dumps([w.wait(timeout=300), w.step]))",
    # after runs from the buttons, Python's next request still starts
    "w.run(50)\nprint('PELICAN_AGAIN ' + json.dumps([w.wait(timeout=120), w._run_request['id']]))",
]


def test_widget_second_tab_shows_the_run_but_does_not_optimise(
    jupyter_server, browser, artifacts, tmp_path
):
    nb = json.loads(_prepare_notebook(tmp_path).read_text())
    nb["cells"] = code_cells(TWO_TAB_CELLS, "two-")
    path = tmp_path / "two.ipynb"
    path.write_text(json.dumps(nb))
    server = jupyter_server("lab", files=(path,))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        logs = {"a": [], "b": []}
        tab_a, tab_b = context.new_page(), context.new_page()
        for name, tab in (("a", tab_a), ("b", tab_b)):

            def log(msg, name=name):
                if "pelican-widget:" in msg.text:
                    logs[name].append(msg.text)

            tab.on("console", log)
        tab_a.goto(server.notebook_url("two.ipynb"))
        tab_a.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
        run_cell(tab_a, 0)
        tab_a.wait_for_selector(".pelican-widget", timeout=90_000)

        tab_b.goto(server.notebook_url("two.ipynb"))
        tab_b.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
        run_cell(tab_b, 1)
        tab_b.wait_for_selector(".pelican-widget", timeout=90_000)

        run_cell(tab_a, 2)
        result = wait_for_marker(tab_a, "PELICAN_TWO", timeout=180)
        assert result == ["done", 400], result
        for tab in (tab_a, tab_b):
            tab.wait_for_function(
                "() => document.querySelector('.pelican-widget .pelican-status')"
                ".textContent === 'done'",
                timeout=30_000,
            )
            progress = tab.locator(".pelican-widget .pelican-progress-text").first.text_content()
            assert progress.startswith("step 400 / 400"), progress
        tab_b.screenshot(path=str(artifacts / "widget-lab-second-tab.png"))
        # Python named the page it heard from last (tab b) as the owner: it
        # ran the optimiser at once, with no claim round trip; tab a only watched
        claims = [m for v in logs.values() for m in v if "claims request" in m]
        runs = {k: [m for m in v if "runs request 1" in m] for k, v in logs.items()}
        assert claims == [], logs
        assert (len(runs["a"]), len(runs["b"])) == (0, 1), logs

        # the buttons of the second tab drive the run too
        view = tab_b.locator(".pelican-widget").first
        status = view.locator(".pelican-status")
        cells_before = tab_b.locator(".jp-Notebook .jp-CodeCell").count()
        steps_input = view.locator("input.pelican-steps")
        steps_input.click()
        steps_input.press("Control+a")
        steps_input.press_sequentially("100000")  # real keys: no notebook shortcut fires
        steps_input.press("Enter")
        tab_a.wait_for_function(
            "() => document.querySelector('.pelican-widget input.pelican-steps').value === '100000'"
        )
        assert tab_b.locator(".jp-Notebook .jp-CodeCell").count() == cells_before
        view.locator("button.pelican-run").click()
        tab_b.wait_for_function(
            "() => document.querySelector('.pelican-widget .pelican-status').textContent"
            " === 'running'"
        )
        tab_b.wait_for_timeout(1500)
        view.locator("button.pelican-pause").click()
        tab_b.wait_for_function(
            "() => document.querySelector('.pelican-widget .pelican-status').textContent"
            " === 'stopped'",
            timeout=30_000,
        )
        stopped = int(view.locator(".pelican-progress-text").text_content().split()[1])
        assert 0 < stopped < 100000
        assert sum("runs request 2" in m for v in logs.values() for m in v) == 1, logs

        with tab_b.expect_download() as download:
            view.locator("button.pelican-svg").click()
        svg = Path(download.value.path()).read_text()
        from pelican_widget import Scene

        assert len(Scene.from_svg(svg).shapes) == 9

        view.locator("button.pelican-reset").click()
        for tab in (tab_a, tab_b):
            tab.wait_for_function(
                "() => document.querySelector('.pelican-widget .pelican-status').textContent"
                " === 'ready' && document.querySelector('.pelican-widget .pelican-progress-text')"
                ".textContent.startsWith('step 0 /')",
                timeout=30_000,
            )
        assert status.text_content() == "ready"

        # the page that owns a run is closed: the other one ends it as
        # "stopped" (keeping the drawing it streamed) and can run again
        view.locator("button.pelican-run").click()
        tab_a.wait_for_function(
            "() => document.querySelector('.pelican-widget .pelican-status').textContent"
            " === 'running' && parseInt(document.querySelector('.pelican-widget "
            ".pelican-progress-text').textContent.split(' ')[1]) > 0",
            timeout=60_000,
        )
        assert sum("runs request 3" in m for m in logs["b"]) == 1, logs
        tab_b.close()
        tab_a.wait_for_function(
            "() => document.querySelector('.pelican-widget .pelican-status').textContent"
            " === 'stopped'",
            timeout=40_000,
        )
        view_a = tab_a.locator(".pelican-widget").first
        assert "stopped answering" in view_a.locator(".pelican-error").text_content()
        assert view_a.locator("button.pelican-run").is_enabled()
        view_a.locator("input.pelican-steps").fill("200")
        view_a.locator("input.pelican-steps").press("Enter")
        view_a.locator("button.pelican-run").click()
        tab_a.wait_for_function(
            "() => document.querySelector('.pelican-widget .pelican-status').textContent"
            " === 'done'",
            timeout=60_000,
        )
        assert sum("runs request 4" in m for m in logs["a"]) == 1, logs
        run_cell(tab_a, 3)
        assert wait_for_marker(tab_a, "PELICAN_AGAIN", timeout=120) == ["done", 5]
    finally:
        context.close()
