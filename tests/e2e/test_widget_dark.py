"""The widget in JupyterLab Dark: its colours come from the theme and its text is readable.

Also the layout faults of issue 16 that only a browser shows: the empty
chart's placeholder, the steps box, targets of extreme aspect, the title, the
loss line and the progress after a search. Screenshot: test-artifacts/widget-lab-dark.png.

The search cell runs only once the run's look has been checked: run by
"Run All", it starts a new run at once, whose empty chart the check then saw.
"""

from __future__ import annotations

from pathlib import Path

from .jupyter_server import wait_for_marker
from .notebook_ui import accept_kernel_dialog, run_cell, run_menu, select_cell
from .notebooks import write_notebook
from .widget_look import CONTRAST_JS, LAYOUT_JS

CELLS = [
    "import json\nimport numpy as np\nimport pelican_widget as pw\n"
    "w = pw.PelicanWidget(pw.sample('pelican'), scene=pw.Scene.pelican(), steps=150)\nw",
    "tall = pw.PelicanWidget(np.full((1000, 100), 0.4, np.float32))\ntall",
    "wide = pw.PelicanWidget(np.full((100, 1000), 0.4, np.float32))\nwide",
    "w.run()\nw.wait(timeout=300)\n"
    "print('PELICAN_RUN ' + json.dumps("
    "{'status': w.status, 'loss': w.loss, 'weights': w.weights}))",
    "w.refine(max_shapes=11, initial_steps=20, settle_steps=20, reoptimize_steps=20)\n"
    "w.wait(timeout=300)\nprint('PELICAN_SEARCH ' + json.dumps("
    "{'status': w.status, 'step': w.step, 'total': w.total_steps}))",
]


def _notebook(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "look.ipynb", CELLS, "c")


def _dark_theme(page) -> None:
    # as a user does: Settings > Theme > JupyterLab Dark
    page.click(".lm-MenuBar-itemLabel:text-is('Settings')", timeout=30_000)
    page.hover(".lm-Menu-itemLabel:text-is('Theme')")
    page.click(".lm-Menu-itemLabel:text-is('JupyterLab Dark')", timeout=10_000)
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")


def test_widget_dark_theme_and_layout(jupyter_server, page, artifacts, tmp_path):
    server = jupyter_server("lab", files=(_notebook(tmp_path),))
    page.goto(server.notebook_url("look.ipynb"))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    _dark_theme(page)
    accept_kernel_dialog(page)
    search_cell = len(CELLS) - 1
    select_cell(page, search_cell)
    run_menu(page, "Run All Above Selected Cell")
    page.wait_for_function(
        "() => document.querySelectorAll('.pelican-widget').length === 3", timeout=120_000
    )
    widgets = page.locator(".pelican-widget")
    main, tall, wide = widgets.nth(0), widgets.nth(1), widgets.nth(2)
    try:
        _check_before_search(page, main, tall, wide)
        run_cell(page, search_cell)
        _check_search(page, main)
    finally:
        main.screenshot(path=str(artifacts / "widget-lab-dark.png"))


def _check_before_search(page, main, tall, wide):
    assert page.evaluate("() => document.body.dataset.jpThemeLight") == "false"

    # before any run: the chart's placeholder is whole, inside the chart
    look = tall.evaluate(LAYOUT_JS)
    empty = look["empty"]
    assert empty["shown"] and empty["text"] == "loss (log scale) appears here during a run"
    assert not empty["overflow"], empty
    assert empty["box"]["x"] >= empty["chart"]["x"]
    assert empty["box"]["x"] + empty["box"]["w"] <= empty["chart"]["x"] + empty["chart"]["w"]
    # the steps box holds the largest run
    assert look["stepsText"] <= look["stepsRoom"], look
    # a 100x1000 target fits a screen; a 1000x100 one is not a sliver
    assert look["title"] == "drawing"
    assert look["widget"]["h"] < 900, look
    assert 300 <= look["target"]["h"] <= 330 and look["target"]["w"] < 40, look
    wide_look = wide.evaluate(LAYOUT_JS)
    assert wide_look["target"]["h"] >= 55, wide_look
    assert wide_look["target"]["w"] <= wide_look["panels"]["w"] + 1, wide_look
    assert wide_look["widget"]["h"] < 900, wide_look

    run = wait_for_marker(page, "PELICAN_RUN", timeout=300)
    assert run["status"] == "done", run
    main_look = main.evaluate(LAYOUT_JS)
    assert main_look["title"] == "pelican"
    assert main_look["overflowX"] <= 1, main_look
    assert not main_look["empty"]["shown"]
    # the loss line names every weighted term, and their sum is the total
    line = main.locator(".pelican-loss").text_content()
    weighted = [k for k, v in run["weights"].items() if v]
    for name in weighted:
        assert (name in line) == (run["loss"][name] != 0), line
    total = sum(run["weights"][k] * run["loss"][k] for k in weighted)
    assert abs(total - run["loss"]["total"]) <= 1e-4 * max(1.0, run["loss"]["total"]), run

    # readable in the dark theme: a dark widget, every text at WCAG AA contrast
    contrast = main.evaluate(CONTRAST_JS)
    assert contrast["widgetBackground"] < 0.05, contrast
    low = [r for r in contrast["rows"] if r["ratio"] < 4.5 and not r["disabled"]]
    assert len(contrast["rows"]) >= 10 and not low, low


def _check_search(page, main):
    search = wait_for_marker(page, "PELICAN_SEARCH", timeout=300)
    assert search["status"] == "done" and search["step"] == search["total"] > 0, search
    progress = main.locator(".pelican-progress-text").text_content()
    assert progress.startswith(f"step {search['step']} / {search['step']} "), progress
