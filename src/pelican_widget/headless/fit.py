"""``fit``: the widget's shape search (or a plain optimisation) with no browser.

The job runs on the same bundled engine as the widget, under Node
(:mod:`.process`). Its options are the ones ``PelicanWidget.refine`` sends, so
with the Wasm backend and a seed the result is the widget's drawing.
"""

from __future__ import annotations

import base64
import numbers
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._traits import OBJECTIVES
from ..animation import Snapshot
from ..scene import SHAPE_TYPES, Scene
from ..target import COLOURS, load_target
from .node import webgpu_module
from .process import run_job
from .progress import step_bar

BACKENDS = ("auto", "wasm", "webgpu")
MAX_SHAPES = 1000
MAX_STEPS = 1_000_000
MAX_WORKERS = 16


@dataclass(frozen=True)
class FitOptions:
    """What to fit and how (see :func:`fit` for the meaning of each field).

    A value type, so that :func:`fit_many` can hand the same options to every
    image, on this machine or on a Dask worker.
    """

    shapes: int = 100
    steps: int | None = None
    colour: str = "auto"
    types: tuple[str, ...] | None = None
    backend: str = "auto"
    seed: int = 0
    resolution: int = 128
    loss: str = "mse"
    workers: int | None = None
    opacity: float = 1.0

    def __post_init__(self) -> None:
        _check_int("shapes", self.shapes, 1, MAX_SHAPES)
        object.__setattr__(self, "opacity", check_opacity(self.opacity))
        if self.steps is not None:
            _check_int("steps", self.steps, 1, MAX_STEPS)
        _check_choice("colour", self.colour, COLOURS)
        _check_choice("backend", self.backend, BACKENDS)
        _check_choice("loss", self.loss, tuple(OBJECTIVES))
        _check_int("seed", self.seed, 0, 2**31 - 1)
        if self.workers is not None:
            _check_int("workers", self.workers, 0, MAX_WORKERS)
        if self.types is not None:
            if isinstance(self.types, str) or not isinstance(self.types, (tuple, list)):
                raise TypeError(f"types must be a sequence of shape kinds, got {self.types!r}")
            unknown = [t for t in self.types if t not in SHAPE_TYPES]
            if unknown or not self.types:
                raise ValueError(
                    f"types must be a non-empty sequence of {', '.join(SHAPE_TYPES)}; "
                    f"got {list(self.types)!r}"
                )
            object.__setattr__(self, "types", tuple(self.types))


@dataclass(frozen=True)
class FitResult:
    """The outcome of one fit.

    Attributes
    ----------
    scene : Scene
        The best drawing found (also when the run was stopped).
    loss : dict of str to float
        Its loss terms at the evaluation tau (0.5 px) and ``total``, the
        weighted sum under the fit's objective.
    backend, backend_reason : str
        The engine that ran ("wasm" or "webgpu") and why, as the widget shows.
    steps : int
        Optimiser steps run.
    stopped : str
        Why it ended: the search's "budget", "plateau" or "rejects", "steps" for
        a plain optimisation, "aborted" when it was stopped.
    seconds : float
        Time in the engine (without starting Node and loading the target).
    snapshots : tuple of Snapshot
        When asked for: the start drawing, the drawing after each kept shape of
        the search, and the result (as the widget's ``snapshots``, for
        :func:`pelican_widget.animation.save_gif`).

    """

    scene: Scene
    loss: dict[str, float]
    backend: str
    backend_reason: str
    steps: int
    stopped: str
    seconds: float
    snapshots: tuple[Snapshot, ...] = field(default=(), repr=False)


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")


def check_opacity(value: Any) -> float:
    """Return a start opacity of new shapes as a float, checked as ``PelicanWidget.refine`` does.

    Raises
    ------
    TypeError
        For a value that is not a number (booleans included).
    ValueError
        For a number outside (0, 1], NaN included.

    """
    message = f"opacity must be a number in (0, 1], got {value!r}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(message)
    number = float(value)
    if not 0.0 < number <= 1.0:
        raise ValueError(message)
    return number


def kinds(types: Sequence[str] | None) -> tuple[str, ...] | None:
    """Return ``types`` as a tuple (None stays None); a single string is refused."""
    if types is None:
        return None
    if isinstance(types, str) or not isinstance(types, Sequence):
        raise TypeError(f"types must be a sequence of shape kinds, got {types!r}")
    return tuple(types)


