"""fit_many: one engine process per core here, and tasks on a 2-worker Dask LocalCluster."""

import threading

import pytest
from headless_data import busy_photo

import pelican_widget as pw
from pelican_widget.headless import ImageResult, fit_many

OPTIONS = {"shapes": 3, "resolution": 24, "seed": 5}


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    good = [busy_photo(folder / f"p{i}.png", i) for i in range(3)]
    bad = folder / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not a png")
    return good, str(bad), str(folder / "missing.png")


@pytest.fixture(scope="module")
def expected(images):
    good, _, _ = images
    return [pw.fit(p, backend="wasm", workers=0, progress=False, **OPTIONS) for p in good]


def _check(results, names, expected):
    assert [r.name for r in results] == names
    for result, scene in zip(results[:3], expected, strict=True):
        assert result.ok and result.error is None and result.stopped != "aborted"
        assert result.scene == scene  # the same drawing as fit() of that image
        assert result.svg == scene.to_svg()
        assert result.loss > 0 and result.backend == "wasm"


def test_fit_many_locally_with_two_jobs(images, expected):
    good, bad, missing = images
    seen = []
    results = fit_many(
        [*good, bad, missing], jobs=2, backend="wasm", on_result=seen.append, **OPTIONS
    )
    _check(results, [*good, bad, missing], expected)
    assert not results[3].ok and "cannot read" in results[3].error and results[3].scene is None
    assert not results[4].ok and "not found" in results[4].error
    assert sorted(r.name for r in seen) == sorted(r.name for r in results)


def test_fit_many_stopped_before_start():
    stop = threading.Event()
    stop.set()
    (result,) = fit_many(["anything.png"], jobs=1, stop=stop, **OPTIONS)
    assert result == ImageResult("anything.png", None, None, None, 0.0, error=result.error)
    assert result.error.startswith("not started")


def test_fit_many_rejects_bad_jobs(images):
    with pytest.raises(ValueError, match="jobs must be a positive integer"):
        fit_many(images[0], jobs=0)


def test_fit_many_on_a_dask_localcluster(images, expected):
    distributed = pytest.importorskip("distributed", reason="the dask extra")
    good, bad, missing = images
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        seen = []
        results = fit_many(
            [*good, bad, missing], client=client, backend="wasm", on_result=seen.append, **OPTIONS
        )
        workers = client.run(lambda: 1)
    assert len(workers) == 2
    _check(results, [*good, bad, missing], expected)
    assert "cannot read" in results[3].error
    assert "missing.png" in results[4].error  # read here: the workers get bytes
    assert len(seen) == 5
