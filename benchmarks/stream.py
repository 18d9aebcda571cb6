"""How much the widget streams to the kernel during a run.

Starts a headless JupyterLab (Debian chromium), runs a notebook that shows a
PelicanWidget, counts every comm message the kernel receives from the browser
(and the ones it sends back: echoes, grants) during one run of ``--steps``
steps, and prints a table per trait and a final RESULT line.

    python benchmarks/stream.py [--steps 5000] [--backend auto]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from _common import CHROMIUM, CHROMIUM_ARGS, REPO

sys.path.insert(0, str(REPO))

from tests.e2e.jupyter_server import JupyterServer  # noqa: E402

SETUP = """
import json, time
from collections import Counter
import pelican_widget as pw

w = pw.PelicanWidget(steps={steps}, backend="{backend}")
stats = {{"in_msgs": 0, "in_bytes": 0, "out_msgs": 0, "out_bytes": 0}}
per_trait = Counter()
per_trait_bytes = Counter()

def _size(data, buffers):
    return len(json.dumps(data, default=str)) + sum(len(memoryview(b).cast("B")) for b in buffers)

_handle = w._handle_msg
def counting_handle(msg):
    data = msg["content"]["data"]
    size = _size(data, msg.get("buffers") or [])
    stats["in_msgs"] += 1
    stats["in_bytes"] += size
    for key, value in data.get("state", {{}}).items():
        per_trait[key] += 1
        per_trait_bytes[key] += len(json.dumps(value, default=str))
    # binary traits travel as buffers, named in buffer_paths, not in state
    buffers = msg.get("buffers") or []
    for path, buf in zip(data.get("buffer_paths", []), buffers):
        per_trait[path[0]] += 1
        per_trait_bytes[path[0]] += len(memoryview(buf).cast("B"))
    return _handle(msg)
w.comm.on_msg(counting_handle)

_send = w._send
def counting_send(msg, buffers=None):
    stats["out_msgs"] += 1
    stats["out_bytes"] += _size(msg, buffers or [])
    return _send(msg, buffers)
w._send = counting_send
w
"""

RUN = """
for key in stats: stats[key] = 0
per_trait.clear(); per_trait_bytes.clear()
t0 = time.monotonic()
w.run()
status = w.wait(timeout=600)
seconds = time.monotonic() - t0
print("STREAM_RESULT " + json.dumps({
    "status": status, "step": w.step, "seconds": seconds, "backend": w.backend,
    "stats": stats, "per_trait": dict(per_trait), "per_trait_bytes": dict(per_trait_bytes),
}))
"""


def notebook(steps: int, backend: str) -> dict:
    cells = [SETUP.format(steps=steps, backend=backend), RUN]
    return {
        "cells": [
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": src.strip(),
            }
            for i, src in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def run(steps: int, backend: str) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        (root / "stream.ipynb").write_text(json.dumps(notebook(steps, backend)))
        with JupyterServer("lab", root) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.goto(server.notebook_url("stream.ipynb"))
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
                try:
                    page.wait_for_selector(".jp-Dialog", timeout=3_000)
                    page.click(".jp-Dialog .jp-mod-accept")
                except Exception:  # noqa: BLE001 - the dialog is rare
                    pass
                page.click(".lm-MenuBar-itemLabel:text-is('Run')")
                page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
                deadline = time.monotonic() + 900
                while time.monotonic() < deadline:
                    text = page.evaluate(
                        "() => [...document.querySelectorAll('.jp-OutputArea-output')]"
                        ".map(e => e.textContent).join('\\n')"
                    )
                    if "Traceback" in text:
                        raise RuntimeError(text[-3000:])
                    if "STREAM_RESULT " in text:
                        line = text.split("STREAM_RESULT ", 1)[1].split("\n")[0]
                        return json.loads(line)
                    time.sleep(0.5)
                raise TimeoutError("no result from the notebook")
            finally:
                browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--backend", default="auto", choices=["auto", "wasm", "webgpu"])
    args = parser.parse_args()
    result = run(args.steps, args.backend)
    seconds = result["seconds"]
    stats = result["stats"]
    print(
        f"run: {result['step']} steps, {seconds:.1f} s, backend {result['backend']}, "
        f"status {result['status']}"
    )
    print(f"{'trait':<20}{'msgs':>8}{'msgs/s':>10}{'bytes/s':>12}")
    for trait, count in sorted(result["per_trait"].items(), key=lambda kv: -kv[1]):
        size = result["per_trait_bytes"][trait]
        print(f"{trait:<20}{count:>8}{count / seconds:>10.1f}{size / seconds:>12.0f}")
    print(
        f"{'browser -> kernel':<20}{stats['in_msgs']:>8}{stats['in_msgs'] / seconds:>10.1f}"
        f"{stats['in_bytes'] / seconds:>12.0f}"
    )
    print(
        f"{'kernel -> browser':<20}{stats['out_msgs']:>8}{stats['out_msgs'] / seconds:>10.1f}"
        f"{stats['out_bytes'] / seconds:>12.0f}"
    )
    # Baseline: one message per progress report (every 10 steps), i.e. no throttle.
    reports = result["step"] / 10
    print(
        f"unthrottled baseline: {reports:.0f} progress reports -> "
        f"{reports / max(stats['in_msgs'], 1):.1f}x more messages than sent"
    )
    print(
        f"RESULT msgs_per_s={stats['in_msgs'] / seconds:.1f} "
        f"bytes_per_s={stats['in_bytes'] / seconds:.0f} "
        f"out_msgs_per_s={stats['out_msgs'] / seconds:.1f} "
        f"out_bytes_per_s={stats['out_bytes'] / seconds:.0f} "
        f"steps={result['step']} seconds={seconds:.2f} "
        f"steps_per_s={result['step'] / seconds:.0f} backend={result['backend']} "
        f"reports_per_msg={reports / max(stats['in_msgs'], 1):.1f}"
    )


if __name__ == "__main__":
    main()
