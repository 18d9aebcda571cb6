"""The widget's runner in headless Chromium, with a fake kernel: every wait in
the run path has a deadline, and a run needs no answer from the kernel.

The page loads the built widget bundle (``src/pelican_widget/static/widget.js``,
served through ``page.route``) and calls its anywidget ``initialize`` with a
fake model that records what the runner writes and never answers as a kernel
would (it grants no claim). Faults are injected before the bundle loads: Web
Workers that never answer (or stop answering mid-run), a WebGPU adapter
request that never resolves, an image decode that never finishes. Each test
checks the status and message when the deadline passes, then that the same
runner completes a normal run afterwards.
"""

from __future__ import annotations

import base64
import time

import pytest

from pelican_widget import Scene
from pelican_widget.target import default_target_png

from .jupyter_server import REPO

ORIGIN = "http://widget.test"
BUNDLE = "src/pelican_widget/static/widget.js"
DEADLINE_MS = 3000

# Faults, switched by window flags; installed before the bundle loads.
FAULTS = """
window.__pelicanDeadlinesMs = { engine: MS, target: MS, stall: MS };
window.__fault = { worker: "ok", decode: "ok" };
window.__liveWorkers = 0;
const RealWorker = window.Worker;
window.Worker = class extends RealWorker {
  constructor(...args) {
    super(...args);
    window.__liveWorkers += 1;
  }
  postMessage(...args) {
    // "silent": a Worker that never answers (its messages are dropped)
    if (window.__fault.worker !== "ok") return;
    return super.postMessage(...args);
  }
  terminate() {
    window.__liveWorkers -= 1;
    return super.terminate();
  }
};
const realDecode = window.createImageBitmap.bind(window);
window.createImageBitmap = (...args) =>
  window.__fault.decode === "hang" ? new Promise(() => {}) : realDecode(...args);
""".replace("MS", str(DEADLINE_MS))

PAGE = """<!doctype html><meta charset="utf-8"><title>runner</title><body>
<script type="module">
import widget from "/widget.js";
const equal = (a, b) => JSON.stringify(a) === JSON.stringify(b);
window.startWidget = (initial) => {
  const state = { ...initial };
  const bytes = Uint8Array.from(atob(initial.target_image), (c) => c.charCodeAt(0));
  state.target_image = new DataView(bytes.buffer);
  const handlers = {};
  const fire = (ev) => (handlers[ev] || []).slice().forEach((f) => f());
  const model = {
    get: (k) => state[k],
    set: (k, v) => {
      const changed = !equal(state[k], v);
      state[k] = v;
      if (changed) fire("change:" + k);
    },
    save_changes: () => {},
    send: () => {},
    on: (ev, f) => (handlers[ev] ||= []).push(f),
    off: (ev, f) => (handlers[ev] = (handlers[ev] || []).filter((g) => g !== f)),
    widget_manager: {},
  };
  window.__state = state;
  window.__fire = fire;
  // what Python's run() does: a request (naming no owner) and "running"
  window.request = (id, fields = {}) => {
    model.set("status", "running");
    model.set("_run_request", { id, steps: 60, stop: 0, owner: "", ...fields });
  };
  window.setTrait = (k, v) => model.set(k, v);
  window.__cleanup = widget.initialize({ model });
};
window.pageReady = true;
</script>"""


def _initial(backend: str) -> dict:
    scene = Scene.pelican().copy(width=128, height=128).to_dict()
    return {
        "status": "waiting for browser",
        "requested_backend": backend,
        "workers": 1,
        "steps": 60,
        "lr": 0.02,
        "tau_start": 1.0,
        "tau_end": 0.5,
        "weights": {},
        "target_image": base64.b64encode(default_target_png()).decode(),
        "target_size": [128, 128],
        "scene": scene,
        "_run_request": {"id": 0, "steps": 0, "stop": 0},
        "_stop_request": 0,
        "_owner": {"frontend": "", "request": 0},
        "_heartbeat": {"frontend": "", "request": 0, "beat": 0},
    }


@pytest.fixture
def runner_page(page):
    bundle = (REPO / BUNDLE).read_bytes()

    def serve(route) -> None:
        path = route.request.url[len(ORIGIN) :]
        if path == "/widget.js":
            route.fulfill(status=200, content_type="text/javascript", body=bundle)
        else:
            route.fulfill(status=200, content_type="text/html", body=PAGE)

    logs: list[str] = []
    page.on("console", lambda msg: logs.append(msg.text))
    page.add_init_script(FAULTS)
    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/index.html")
    page.wait_for_function("() => window.pageReady === true")
    page.logs = logs
    return page


def _state(page) -> dict:
    return page.evaluate(
        "() => ({status: __state.status, error: __state.error || '', step: __state.step || 0,"
        " backend: __state.backend || '', claim: __state._claim || null,"
        " beat: __state._heartbeat})"
    )


