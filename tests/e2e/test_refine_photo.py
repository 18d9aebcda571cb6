"""End to end: the shape search on a photo-like target, in a real JupyterLab.

A generated grey image with smooth shading, hard edges and texture stands in
for a photo the project has never seen. From the default start (no shapes on
the target's mean) ``w.refine()`` must fill its budget and leave an MSE well
below that of a flat canvas of the mean grey (the target's variance).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .jupyter_server import wait_for_marker
from .notebook_ui import open_and_run_all
from .notebooks import write_notebook, write_photo

BUDGET = 30

CELLS = [
    f"""
import json
import numpy as np
import pelican_widget as pw
w = pw.PelicanWidget("photo.png", resolution=96)
start = {{"shapes": len(w.scene.shapes), "background": w.scene.background}}
w.refine(max_shapes={BUDGET}, seed=3)
w
""",
    """
status = w.wait(timeout=300)
target = pw.load_target("photo.png", resolution=96)
print("PELICAN_PHOTO " + json.dumps({
    "status": status, "error": w.error, "start": start, "shapes": len(w.scene.shapes),
    "mse": pw.loss(w.scene, target)["mse"], "flat": float(target.var()),
    "mean": float(target.mean()), "stopped_rounds": len(w.rounds),
}))
""",
]


def _files(tmp_path: Path) -> tuple[Path, Path]:
    # grey: a lit gradient, a bright disc, a dark hard-edged wedge, texture
    photo = write_photo(
        tmp_path / "photo.png",
        lambda x, y: 0.2 + 0.6 * x + 0.15 * np.sin(6 * y),
        disc=0.9,
        wedge=0.12,
        noise=0.05,
    )
    notebook = write_notebook(tmp_path / "photo.ipynb", [c.strip() for c in CELLS], "photo-")
    return notebook, photo


def test_refine_fills_budget_on_photo_like_target(jupyter_server, page, artifacts, tmp_path):
    server = jupyter_server("lab", files=_files(tmp_path))
    open_and_run_all(page, server.notebook_url("photo.ipynb"))
    try:
        result = wait_for_marker(page, "PELICAN_PHOTO", timeout=300)
    finally:
        page.screenshot(path=str(artifacts / "refine-photo-page.png"))

    assert result["status"] == "done", result
    assert result["error"] == ""
    # the default start for a target other than the built-in one: no shapes on its mean
    assert result["start"]["shapes"] == 0
    assert abs(result["start"]["background"] - result["mean"]) < 1e-6
    assert result["shapes"] >= int(0.95 * BUDGET), result
    assert result["mse"] < 0.35 * result["flat"], result
