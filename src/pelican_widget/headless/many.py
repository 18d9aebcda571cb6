"""``fit_many``: many images, one engine process per core, or tasks on a Dask cluster.

Each image is one whole job (one Node process running one search), so the
work spreads without any coordination between images. Locally a thread per
job waits on its Node process; on a cluster each image is one Dask task, sent
with the image's bytes (the workers need no shared file system) and answered
with its scene and SVG.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..scene import Scene
from .fit import FitOptions, fit_result, kinds

NOT_STARTED = "not started: the batch was stopped"


@dataclass(frozen=True)
class ImageResult:
    """One image of :func:`fit_many`.

    Attributes
    ----------
    name : str
        The path as given (``"image <i>"`` for a source that is not a path).
    scene : Scene or None
        The best drawing; None when the image failed.
    svg : str or None
        ``scene.to_svg()``.
    loss : float or None
        The drawing's loss (``total`` at the evaluation tau).
    seconds : float
        Wall time of the image, Node start and image loading included.
    backend : str
        The engine that ran it.
    stopped : str
        As :attr:`FitResult.stopped`; "" when the image failed.
    error : str or None
        Why the image failed (e.g. it is not an image), else None.

    """

    name: str
    scene: Scene | None
    svg: str | None
    loss: float | None
    seconds: float
    backend: str = ""
    stopped: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the image has a drawing."""
        return self.error is None


def fit_image(
    name: str, source: Any, options: FitOptions, stop: threading.Event | None = None
) -> ImageResult:
    """Fit one image of a batch; a bad image gives an :class:`ImageResult` with ``error``.

    This is the task that runs on a Dask worker; ``source`` is then the image's bytes.
    """
    started = time.perf_counter()
    if stop is not None and stop.is_set():
        return ImageResult(name, None, None, None, 0.0, error=NOT_STARTED)
    try:
        result = fit_result(source, options, stop=stop)
    except (OSError, ValueError, TypeError, RuntimeError) as err:
        return ImageResult(name, None, None, None, time.perf_counter() - started, error=str(err))
    return ImageResult(
        name=name,
        scene=result.scene,
        svg=result.scene.to_svg(),
        loss=result.loss["total"],
        seconds=time.perf_counter() - started,
        backend=result.backend,
        stopped=result.stopped,
    )


def _named(sources: Iterable[Any]) -> list[tuple[str, Any]]:
    items = []
    for index, source in enumerate(sources):
        if isinstance(source, (str, os.PathLike)):
            items.append((os.fspath(source), source))
        else:
            items.append((f"image {index}", source))
    return items


def fit_many(
    paths: Sequence[Any],
    *,
    client: Any = None,
    jobs: int | None = None,
    shapes: int = 100,
    colour: str = "auto",
    types: Sequence[str] | None = None,
    backend: str = "auto",
    seed: int = 0,
    resolution: int = 128,
    loss: str = "mse",
    opacity: float = 1.0,
    on_result: Callable[[ImageResult], None] | None = None,
    stop: threading.Event | None = None,
) -> list[ImageResult]:
    """Fit many images: one engine process per core here, or one task per image on Dask.

    Parameters
    ----------
    paths : sequence of str or os.PathLike (or anything :func:`fit` takes)
        The images.
    client : dask.distributed.Client, optional
        Run on this cluster: each image is one task, sent with the image's
        bytes; the workers need ``pelican-widget[headless]`` installed (for
        Node). Without it, the images run on this machine.
    jobs : int, optional
        Engine processes at once on this machine (default: one per core).
        Each runs the Wasm kernel on one thread. Ignored with a client (the
        cluster's worker threads decide).
    shapes, colour, types, backend, seed, resolution, loss, opacity
        As for :func:`fit`, the same for every image.
    on_result : callable, optional
        Called with each :class:`ImageResult` as soon as it is ready (in the
        calling thread).
    stop : threading.Event, optional
        Setting it stops a batch on this machine: running images answer with
        their best drawing, images not started fail with "not started". A
        Ctrl-C sets it. On a cluster a Ctrl-C cancels the unfinished tasks
        instead (they fail with "not started").

    Returns
    -------
    list of ImageResult
        In the order of ``paths``. A bad image fails alone (``error``); the
        others go on.

    """
    options = FitOptions(
        shapes=shapes,
        colour=colour,
        types=kinds(types),
        backend=backend,
        seed=seed,
        resolution=resolution,
        loss=loss,
        workers=0,
        opacity=opacity,
    )
    items = _named(paths)
    report = on_result or (lambda _result: None)
    if client is not None:
        return _on_cluster(client, items, options, report)
    if jobs is None:
        jobs = os.cpu_count() or 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    return _on_this_machine(items, options, jobs, report, stop or threading.Event())


def _on_this_machine(
    items: list[tuple[str, Any]],
    options: FitOptions,
    jobs: int,
    report: Callable[[ImageResult], None],
    stop: threading.Event,
) -> list[ImageResult]:
    results: list[ImageResult | None] = [None] * len(items)
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="pelican-fit") as pool:
        futures = {
            pool.submit(fit_image, name, source, options, stop): index
            for index, (name, source) in enumerate(items)
        }
        pending = set(futures)
        while pending:
            try:
                for future in as_completed(pending):
                    pending.discard(future)
                    results[futures[future]] = future.result()
                    report(future.result())
            except KeyboardInterrupt:
                # The running images answer with their best drawings; the rest do not start.
                stop.set()
    return [r for r in results if r is not None]


def _read(source: Any) -> Any:
    """Read a path's bytes (workers may not see this file system); pass other sources on."""
    if isinstance(source, (str, os.PathLike)):
        return Path(source).read_bytes()
    return source


def _on_cluster(
    client: Any,
    items: list[tuple[str, Any]],
    options: FitOptions,
    report: Callable[[ImageResult], None],
) -> list[ImageResult]:
    from distributed import as_completed as completed

    results: list[ImageResult | None] = [None] * len(items)
    futures = {}
    for index, (name, source) in enumerate(items):
        try:
            data = _read(source)
        except OSError as err:
            unread = ImageResult(name, None, None, None, 0.0, error=str(err))
            results[index] = unread
            report(unread)
            continue
        future = client.submit(fit_image, name, data, options, pure=False)
        futures[future] = index
    try:
        for future in completed(list(futures)):  # type: ignore[no-untyped-call]
            result = future.result()
            results[futures[future]] = result
            report(result)
    except KeyboardInterrupt:
        client.cancel(list(futures))
        for index in futures.values():
            if results[index] is None:
                name = items[index][0]
                results[index] = ImageResult(name, None, None, None, 0.0, error=NOT_STARTED)
    return [r for r in results if r is not None]
