"""The widget's start for photos: no shapes on the mean, the MSE objective, the search's options."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets
from without_numpy import assert_runs_without_numpy

import pelican_widget as pw
from pelican_widget._traits import OBJECTIVES


def photo(height: int = 40, width: int = 60) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.clip(0.2 + 0.5 * x / width + 0.1 * np.sin(y / 3.0), 0.0, 1.0)


def quantised_mean(image: np.ndarray) -> float:
    # the widget sends the target as 8-bit grey: its mean is that image's
    return float((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8).mean()) / 255


def test_a_photo_starts_from_no_shapes_on_its_mean_and_fits_by_mse():
    image = photo()
    w = pw.PelicanWidget(image, resolution=60)
    assert w.scene.shapes == ()
    assert w.scene.background == pytest.approx(quantised_mean(image), abs=1e-12)
    assert (w.scene.width, w.scene.height) == (60, 40)
    assert w.objective == "mse"
    assert w.weights == OBJECTIVES["mse"]
    # reset() goes back to that start
    assert w._initial_scene == w.scene


def test_the_built_in_target_keeps_the_pelican_and_the_reference_objective():
    w = pw.PelicanWidget()
    assert len(w.scene.shapes) == 9
    assert w.objective == "reference"
    assert w.weights == OBJECTIVES["reference"]


def test_a_given_scene_is_kept_whatever_the_target():
    w = pw.PelicanWidget(photo(), scene=pw.Scene.pelican())
    assert len(w.scene.shapes) == 9 and w.scene.background == 1.0


def test_objective_sets_the_weights_and_partial_weights_fill_in_from_it():
    w = pw.PelicanWidget(photo())
    w.weights = {"ssim": 0.1}
    assert w.weights == {**OBJECTIVES["mse"], "ssim": 0.1}
    w.objective = "reference"
    assert w.weights == OBJECTIVES["reference"]
    w.weights = {"canvas": 0.0}
    assert w.weights == {**OBJECTIVES["reference"], "canvas": 0.0}
    with pytest.raises(traitlets.TraitError):
        w.objective = "vibes"
    with pytest.raises(traitlets.TraitError, match="objective must be one of"):
        pw.PelicanWidget(photo(), objective="vibes")
    assert pw.PelicanWidget(photo(), objective="reference").weights == OBJECTIVES["reference"]


def test_run_without_shapes_says_to_refine_and_changes_nothing():
    w = pw.PelicanWidget(photo())
    before = (w.scene, w._run_request, w.status)
    with pytest.raises(ValueError, match=r"no shapes.*refine\("):
        w.run()
    assert (w.scene, w._run_request, w.status) == before


def test_refine_sends_the_objective_kinds_and_weights():
    w = pw.PelicanWidget(photo())
    w.refine(max_shapes=20, types=("ellipse", "circle", "ellipse"))
    request = w._run_request["refine"]
    assert request["maxShapes"] == 20
    assert request["types"] == ["ellipse", "circle"]
    assert request["loss"] == "mse" and request["weights"] == OBJECTIVES["mse"]
    assert "backgroundFromTarget" not in request
    w.stop()


def test_refine_with_a_named_loss_uses_that_objective_for_the_search_alone():
    w = pw.PelicanWidget(photo())
    w.weights = {"ssim": 0.2}
    w.refine(loss="reference")
    request = w._run_request["refine"]
    assert request["loss"] == "reference" and request["weights"] == OBJECTIVES["reference"]
    assert w.objective == "mse" and w.weights["ssim"] == 0.2
    w.stop()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"types": ["circle", "hexagon"]}, "unknown shape kind 'hexagon'"),
        ({"types": []}, "non-empty list"),
        ({"types": "circle"}, "non-empty list"),
        ({"loss": "vibes"}, "loss must be one of"),
        ({"max_rejects": 0}, "max_rejects"),
    ],
)
def test_refine_rejects_bad_options(kwargs, message):
    w = pw.PelicanWidget(photo())
    with pytest.raises(traitlets.TraitError, match=message):
        w.refine(**kwargs)
    assert w.status != "running"


def test_a_new_target_moves_an_empty_drawing_to_its_mean():
    w = pw.PelicanWidget(photo(), resolution=60)
    dark = photo() * 0.3
    w.set_target(dark)
    assert w.scene.shapes == ()
    assert w.scene.background == pytest.approx(quantised_mean(dark), abs=1e-12)
    w.scene = pw.Scene.pelican()
    w.set_target(photo())
    assert w.scene.background == 1.0 and len(w.scene.shapes) == 9


def test_without_numpy_the_browser_is_asked_for_the_mean(tmp_path):
    from PIL import Image

    path = tmp_path / "photo.png"
    Image.fromarray((photo() * 255).astype(np.uint8), mode="L").save(path)
    assert_runs_without_numpy(
        "import pelican_widget as pw\n"
        f"w = pw.PelicanWidget({str(path)!r})\n"
        "assert w.scene.shapes == () and w.objective == 'mse', w.scene\n"
        "w.refine(max_shapes=5)\n"
        "assert w._run_request['refine']['backgroundFromTarget'] is True\n"
    )
