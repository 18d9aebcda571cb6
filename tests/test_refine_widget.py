"""PelicanWidget.refine: the request it sends to the browser, and its validation.

The search itself runs in the browser engine and is tested under Node
(js/test/refine.test.mjs) and end to end in tests/e2e.
"""

from __future__ import annotations

import pytest
import traitlets

from pelican_widget import PelicanWidget


@pytest.fixture
def widget() -> PelicanWidget:
    return PelicanWidget()


def test_refine_sends_a_run_request_with_the_search_options(widget: PelicanWidget) -> None:
    widget.seed = 7
    widget.refine(max_shapes=20, proposal="random", settle_steps=10, reoptimize_steps=30)
    request = widget._run_request
    assert request["id"] == 1
    assert request["refine"] == {
        "proposal": "random",
        "maxShapes": 20,
        "seed": 7,
        "settleSteps": 10,
        "reoptimizeSteps": 30,
        # the built-in target fits by the reference objective, with its weights
        "loss": "reference",
        "weights": widget.weights,
    }
    assert widget.weights["ssim"] > 0 and widget.weights["edge"] > 0
    assert widget.status == "running"


def test_refine_defaults_leave_the_step_counts_to_the_engine(widget: PelicanWidget) -> None:
    widget.refine()
    options = widget._run_request["refine"]
    assert options["maxShapes"] == 35
    assert options["proposal"] == "error"
    assert not {"initialSteps", "settleSteps", "reoptimizeSteps"} & set(options)


def test_refine_while_running_is_refused(widget: PelicanWidget) -> None:
    widget.run(10)
    with pytest.raises(RuntimeError, match="already in progress"):
        widget.refine()
    widget.stop()
    widget.refine(seed=3)
    assert widget._run_request["refine"]["seed"] == 3


def test_plain_runs_carry_no_search(widget: PelicanWidget) -> None:
    widget.refine()
    widget.stop()
    widget.run(10)
    assert "refine" not in widget._run_request


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_shapes": 0}, "max_shapes"),
        ({"max_shapes": True}, "max_shapes"),
        ({"max_shapes": 2.5}, "max_shapes"),
        ({"proposal": "psychic"}, "proposal"),
        ({"seed": -1}, "seed"),
        ({"settle_steps": -5}, "settle_steps"),
        ({"reoptimize_steps": "many"}, "reoptimize_steps"),
        ({"initial_steps": 10**7}, "initial_steps"),
        ({"max_rejects": 0}, "max_rejects"),
    ],
)
def test_bad_refine_arguments_raise_and_send_nothing(
    widget: PelicanWidget, kwargs: dict, message: str
) -> None:
    with pytest.raises(traitlets.TraitError, match=message):
        widget.refine(**kwargs)
    assert widget._run_request["id"] == 0
    assert widget.status != "running"


def test_rounds_are_written_by_the_browser_only(widget: PelicanWidget) -> None:
    assert widget.rounds == []
    with pytest.raises(traitlets.TraitError, match="read-only"):
        widget.rounds = [{"round": 1}]


def test_a_malformed_refine_request_is_refused(widget: PelicanWidget) -> None:
    with pytest.raises(traitlets.TraitError, match="refine"):
        widget._run_request = {"id": 1, "steps": 10, "stop": 0, "refine": [1, 2]}
