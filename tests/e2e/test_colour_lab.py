"""End to end: a colour target in a real JupyterLab, and the Grow button (issue 14).

A generated colour image with smooth shading, hard edges and texture stands in
for a photo. From the default start (no shapes on the target's mean colour)
``w.refine()`` must fill its budget with colour shapes, stream RGB PNG frames
and leave an MSE well below that of a flat canvas of the mean colour. A second
widget on the same image is grown from the page: its Grow button starts the
search with the budget typed next to it, with no Python call.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .jupyter_server import wait_for_marker
from .notebook_ui import open_and_run_all, run_cell
from .notebooks import write_notebook, write_photo

BUDGET = 25
GROW_BUDGET = 6

CELLS = [
    f"""
import io, json
import numpy as np
from PIL import Image
import pelican_widget as pw
w = pw.PelicanWidget("photo.png", resolution=96)
start = {{"colour": w.colour, "shapes": len(w.scene.shapes), "background": w.scene.background}}
w.refine(max_shapes={BUDGET}, seed=3)
w
""",
    """
status = w.wait(timeout=300)
target = pw.load_target("photo.png", resolution=96)
frame = Image.open(io.BytesIO(w.frame))
fills = [s.fill for s in w.scene.shapes]
print("PELICAN_COLOUR " + json.dumps({
    "status": status, "error": w.error, "start": start, "colour": w.colour,
    "shapes": len(w.scene.shapes), "channels": w.scene.channels,
    "coloured": sum(max(f) - min(f) > 0.1 for f in fills),
    "frame": [frame.mode, *frame.size], "target": list(target.shape),
    "mse": pw.loss(w.scene, target)["mse"],
    "flat": float(target.astype(np.float64).var(axis=(0, 1)).mean()),
    "mean": target.reshape(-1, 3).astype(np.float64).mean(axis=0).tolist(),
}))
""",
    """
g = pw.PelicanWidget("photo.png", resolution=48)
g
""",
    # run again by the test once the page's search has ended
    """
if g.rounds:
    print("PELICAN_GROW " + json.dumps({
        "status": g.status, "error": g.error, "shapes": len(g.scene.shapes),
        "channels": g.scene.channels, "rounds": len(g.rounds),
        "budget": g._run_request["refine"]["maxShapes"],
        "types": g._run_request["refine"].get("types"),
        "kinds": sorted({s.type for s in g.scene.shapes}),
        "frame": Image.open(io.BytesIO(g.frame)).mode,
    }))
""",
]


def _files(tmp_path: Path) -> tuple[Path, Path]:
    # RGB: a warm-to-cool gradient, a red disc, a dark blue wedge, texture
    photo = write_photo(
        tmp_path / "photo.png",
        lambda x, y: np.stack([0.3 + 0.5 * x, 0.5 + 0.2 * np.sin(6 * y), 0.8 - 0.5 * x], axis=-1),
        disc=(0.9, 0.15, 0.1),
        wedge=(0.1, 0.12, 0.45),
        noise=0.04,
    )
    notebook = write_notebook(tmp_path / "colour.ipynb", [c.strip() for c in CELLS], "colour-")
    return notebook, photo


def test_colour_refine_and_grow_in_jupyterlab(jupyter_server, page, artifacts, tmp_path):
    server = jupyter_server("lab", files=_files(tmp_path))
    open_and_run_all(page, server.notebook_url("colour.ipynb"))
    try:
        result = wait_for_marker(page, "PELICAN_COLOUR", timeout=300)
    finally:
        page.screenshot(path=str(artifacts / "colour-lab-refine.png"))

    assert result["status"] == "done" and result["error"] == "", result
    # a colour photo starts in colour, with no shapes, on its mean colour
    assert result["start"]["colour"] == "rgb" and result["start"]["shapes"] == 0
    np.testing.assert_allclose(result["start"]["background"], result["mean"], atol=1e-6)
    assert result["colour"] == "rgb" and result["channels"] == 3
    assert result["target"] == [72, 96, 3]
    assert result["frame"] == ["RGB", 96, 72]
    assert result["shapes"] >= int(0.9 * BUDGET), result
    assert result["coloured"] >= 3, result
    assert result["mse"] < 0.35 * result["flat"], result
    # the drawing on the page is in colour too
    drawn = page.evaluate(
        """() => {
          const c = document.querySelectorAll(".pelican-widget canvas.pelican-drawing")[0];
          const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
          let spread = 0;
          for (let i = 0; i < d.length; i += 4) {
            const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
            spread = Math.max(spread, Math.max(r, g, b) - Math.min(r, g, b));
          }
          return spread;
        }"""
    )
    assert drawn > 100, drawn

    # the second widget: Run is off on its empty drawing, Grow is on
    view = page.locator(".pelican-widget").nth(1)
    view.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => document.querySelectorAll('.pelican-widget')[1]?.dataset.status === 'ready'",
        timeout=90_000,
    )
    grow = view.locator("button.pelican-grow")
    assert view.locator("button.pelican-run").is_disabled()
    assert grow.is_enabled()
    view.locator("input.pelican-grow-shapes").fill(str(GROW_BUDGET))
    # the search may add only the kinds left ticked
    for kind in ("triangle", "curve"):
        view.locator(f'input.pelican-grow-kind[value="{kind}"]').uncheck()
    grow.click()
    page.wait_for_function(
        "() => document.querySelectorAll('.pelican-widget')[1].dataset.status === 'running'",
        timeout=30_000,
    )
    assert grow.is_disabled()
    page.wait_for_function(
        "() => document.querySelectorAll('.pelican-widget')[1].dataset.status !== 'running'",
        timeout=300_000,
    )
    page.screenshot(path=str(artifacts / "colour-lab-grow.png"))
    assert grow.is_enabled()
    run_cell(page, 3)
    grown = wait_for_marker(page, "PELICAN_GROW", timeout=60)
    assert grown["status"] == "done" and grown["error"] == "", grown
    assert grown["budget"] == GROW_BUDGET
    assert 1 <= grown["shapes"] <= GROW_BUDGET, grown
    assert grown["channels"] == 3 and grown["frame"] == "RGB", grown
    assert grown["types"] == ["circle", "ellipse", "rect"], grown
    assert set(grown["kinds"]) <= {"circle", "ellipse", "rect"}, grown
