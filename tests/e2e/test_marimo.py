"""End to end: the widget in a real marimo server (``marimo run``, ``marimo edit``) in chromium.

marimo renders anywidgets in a shadow root: the widget's styles must arrive
through anywidget's ``_css`` (Playwright's CSS locators pierce open shadow
roots). The app (tests/e2e/marimo_app.py) starts a run from a button cell,
shows the status from a cell that re-runs on every browser update, and exports.
Screenshot: test-artifacts/widget-marimo-{mode}.png.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from .jupyter_server import free_port, source_first, stop_group, wait_serving
from .widget_look import LAYOUT_JS

APP = Path(__file__).with_name("marimo_app.py")
STEPS = 300


class MarimoServer:
    """``marimo run|edit APP --headless`` in its own process group, stopped on exit."""

    def __init__(self, mode: str, app: Path, out: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PELICAN_MARIMO_OUT": str(out)}
        source_first(env)
        cmd = [sys.executable, "-m", "marimo", mode, str(app), "--headless", "--no-token"]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port), "--no-sandbox"]
        if mode == "edit":
            cmd += ["--skip-update-check"]
        self._log = log.open("w")
        self._proc = subprocess.Popen(
            cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.log_path = log

    def wait_ready(self, timeout: float = 90) -> None:
        wait_serving(self._proc, f"{self.url}/health", "marimo", self.log, timeout)

    def log(self) -> str:
        """The end of the server's log."""
        return self.log_path.read_text()[-3000:]

    def stop(self) -> None:
        stop_group(self._proc)
        self._log.close()


def _status_line(page) -> str:
    text = page.locator("text=/MARIMO_STATUS/").last.text_content(timeout=60_000)
    return text[text.index("MARIMO_STATUS") :].strip()


def _wait_status(page, prefix: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline:
        line = _status_line(page)
        if line.startswith(prefix):
            return line
        time.sleep(0.2)
    raise AssertionError(f"status cell never showed {prefix!r}; last: {line!r}")


@pytest.mark.parametrize("mode", ["run", "edit"])
def test_marimo_runs_streams_and_exports(mode, page, artifacts, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    app = tmp_path / "pelican_app.py"
    app.write_text(APP.read_text())
    server = MarimoServer(mode, app, out, tmp_path / "marimo.log")
    try:
        server.wait_ready()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(server.url)
        if mode == "edit":
            # an opened notebook's cells are stale until run: the "run all stale
            # cells" button comes after the cells' own run buttons (6 cells)
            buttons = page.locator("[data-testid=run-button]")
            page.wait_for_function(
                "() => document.querySelectorAll('[data-testid=run-button]').length > 6",
                timeout=120_000,
            )
            buttons.last.click()
        widget = page.locator(".pelican-widget")
        widget.wait_for(timeout=120_000)
        try:
            _drive(page, widget, out, errors)
        finally:
            page.screenshot(path=str(artifacts / f"widget-marimo-{mode}.png"), full_page=True)
    finally:
        server.stop()


def _drive(page, widget, out: Path, errors: list[str]) -> None:
    # styled inside marimo's shadow root: the _css reached it
    assert widget.evaluate("(el) => el.getRootNode() instanceof ShadowRoot")
    panels = widget.locator(".pelican-panels")
    assert panels.evaluate("(el) => getComputedStyle(el).display") == "grid"
    assert widget.evaluate("(el) => getComputedStyle(el).borderTopStyle") == "solid"
    look = widget.evaluate(LAYOUT_JS)
    assert look["title"] == "pelican"
    assert look["target"]["h"] > 100 and look["drawing"]["h"] > 100, look
    status = widget.locator(".pelican-status")
    page.wait_for_function(
        "(el) => el.textContent === 'ready'", arg=status.element_handle(), timeout=120_000
    )
    assert _status_line(page).startswith("MARIMO_STATUS ready step 0")

    # a run from the button cell: the drawing streams, Python sees every update
    page.get_by_role("button", name="start 300 steps").click()
    seen = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = widget.locator(".pelican-progress-text").text_content()
        seen.add(int(text.split()[1]))
        if status.text_content() in ("done", "error"):
            break
        time.sleep(0.02)
    assert status.text_content() == "done", widget.locator(".pelican-error").text_content()
    assert len(seen - {0, STEPS}) >= 1, seen  # intermediate steps were shown
    line = _wait_status(page, f"MARIMO_STATUS done step {STEPS}")
    assert int(line.split()[-1]) >= 2, line  # the snapshots reached Python

    # the widget's own Run button works in marimo too
    widget.locator("button.pelican-run").click()
    page.wait_for_function(
        "(el) => el.textContent === 'running'", arg=status.element_handle(), timeout=30_000
    )
    page.wait_for_function(
        "(el) => el.textContent === 'done'", arg=status.element_handle(), timeout=120_000
    )
    _wait_status(page, f"MARIMO_STATUS done step {STEPS}")

    page.get_by_role("button", name="export").click()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out / "marimo.gif").exists():
        time.sleep(0.2)
    time.sleep(0.5)
    from pelican_widget import Scene

    assert len(Scene.from_svg((out / "marimo.svg").read_text()).shapes) == 9
    root = ET.parse(out / "marimo-animation.svg").getroot()
    assert len(root.findall("{http://www.w3.org/2000/svg}g")) >= 2
    with Image.open(out / "marimo.gif") as gif:
        assert gif.n_frames >= 2 and max(gif.size) == 128
    ours = [e for e in errors if "pelican" in e or "anywidget" in e]
    assert not ours, json.dumps(ours)
