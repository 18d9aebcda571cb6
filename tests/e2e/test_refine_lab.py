"""End to end: ``w.refine()`` in a real JupyterLab, in Debian chromium.

A two-cell notebook shows the widget and runs a short shape search; the test
reads the round log that reached Python, the scene updates Python saw during
the search, and the round list the widget shows.
"""

from __future__ import annotations

from pathlib import Path

from .jupyter_server import wait_for_marker
from .notebook_ui import open_and_run_all
from .notebooks import write_notebook

CELLS = [
    """
import json
import pelican_widget as pw
w = pw.PelicanWidget()
shape_counts = []
w.observe(lambda change: shape_counts.append(len(change["new"].shapes)), names="scene")
w
""",
    """
w.refine(max_shapes=13, initial_steps=100, settle_steps=20, reoptimize_steps=40, seed=1)
status = w.wait(timeout=300)
print("PELICAN_REFINE " + json.dumps({
    "status": status, "error": w.error, "rounds": w.rounds, "shapes": len(w.scene.shapes),
    "counts": shape_counts, "loss": w.loss.get("total"),
}))
""",
]


def _notebook(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "refine.ipynb", [c.strip() for c in CELLS], "refine-")


def test_refine_in_jupyterlab(jupyter_server, page, artifacts, tmp_path):
    server = jupyter_server("lab", files=(_notebook(tmp_path),))
    open_and_run_all(page, server.notebook_url("refine.ipynb"))
    try:
        # mid-search: the round list is on screen and growing
        page.wait_for_selector(".pelican-widget .pelican-round", timeout=180_000)
        page.locator(".pelican-widget").screenshot(path=str(artifacts / "refine-lab-running.png"))
        result = wait_for_marker(page, "PELICAN_REFINE", timeout=300)
        page.wait_for_timeout(500)
        shown = page.locator(".pelican-widget .pelican-round").count()
    finally:
        page.screenshot(path=str(artifacts / "refine-lab-page.png"))

    assert result["status"] == "done", result
    assert result["error"] == ""
    rounds = result["rounds"]
    assert rounds, result
    assert [r["round"] for r in rounds] == list(range(1, len(rounds) + 1))
    for r in rounds:
        base = {"round", "type", "lossBefore", "lossAfter", "accepted", "shapes", "added", "kept"}
        assert base <= set(r) <= base | {"pruned"}, r
        assert r["accepted"] == (r["lossAfter"] < r["lossBefore"]), r
        assert 0 <= r["kept"] <= r["added"] and (r["kept"] > 0) == r["accepted"], r
    kept = sum(r["kept"] for r in rounds)
    pruned = sum(r.get("pruned", 0) for r in rounds)
    assert sum(r["accepted"] for r in rounds) >= 2, rounds
    assert result["shapes"] == 9 + kept - pruned
    # the final polish is kept only if it helps
    assert result["loss"] <= min(r["lossAfter"] for r in rounds if r["accepted"]) + 1e-7
    # the drawing reached Python during the search, not only at its end
    counts = result["counts"]
    assert len(set(counts)) >= 3 and max(counts) >= 9 + kept - pruned, counts
    assert shown == len(rounds)
