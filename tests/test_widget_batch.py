"""refine(batch=...): the search's batch option goes to the browser, checked in Python."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets

import pelican_widget as pw


def photo() -> np.ndarray:
    y, x = np.mgrid[0:40, 0:60]
    return np.clip(0.2 + 0.5 * x / 60 + 0.1 * np.sin(y / 3.0), 0.0, 1.0)


def test_refine_leaves_batch_to_the_engine_by_default_and_sends_a_number() -> None:
    w = pw.PelicanWidget(photo())
    w.refine(max_shapes=200)
    assert "batch" not in w._run_request["refine"]
    w.stop()
    w.refine(max_shapes=200, batch=1)
    assert w._run_request["refine"]["batch"] == 1
    w.stop()


@pytest.mark.parametrize("batch", [0, -3, 2.5, True, "many", "1"])
def test_refine_rejects_a_bad_batch(batch: object) -> None:
    w = pw.PelicanWidget(photo())
    with pytest.raises(traitlets.TraitError, match="batch must be 'auto' or an integer"):
        w.refine(batch=batch)  # type: ignore[arg-type]
    assert w.status != "running"