def _wait_status(page, statuses: tuple[str, ...], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _state(page)
        if state["status"] in statuses:
            return state
        time.sleep(0.1)
    raise AssertionError(f"status not in {statuses} after {timeout} s: {_state(page)}")


def _normal_run(page, request: int) -> None:
    """The runner completes a run afterwards (a fresh engine where one failed)."""
    page.evaluate("(id) => window.request(id)", request)
    state = _wait_status(page, ("done", "error"), timeout=60)
    assert state["status"] == "done", state
    assert state["step"] == 60 and state["error"] == "", state
    assert state["beat"]["request"] == request, state


def _start_run(page, backend: str) -> None:
    """Show the widget on ``backend`` and ask it for run 1."""
    page.evaluate("(s) => window.startWidget(s)", _initial(backend))
    page.evaluate("() => window.request(1)")


def _start_long_run(page) -> None:
    """Show the widget on Wasm, ask it for a run of a million steps, and wait for its first step."""
    page.evaluate("(s) => window.startWidget(s)", _initial("wasm"))
    page.evaluate("() => window.request(1, {steps: 1000000})")
    page.wait_for_function("() => __state.step > 0", timeout=60_000)


def _hang_adapter_request(page) -> None:
    """Give the page a WebGPU whose adapter request never resolves."""
    page.evaluate(
        """() => Object.defineProperty(navigator, "gpu", {
            configurable: true,
            value: { requestAdapter: () => new Promise(() => {}),
                     getPreferredCanvasFormat: () => "rgba8unorm" },
        })"""
    )


def test_a_run_needs_no_answer_from_the_kernel(runner_page):
    # The fake kernel grants no claim and echoes nothing: the run still starts
    # and ends, announcing itself in `_heartbeat` (what Python's wait() reads).
    page = runner_page
    page.evaluate("(s) => window.startWidget(s)", _initial("wasm"))
    _wait_status(page, ("ready",), timeout=30)
    page.evaluate("() => window.request(1)")
    # Judged on the end state: a 60-step run can start and end between two
    # polls, so waiting to see "running" missed it (the claim stays set).
    done = _wait_status(page, ("done",), timeout=60)
    assert done["claim"] == {"frontend": done["beat"]["frontend"], "request": 1}, done
    assert done["step"] == 60 and done["beat"]["request"] == 1, done
    assert any("runs request 1" in line for line in page.logs), page.logs


def test_a_worker_that_never_answers_ends_the_run_with_an_error(runner_page):
    page = runner_page
    page.evaluate("() => { window.__fault.worker = 'silent'; }")
    page.evaluate("(s) => window.startWidget(s)", _initial("wasm"))
    scene = page.evaluate("() => __state.scene")
    began = time.monotonic()
    page.evaluate("() => window.request(1)")
    state = _wait_status(page, ("error",), timeout=30)
    took = time.monotonic() - began
    assert (
        "Wasm engine (Web Worker start and kernel compile) did not answer within 3 s"
        in (state["error"])
    ), state
    assert DEADLINE_MS / 1000 - 0.5 < took < DEADLINE_MS / 1000 + 10, took
    assert page.evaluate("() => __state.scene") == scene  # the drawing is kept
    page.evaluate("() => { window.__fault.worker = 'ok'; }")
    _normal_run(page, 2)


def test_a_webgpu_adapter_request_that_never_resolves_ends_the_run_with_an_error(runner_page):
    page = runner_page
    _hang_adapter_request(page)
    _start_run(page, "webgpu")
    state = _wait_status(page, ("error",), timeout=30)
    assert (
        "WebGPU engine (adapter and device request) did not answer within 3 s" in (state["error"])
    ), state
    page.evaluate("() => window.setTrait('requested_backend', 'wasm')")
    _normal_run(page, 2)


def test_auto_runs_on_wasm_when_the_webgpu_adapter_request_never_resolves(runner_page):
    # "auto" waits a third of the engine deadline for an adapter, then runs
    # on Wasm: the run ends normally and the badge says why
    page = runner_page
    _hang_adapter_request(page)
    _start_run(page, "auto")
    state = _wait_status(page, ("done", "error"), timeout=60)
    assert state["status"] == "done" and state["error"] == "", state
    assert state["backend"] == "wasm", state
    reason = page.evaluate("() => __state.backend_reason")
    assert "adapter request did not answer within 1 s" in reason, reason


def test_a_target_decode_that_never_finishes_ends_the_run_with_an_error(runner_page):
    page = runner_page
    page.evaluate("() => { window.__fault.decode = 'hang'; }")
    _start_run(page, "wasm")
    state = _wait_status(page, ("error",), timeout=30)
    assert "decoding the target image did not answer within 3 s" in state["error"], state
    page.evaluate("() => { window.__fault.decode = 'ok'; }")
    _normal_run(page, 2)


def test_a_run_that_stops_making_progress_is_reported(runner_page):
    page = runner_page
    _start_long_run(page)
    # the Workers stop answering mid-run: no step comes any more
    page.evaluate("() => { window.__fault.worker = 'silent'; }")
    state = _wait_status(page, ("error",), timeout=30)
    assert "no progress for 3 s" in state["error"], state
    page.evaluate("() => { window.__fault.worker = 'ok'; }")
    _normal_run(page, 2)


def test_a_view_whose_kernel_is_gone_stops_its_engine(runner_page):
    page = runner_page
    _start_long_run(page)
    assert page.evaluate("() => window.__liveWorkers") >= 1
    # what the widget manager signals when the kernel restarts or shuts down
    page.evaluate("() => window.__fire('comm_live_update')")
    page.wait_for_function("() => window.__liveWorkers === 0", timeout=10_000)
    step = page.evaluate("() => __state.step")
    page.wait_for_timeout(1500)
    assert page.evaluate("() => __state.step") == step  # the optimiser stopped
    assert any("the kernel is gone" in line for line in page.logs), page.logs


def test_the_auto_backend_deadline_names_both_candidates(runner_page):
    page = runner_page
    page.evaluate("() => { window.__fault.worker = 'silent'; }")
    _start_run(page, "auto")
    state = _wait_status(page, ("error",), timeout=30)
    assert (
        "(WebGPU adapter request, or Web Worker start and Wasm compile) did not answer"
        in (state["error"])
    ), state
