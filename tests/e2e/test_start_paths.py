"""End to end: Run All in JupyterLab over cells that ``wait()`` runs them in order.

The cells append their index to a list and two of them start a run and wait
for it; the notebook's execution counts (read from the page) and the list must
follow the notebook order. The other start paths (reload or kernel restart
mid-run, stop then run) are repeated by ``tests/e2e/soak.py``, which CI runs.
"""

from __future__ import annotations

from . import soak
from .notebooks import write_notebook


def test_run_all_runs_cells_in_order_with_wait_in_them(jupyter_server, page):
    server = jupyter_server("lab")
    write_notebook(server.root_dir / "order.ipynb", soak.ORDER_CELLS, "order-")
    soak._open(page, server, "order.ipynb")
    result = soak.run_all_in_order(page)
    assert result["seen"] == list(range(len(soak.ORDER_CELLS))), result
    counts = result["counts"]
    assert None not in counts, result
    assert counts == sorted(counts) and len(set(counts)) == len(counts), result
    assert result["first"] == result["second"] == "done", result
    assert (result["after_first"], result["step"]) == (120, 80), result
