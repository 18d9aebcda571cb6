"""Soak the widget's start paths in a real JupyterLab, in headless Chromium.

Each run opens a new notebook (so a fresh kernel) and goes through one of the
paths users hit, in turn:

- ``display-run``: show the widget; ``w.run()`` and ``w.wait()`` in the next
  cell (Run All);
- ``display-refine``: the same with ``w.refine()``;
- ``run-all-order``: Run All over cells that ``wait()``; the cells must run in
  order (execution counts and a list the cells append to);
- ``run-stop-run``: a long run, ``stop()``, then a new run, in one cell;
- ``reload-mid-run``: reload the page while a run goes on; the run must end
  ("stopped"), and a new run must complete;
- ``restart-mid-run``: restart the kernel while a run goes on; the old view
  must stop its engine, and a new widget must run.

A run that does not finish within its time limit is a hang; one that
finishes wrongly (a traceback, a wrong status) is an error. Usage::

    python tests/e2e/soak.py --runs 12 [--only display-run,run-stop-run]

It prints one row per run, a table per path, and ends with
``RESULT runs=N hangs=H errors=E seconds=S``. The exit status is 1 when any
run hung or failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
import urllib.request
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.e2e.jupyter_server import JupyterServer, wait_for_marker
    from tests.e2e.notebook_ui import accept_kernel_dialog, open_notebook, run_all, run_cell
    from tests.e2e.notebooks import write_notebook
else:
    from .conftest import CHROMIUM, CHROMIUM_ARGS
    from .jupyter_server import JupyterServer, wait_for_marker
    from .notebook_ui import accept_kernel_dialog, open_notebook, run_all, run_cell
    from .notebooks import write_notebook

STEPS = 200
RUN_LIMIT_S = 150  # one run of a path, page load included
HEAD = "import json, time\nimport pelican_widget as pw\nw = pw.PelicanWidget(steps={steps})\nw"


class Hang(Exception):
    """A run that did not finish in time."""


def _open(page, server: JupyterServer, name: str) -> None:
    # ?reset: a fresh workspace, or JupyterLab reopens the earlier runs' notebooks
    open_notebook(page, server.notebook_url(name) + "?reset", 2_000)


def _marker(page, name: str, timeout: float) -> dict:
    try:
        return wait_for_marker(page, name, timeout)
    except AssertionError as err:
        if str(err).startswith(f"no {name} output"):
            raise Hang(str(err)[:300]) from None
        raise


def _check(condition: bool, what: object) -> None:
    if not condition:
        raise AssertionError(str(what)[:600])


def _shown_step(page) -> int:
    text = page.locator(".pelican-widget .pelican-progress-text").first.text_content()
    return int(text.split()[1])


def _wait_running(page, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.locator(".pelican-widget").count() and _shown_step(page) > 0:
            return
        time.sleep(0.2)
    raise Hang(f"the run did not start in the page within {timeout} s")


def _execution_counts(page) -> list[int | None]:
    texts = page.evaluate(
        "() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]"
        ".map((e) => e.textContent)"
    )
    counts = []
    for text in texts:
        inner = text.strip().strip(":").strip("[]").strip()
        counts.append(int(inner) if inner.isdigit() else None)
    return counts


def _post(server: JupyterServer, path: str, method: str = "POST") -> None:
    request = urllib.request.Request(f"{server.url}{path}", data=b"{}", method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30):
        pass


def _shutdown_kernels(server: JupyterServer) -> None:
    """Free the CPU: every run starts on a fresh kernel anyway."""
    with urllib.request.urlopen(f"{server.url}/api/sessions", timeout=10) as resp:
        sessions = json.load(resp)
    for session in sessions:
        _post(server, f"/api/sessions/{session['id']}", method="DELETE")


# ------------------------------------------------------------------ paths

# split in the source, so a traceback quoting the line is not taken for the marker
DONE = "print('SOAK' + '_DONE ' + json.dumps({{{fields}}}))"


def path_display_run(page, server, root: Path, name: str) -> str:
    write_notebook(
        root / name,
        [
            HEAD.format(steps=STEPS),
            "w.run()\nstatus = w.wait(timeout=120)\n"
            + DONE.format(fields="'status': status, 'step': w.step, 'error': w.error"),
        ],
        "soak-",
    )
    _open(page, server, name)
    run_all(page)
    result = _marker(page, "SOAK_DONE", RUN_LIMIT_S)
    _check(result == {"status": "done", "step": STEPS, "error": ""}, result)
    return "done"


def path_display_refine(page, server, root: Path, name: str) -> str:
    write_notebook(
        root / name,
        [
            HEAD.format(steps=STEPS),
            "w.refine(max_shapes=11, initial_steps=60, settle_steps=15, reoptimize_steps=20,"
            " seed=1)\nstatus = w.wait(timeout=120)\n"
            + DONE.format(fields="'status': status, 'rounds': len(w.rounds), 'error': w.error"),
        ],
        "soak-",
    )
    _open(page, server, name)
    run_all(page)
    result = _marker(page, "SOAK_DONE", RUN_LIMIT_S)
    _check(result["status"] == "done" and result["rounds"] >= 1, result)
    return f"done, {result['rounds']} rounds"


ORDER_CELLS = [
    "seen = [0]\n" + HEAD.format(steps=120),
    "seen.append(1)\nw.run()\nfirst = w.wait(timeout=120)",
    "seen.append(2)\nafter_first = w.step",
    "seen.append(3)\nw.run(80)\nsecond = w.wait(timeout=120)",
    "seen.append(4)",
    "seen.append(5)\n"
    + DONE.format(
        fields="'seen': seen, 'first': first, 'after_first': after_first, "
        "'second': second, 'step': w.step"
    ),
]


def run_all_in_order(page) -> dict:
    """Run All over cells that wait(); return the result and the execution counts."""
    run_all(page)
    result = _marker(page, "SOAK_DONE", RUN_LIMIT_S)
    page.wait_for_timeout(300)
    result["counts"] = _execution_counts(page)
    return result


def path_run_all_order(page, server, root: Path, name: str) -> str:
    write_notebook(root / name, ORDER_CELLS, "soak-")
    _open(page, server, name)
    result = run_all_in_order(page)
    counts = result["counts"]
    _check(result["seen"] == list(range(6)), result)
    _check(None not in counts and counts == sorted(counts) and len(set(counts)) == 6, result)
    _check(result["first"] == result["second"] == "done", result)
    _check(result["after_first"] == 120 and result["step"] == 80, result)
    return "in order"


def path_run_stop_run(page, server, root: Path, name: str) -> str:
    write_notebook(
        root / name,
        [
            HEAD.format(steps=STEPS),
            "w.run(1000000)\ntry:\n    w.wait(timeout=3)\nexcept TimeoutError:\n    pass\n"
            "w.stop()\nfirst = w.wait(timeout=60)\nstopped_at = w.step\n"
            "w.run(150)\nsecond = w.wait(timeout=120)\n"
            + DONE.format(
                fields="'first': first, 'stopped_at': stopped_at, 'second': second, 'step': w.step"
            ),
        ],
        "soak-",
    )
    _open(page, server, name)
    run_all(page)
    result = _marker(page, "SOAK_DONE", RUN_LIMIT_S)
    _check(result["first"] == "stopped" and result["stopped_at"] > 0, result)
    _check(result["second"] == "done" and result["step"] == 150, result)
    return "stopped, then done"


def path_reload_mid_run(page, server, root: Path, name: str) -> str:
    write_notebook(
        root / name,
        [
            HEAD.format(steps=STEPS),
            "w.run(1000000)",
            "try:\n    first = w.wait(timeout=90)\nexcept RuntimeError as err:\n"
            "    first = 'raised: ' + str(err)\n"
            "w.run(150)\nsecond = w.wait(timeout=120)\n"
            + DONE.format(fields="'first': first, 'second': second, 'step': w.step"),
        ],
        "soak-",
    )
    _open(page, server, name)
    run_cell(page, 0)
    page.wait_for_selector(".pelican-widget", timeout=90_000)
    run_cell(page, 1)
    _wait_running(page)
    page.reload()
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    accept_kernel_dialog(page, 2_000)
    run_cell(page, 2)
    result = _marker(page, "SOAK_DONE", RUN_LIMIT_S)
    # the new page reports the vanished owner ("stopped"); without one, wait()
    # says why and ends the run itself
    _check(
        result["first"] == "stopped"
        or result["first"].startswith("raised: the browser page running this sent nothing"),
        result,
    )
    _check(result["second"] == "done" and result["step"] == 150, result)
    return "stopped" if result["first"] == "stopped" else "wait() raised, then done"


def path_restart_mid_run(page, server, root: Path, name: str) -> str:
    write_notebook(
        root / name,
        [
            HEAD.format(steps=STEPS),
            "w.run(1000000)",
            "import json\nimport pelican_widget as pw\nw2 = pw.PelicanWidget(steps=150)\nw2",
            "w2.run()\nstatus = w2.wait(timeout=120)\n"
            + DONE.format(fields="'status': status, 'step': w2.step"),
        ],
        "soak-",
    )
    logs: list[str] = []
    page.on("console", lambda msg: logs.append(msg.text))
    _open(page, server, name)
    run_cell(page, 0)
    page.wait_for_selector(".pelican-widget", timeout=90_000)
    run_cell(page, 1)
    _wait_running(page)
    # as a user does: Kernel > Restart Kernel..., confirmed
    page.click(".lm-MenuBar-itemLabel:text-is('Kernel')", timeout=30_000)
    page.click(".lm-Menu-itemLabel:text-is('Restart Kernel…')", timeout=10_000)
    page.click(".jp-Dialog .jp-mod-accept", timeout=10_000)
    deadline = time.monotonic() + 30
    while not any("the kernel is gone" in line for line in logs):
        if time.monotonic() > deadline:
            raise AssertionError("the old view kept its engine after the kernel restart")
        time.sleep(0.2)
    frozen = _shown_step(page)
    page.wait_for_timeout(1500)
    _check(_shown_step(page) == frozen, "the old view still optimises")
    page.wait_for_timeout(2000)  # the new kernel connects
    run_cell(page, 2)
    page.wait_for_function(
        "() => document.querySelectorAll('.pelican-widget').length >= 2", timeout=90_000
    )
    run_cell(page, 3)
    result = _marker(page, "SOAK_DONE", RUN_LIMIT_S)
    _check(result == {"status": "done", "step": 150}, result)
    return "old engine stopped, new run done"


PATHS: dict[str, Callable] = {
    "display-run": path_display_run,
    "display-refine": path_display_refine,
    "run-all-order": path_run_all_order,
    "run-stop-run": path_run_stop_run,
    "reload-mid-run": path_reload_mid_run,
    "restart-mid-run": path_restart_mid_run,
}


def soak(runs: int, only: list[str] | None = None, out=print) -> dict:
    """Run ``runs`` start paths (cycling through ``only`` or all); return the totals."""
    from playwright.sync_api import sync_playwright

    names = only or list(PATHS)
    rows: list[tuple[str, str, float, str]] = []
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root = Path(tmp) / "root"
        root.mkdir()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        server = JupyterServer("lab", root)
        server.__enter__()
        try:
            for i in range(runs):
                path = names[i % len(names)]
                name = f"soak-{i}.ipynb"
                context = browser.new_context(viewport={"width": 1280, "height": 1000})
                page = context.new_page()
                start = time.monotonic()
                try:
                    detail = PATHS[path](page, server, root, name)
                    outcome = "ok"
                except Hang as err:
                    outcome, detail = "hang", str(err)
                except Exception as err:  # noqa: BLE001 - a failed run is a table row
                    outcome = "error"
                    detail = f"{type(err).__name__}: {err}"
                    if not isinstance(err, AssertionError):
                        detail += " " + traceback.format_exc(limit=2)[-300:]
                seconds = time.monotonic() - start
                if outcome != "ok":
                    page.screenshot(path=str(Path(tmp) / f"{name}.png"))
                context.close()
                _shutdown_kernels(server)
                rows.append((path, outcome, seconds, detail))
                shown = detail if outcome == "ok" else " ".join(detail.split())[:700]
                out(f"run {i + 1:3d}  {path:16s} {outcome:5s} {seconds:6.1f} s  {shown}")
                sys.stdout.flush()
        finally:
            server.__exit__(None, None, None)
            browser.close()
    total = time.monotonic() - began
    out("")
    out(
        f"{'path':16s} {'runs':>5s} {'ok':>5s} {'hangs':>5s} {'errors':>6s} "
        f"{'mean s':>7s} {'max s':>6s}"
    )
    for path in names:
        mine = [r for r in rows if r[0] == path]
        if not mine:
            continue
        secs = [r[2] for r in mine]
        out(
            f"{path:16s} {len(mine):5d} {sum(r[1] == 'ok' for r in mine):5d} "
            f"{sum(r[1] == 'hang' for r in mine):5d} {sum(r[1] == 'error' for r in mine):6d} "
            f"{sum(secs) / len(secs):7.1f} {max(secs):6.1f}"
        )
    result = {
        "runs": len(rows),
        "hangs": sum(r[1] == "hang" for r in rows),
        "errors": sum(r[1] == "error" for r in rows),
        "seconds": round(total),
        "rows": rows,
    }
    out(
        f"RESULT runs={result['runs']} hangs={result['hangs']} errors={result['errors']} "
        f"seconds={result['seconds']}"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=len(PATHS))
    parser.add_argument("--only", default="", help="comma-separated paths: " + ", ".join(PATHS))
    args = parser.parse_args()
    only = [p for p in args.only.split(",") if p] or None
    unknown = set(only or ()) - set(PATHS)
    if unknown:
        parser.error(f"unknown paths {sorted(unknown)}; known: {list(PATHS)}")
    result = soak(args.runs, only)
    return 1 if result["hangs"] or result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