def _check_choice(name: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")


def default_workers() -> int:
    """Worker threads of the Wasm kernel for one fit: one per core, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


def _start_scene(target: Any) -> Scene:
    """No shapes on the target's mean: what the widget starts a photo from (8-bit levels)."""
    import numpy as np

    levels = (np.clip(target, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    height, width = target.shape[:2]
    if target.ndim == 2:
        return Scene(width=width, height=height, background=float(levels.mean()) / 255.0)
    red, green, blue = (float(m) for m in levels.reshape(-1, 3).mean(axis=0) / 255.0)
    return Scene(width=width, height=height, background=(red, green, blue))


def _as_scene(value: Any) -> Scene:
    if isinstance(value, Scene):
        return value
    if isinstance(value, dict):
        return Scene.from_dict(value)
    if isinstance(value, (str, bytes)):
        return Scene.from_json(value)
    raise TypeError(f"scene must be a Scene, a dict or JSON text, got {type(value).__name__}")


def refine_options(options: FitOptions) -> dict[str, Any]:
    """Return the options of ``engine.refine`` for a search, as ``PelicanWidget.refine`` sends them.

    The widget's request (``widget.refine``) is filtered by
    ``js/ui/refine_runner.js``, which adds the objective's weights; this is
    that result, so the same seed gives the same rounds in both.
    """
    result: dict[str, Any] = {
        "proposal": "error",
        "loss": options.loss,
        "maxShapes": options.shapes,
        "seed": options.seed,
        "weights": dict(OBJECTIVES[options.loss]),
    }
    if options.types is not None:
        result["types"] = list(options.types)
    # Omitted at 1, as the widget does: opaque shapes are the engine's default.
    if options.opacity < 1.0:
        result["opacity"] = options.opacity
    return result


def build_job(
    target: Any, options: FitOptions, scene: Scene | dict[str, Any] | str | None = None
) -> dict[str, Any]:
    """Return the engine job (``js/headless/main.js``) for a target and options.

    Raises
    ------
    ValueError, TypeError, FileNotFoundError
        For a target that cannot be loaded (as :func:`pelican_widget.load_target`),
        bad options, or a scene that does not fit the target.

    """
    import numpy as np

    given = None if scene is None else _as_scene(scene)
    colour = options.colour
    if colour == "auto" and given is not None and given.channels == 3:
        colour = "rgb"  # as in the widget: a drawing in colour stays in colour
    data = load_target(target, options.resolution, colour=colour)
    height, width = data.shape[:2]
    channels = 1 if data.ndim == 2 else 3
    if given is None:
        if options.steps is not None:
            raise ValueError(
                "steps sets the length of a plain optimisation of a given scene=; "
                "the search (no scene) picks its own step counts"
            )
        start = _start_scene(data)
    else:
        start = given.copy(width=width, height=height)
        if start.channels == 3 and channels == 1:
            raise ValueError(
                "the scene has colour fills but the target is grey; use colour='rgb' "
                "(or 'auto' on a colour image), or a grey scene"
            )
    if options.steps is not None:
        if options.opacity < 1.0:
            raise ValueError(
                "opacity sets the start opacity of the shapes a search adds; "
                "a plain optimisation (steps=) adds none"
            )
        mode = "optimize"
        engine_options: dict[str, Any] = {
            "steps": options.steps,
            "weights": dict(OBJECTIVES[options.loss]),
        }
    else:
        mode = "refine"
        engine_options = refine_options(options)
    payload = np.ascontiguousarray(data, dtype="<f4").tobytes()
    job: dict[str, Any] = {
        "target": {
            "width": width,
            "height": height,
            "channels": channels,
            "data": base64.b64encode(payload).decode("ascii"),
        },
        "scene": start.to_dict(),
        "mode": mode,
        "options": engine_options,
        "backend": options.backend,
        "workers": default_workers() if options.workers is None else options.workers,
    }
    module = webgpu_module() if options.backend != "wasm" else None
    if module:
        job["webgpuModule"] = module
    return job


def fit_result(
    target: Any,
    options: FitOptions,
    *,
    scene: Scene | dict[str, Any] | str | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    stop: threading.Event | None = None,
    snapshots: bool = False,
) -> FitResult:
    """Fit one target and return the full :class:`FitResult`.

    Parameters
    ----------
    target
        A path, PNG/JPEG bytes, a PIL image or an array.
    options
        The fit's options.
    scene
        A start drawing (see :func:`fit`).
    on_event
        Called with each engine event (``start``, ``progress``, ``round``, ``done``).
    stop
        Setting it stops the engine, which answers with its best drawing.
    snapshots
        Keep the drawing after each kept shape in ``snapshots``.

    """
    job = build_job(target, options, scene)
    frames = [Snapshot(0, None, Scene.from_dict(job["scene"]))]
    info: dict[str, Any] = {"backend": "", "reason": "", "step": 0}

    def handle(event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "start":
            info["backend"] = event["backend"]
            info["reason"] = event["reason"]
        elif kind == "progress":
            info["step"] = event["step"]
        elif kind == "round" and event["accepted"] and snapshots:
            drawing = Scene.from_dict(event["scene"])
            frames.append(Snapshot(info["step"], event["lossAfter"], drawing))
        if on_event is not None:
            on_event(event)

    done = run_job(job, handle, stop)
    final = Scene.from_dict(done["scene"])
    loss = {k: float(v) for k, v in done["loss"].items()}
    frames.append(Snapshot(int(done["steps"]), loss["total"], final))
    return FitResult(
        scene=final,
        loss=loss,
        backend=info["backend"],
        backend_reason=info["reason"],
        steps=int(done["steps"]),
        stopped=str(done["stopped"]),
        seconds=float(done["seconds"]),
        snapshots=tuple(frames) if snapshots else (),
    )


def fit(
    target: Any,
    *,
    shapes: int = 100,
    steps: int | None = None,
    colour: str = "auto",
    types: Sequence[str] | None = None,
    backend: str = "auto",
    seed: int = 0,
    progress: bool = True,
    scene: Scene | dict[str, Any] | str | None = None,
    resolution: int = 128,
    loss: str = "mse",
    workers: int | None = None,
    opacity: float = 1.0,
) -> Scene:
    """Fit a drawing to an image with no browser: the widget's engine, run by Node.

    Without ``scene`` this is the widget's shape search (``refine``) from an
    empty drawing on the image's mean colour, up to ``shapes`` shapes. With a
    ``scene`` the search grows that drawing instead, or, given ``steps``, the
    scene's shapes are only optimised for that many steps (the widget's
    ``run``). With ``backend="wasm"`` and the same seed the drawing equals the
    one ``PelicanWidget(target).refine(max_shapes=shapes, seed=seed)`` makes.

    Parameters
    ----------
    target : str, os.PathLike, bytes, PIL.Image.Image or numpy.ndarray
        The image (as :func:`pelican_widget.load_target` takes it).
    shapes : int
        Shape budget of the search, in [1, 1000].
    steps : int, optional
        Steps of a plain optimisation of ``scene`` (needs ``scene``).
    colour : {"auto", "grey", "rgb"}
        Fit in colour or grey; "auto" follows the image.
    types : sequence of {"circle", "ellipse", "triangle", "rect", "curve"}, optional
        The kinds the search may add (default: all).
    backend : {"auto", "wasm", "webgpu"}
        "auto" takes WebGPU (the npm package ``webgpu``, Dawn) on a hardware
        GPU, else the Wasm kernel; the choice and its reason are in
        :func:`fit_result`'s ``backend`` and ``backend_reason``.
    seed : int
        Seed of the search, in [0, 2**31 - 1].
    progress : bool
        Show a progress bar on stderr (tqdm).
    scene : Scene, dict or JSON text, optional
        The start drawing; its size follows the target.
    resolution : int
        Longer side of the working image in pixels, in [8, 2048].
    loss : {"mse", "reference"}
        The objective (as ``PelicanWidget.refine``'s ``loss``).
    workers : int, optional
        Worker threads of the Wasm kernel (0: Node's main thread); default one
        per core, at most four.
    opacity : float
        Opacity the search's new shapes start at, in (0, 1] (as
        ``PelicanWidget.refine``'s ``opacity``): below 1 each shape's opacity
        is optimised with the rest; 1 (default) adds opaque shapes. Below 1
        it needs a search (no ``steps``).

    Returns
    -------
    Scene
        The best drawing. A Ctrl-C stops the engine and this is the best one so far.

    Raises
    ------
    ValueError, TypeError, FileNotFoundError
        For bad arguments or an image that cannot be read.
    pelican_widget.headless.NodeNotFoundError
        When no Node.js is found (install the ``headless`` extra).
    pelican_widget.headless.EngineError
        When the engine fails.

    """
    options = FitOptions(
        shapes=shapes,
        steps=steps,
        colour=colour,
        types=kinds(types),
        backend=backend,
        seed=seed,
        resolution=resolution,
        loss=loss,
        workers=workers,
        opacity=opacity,
    )
    with step_bar(progress) as on_event:
        return fit_result(target, options, scene=scene, on_event=on_event).scene
