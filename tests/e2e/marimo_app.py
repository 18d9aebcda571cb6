"""A marimo notebook with the widget, driven by tests/e2e/test_marimo.py.

It follows docs/marimo.md: the widget is shown through ``mo.ui.anywidget``;
runs start from a ``mo.ui.run_button`` cell (which references the button, not
the widget, so browser updates never re-run it); a status cell references
the wrapped widget and so re-runs on every update the browser sends.
PELICAN_MARIMO_OUT names the folder the export button writes into.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import os
    import pathlib

    import marimo as mo

    import pelican_widget as pw

    out = pathlib.Path(os.environ.get("PELICAN_MARIMO_OUT", "."))
    return mo, out, pw


@app.cell
def _(mo, pw):
    w = pw.PelicanWidget(pw.sample("pelican"), scene=pw.Scene.pelican(), steps=300)
    view = mo.ui.anywidget(w)
    view  # noqa: B018 - marimo shows a cell's last expression
    return view, w


@app.cell
def _(mo):
    start = mo.ui.run_button(label="start 300 steps")
    export = mo.ui.run_button(label="export")
    mo.hstack([start, export])
    return export, start


@app.cell
def _(start, w):
    # references `start` only: a click runs this cell, browser updates do not
    if start.value:
        w.run()


@app.cell
def _(export, out, w):
    exported = []
    if export.value:
        w.save_svg(out / "marimo.svg")
        w.save_animation(out / "marimo-animation.svg")
        w.save_gif(out / "marimo.gif", size=128)
        exported = sorted(p.name for p in out.iterdir())
    exported  # noqa: B018 - the cell's output


@app.cell
def _(mo, view, w):
    # references `view`: re-runs whenever the browser updates the widget
    view  # noqa: B018
    mo.md(f"MARIMO_STATUS {w.status} step {w.step} snapshots {len(w.snapshots)}")


if __name__ == "__main__":
    app.run()
