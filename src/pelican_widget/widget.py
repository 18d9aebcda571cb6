"""The Jupyter widget: synced traits and the user's methods.

Protocol (see DESIGN.md, "Widget protocol")
-------------------------------------------
The optimiser runs in the browser, in the anywidget ``initialize`` hook (one
engine per model and frontend); views only draw. Python asks for work by
changing request traits and the browser answers through state traits:

* requests (Python, or the widget's buttons): ``_run_request`` (a dict with a
  growing ``id``, the ``steps`` and the ``_stop_request`` count at request
  time), ``_stop_request`` and ``_reset_request`` (counters);
* ownership: a run request names its ``owner``, the frontend the kernel
  heard from last (``""`` when it knows none yet); that frontend starts at
  once, with no kernel round trip, so a run starts while the kernel is busy.
  Frontends that start an unnamed request write ``_claim``; the kernel grants
  the first claim through ``_owner`` and the others stop. The running
  frontend writes ``_heartbeat`` every second; a run whose owner falls silent
  is taken over (never started) or ends as "stopped" (went away mid-run);
* state (written by the browser, read-only in Python): ``status``,
  ``backend``, ``backend_reason``, ``step``, ``total_steps``,
  ``steps_per_second``, ``loss``, ``loss_history`` (sent about once a second),
  ``frame`` (PNG, at most ~10 per second), ``error``; and ``scene``, which
  also streams during a run (~10 per second).

See docs/widget.md for the details. A second ``run()`` while a run is in
progress raises ``RuntimeError`` (it is not queued). Errors in the browser
land in ``status == "error"`` and ``error``; the ``scene`` keeps the last
good drawing.
"""

from __future__ import annotations

import contextlib
import math
import os
import pathlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

import anywidget
import traitlets

from . import _png
from ._title import DEFAULT_TITLE, title_for, without_names
from ._traits import (
    OBJECTIVES,
    FiniteFloat,
    SceneTrait,
    StrictInt,
    check_loss,
    check_weights,
    scene_from_json,
    scene_to_json,
)
from .animation import Snapshot, save_animation, save_gif, snapshots_from_json, valid_snapshots
from .raster import LOSS_TERMS
from .scene import SHAPE_TYPES, Scene
from .target import MAX_RESOLUTION, MIN_RESOLUTION, default_target_png

if TYPE_CHECKING:
    import numpy as np

BACKENDS = ("auto", "webgpu", "wasm", "reference")
STATUSES = ("waiting for browser", "ready", "running", "done", "stopped", "error")
HISTORY_COLUMNS = ("step", "total", *LOSS_TERMS)
MAX_STEPS = 1_000_000
MAX_WORKERS = 16
MAX_SHAPES = 1000
PROPOSALS = ("error", "random")
COLOURS = ("grey", "rgb")
COLOUR_MODES = ("auto", *COLOURS)

# Traits that only the browser writes; Python code that sets them raises.
BROWSER_STATE = (
    "status",
    "backend",
    "backend_reason",
    "step",
    "total_steps",
    "steps_per_second",
    "loss",
    "loss_history",
    "frame",
    "error",
    "rounds",
    "snapshots",
    "_claim",
    "_heartbeat",
)

# Run-state traits that a browser message about an older run must not change
# (a stopped run's last writes can arrive after Python asked for the next one).
RUN_STATE = (
    "status",
    "step",
    "total_steps",
    "steps_per_second",
    "loss",
    "loss_history",
    "frame",
    "error",
    "rounds",
    "snapshots",
    "scene",
)

# Liveness, in seconds of the kernel's clock (docs/widget.md, "Requests and
# ownership"). The owner beats once a second while it runs.
# Longer than the browser's own stall deadline (10 s without a step), so a
# live page that is merely stuck reports its error before it is judged gone.
OWNER_SILENT_S = 15.0  # a run's owner that sent no heartbeat for this long is gone
# Shorter than the browser's takeover deadline (10 s, on its own clock, which
# starts when the request reaches the page, after the kernel's).
TAKEOVER_S = 8.0  # a named owner that never beat for the request can be replaced
WAIT_START_S = 20.0  # wait(): no browser started the run within this long


def _sync(trait: traitlets.TraitType[Any, Any]) -> traitlets.TraitType[Any, Any]:
    return trait.tag(sync=True)


def _bytes_from_json(value: Any, _widget: Any = None) -> Any:
    # binary buffers from the browser arrive as memoryviews over message frames
    return bytes(value) if isinstance(value, (memoryview, bytearray)) else value


def _sync_bytes(echo: bool = True) -> traitlets.TraitType[Any, Any]:
    return traitlets.Bytes(b"").tag(sync=True, from_json=_bytes_from_json, echo_update=echo)


class PelicanWidget(anywidget.AnyWidget):
    """Fit a drawing of circles, ellipses and triangles to an image, live in the browser.

    Parameters
    ----------
    target : str, os.PathLike, bytes, PIL.Image.Image or numpy.ndarray, optional
        The image to fit: a path, PNG/JPEG bytes, a PIL image or an array (as
        :func:`pelican_widget.load_target` takes). Default: the built-in target.
        It is sent as a grey or RGB PNG at ``resolution`` (longer side);
        without Pillow (Pyodide) paths and bytes are sent as they are and the
        browser decodes and resizes them.
    scene : Scene, dict or str, optional
        The start drawing. Default: :meth:`Scene.pelican` for the built-in
        target, else no shapes on the target's mean grey or colour. Its width
        and height follow the target, its fills the widget's ``colour``.
    colour : {"auto", "grey", "rgb"}
        What the widget draws in. ``"auto"`` draws in colour when the
        target's channels differ (or the given scene has colour fills), else
        in grey. The trait ``colour`` holds the result ("grey" or "rgb");
        setting it converts the target and the drawing.
    resolution : int
        Longer side of the target in pixels, in [8, 2048].
    steps : int
        Steps of a run, in [1, 1000000].
    lr : float
        Adam learning rate, in (0, 1].
    backend : {"auto", "webgpu", "wasm", "reference"}
        The engine the browser should use; ``"auto"`` takes WebGPU on a
        hardware adapter, else Wasm. The one in use is in ``backend`` and the
        reason in ``backend_reason``.
    workers : int
        Web Workers for the Wasm engine, in [1, 16].
    **kwargs
        Other traits: ``tau_start``, ``tau_end`` (soft-edge width in pixels at
        the start and end of a run; defaults 1.0 and 0.5), ``weights`` (loss
        weights), ``seed``.

    Examples
    --------
    >>> w = PelicanWidget()            # doctest: +SKIP
    >>> w                              # doctest: +SKIP
    >>> w.run(steps=300)               # returns at once  # doctest: +SKIP
    >>> w.wait()                       # blocks until done (ipykernel)  # doctest: +SKIP
    >>> w.save_svg("pelican.svg")      # doctest: +SKIP

    """

    _esm = pathlib.Path(__file__).parent / "static" / "widget.js"
    # anywidget's own convention for styles: each host (JupyterLab, marimo's
    # shadow roots, VS Code, Colab) puts them where the view lives
    _css = pathlib.Path(__file__).parent / "static" / "widget.css"

    # hyperparameters
    steps = _sync(StrictInt(500, min=1, max=MAX_STEPS))
    lr = _sync(FiniteFloat(0.02, min=0.0, max=1.0, exclusive_min=True))
    tau_start = _sync(FiniteFloat(1.0, min=0.0, max=64.0, exclusive_min=True))
    tau_end = _sync(FiniteFloat(0.5, min=0.0, max=64.0, exclusive_min=True))
    # synced so that the page's Grow button asks for the same search as refine()
    objective = _sync(traitlets.Enum(tuple(OBJECTIVES), "mse"))
    weights = _sync(traitlets.Dict(dict(OBJECTIVES["mse"])))
    seed = _sync(StrictInt(0, min=0, max=2**31 - 1))
    requested_backend = _sync(traitlets.Enum(BACKENDS, "auto"))
    workers = _sync(StrictInt(2, min=1, max=MAX_WORKERS))

    # target: an encoded image and the size the optimiser works at
    resolution = _sync(StrictInt(128, min=MIN_RESOLUTION, max=MAX_RESOLUTION))
    target_image = _sync_bytes()
    target_size = _sync(traitlets.List(traitlets.Int(), [0, 0], minlen=2, maxlen=2))
    # the widget's heading and the downloaded SVG's name; follows the target
    title = _sync(traitlets.Unicode(DEFAULT_TITLE))
    # what the widget draws in ("grey" or "rgb"; setting "auto" picks one)
    colour = _sync(traitlets.Enum(COLOUR_MODES, "grey"))
    # Without numpy (Pyodide) only the browser knows the target's mean: a
    # search from no shapes takes its background there (refine_runner.js).
    _background_from_target = _sync(traitlets.Bool(False))

    # the drawing (two-way) and where reset() goes back to
    scene = SceneTrait(Scene.pelican()).tag(
        sync=True, to_json=scene_to_json, from_json=scene_from_json
    )
    _initial_scene = SceneTrait(Scene.pelican()).tag(
        sync=True, to_json=scene_to_json, from_json=scene_from_json
    )

    # state written by the browser
    status = _sync(traitlets.Enum(STATUSES, "waiting for browser"))
    backend = _sync(traitlets.Unicode(""))
    backend_reason = _sync(traitlets.Unicode(""))
    step = _sync(StrictInt(0, min=0))
    total_steps = _sync(StrictInt(0, min=0))
    steps_per_second = _sync(FiniteFloat(0.0, min=0.0))
    loss = _sync(traitlets.Dict())
    loss_history = _sync(traitlets.List(traitlets.Dict()))
    # Views draw the scene as vectors, so other frontends need no frame: the
    # kernel does not echo it back (that would double the streamed bytes).
    frame = _sync_bytes(echo=False)
    error = _sync(traitlets.Unicode(""))
    rounds = _sync(traitlets.List(traitlets.Dict()))
    # the drawing over time, sent with each run's result (see animation.py)
    # (items checked by valid_snapshots, which drops bad ones)
    snapshots = _sync(traitlets.List())

    # requests and ownership
    _run_request = _sync(traitlets.Dict({"id": 0, "steps": 0, "stop": 0}))
    _stop_request = _sync(StrictInt(0, min=0))
    _reset_request = _sync(StrictInt(0, min=0))
    _claim = _sync(traitlets.Dict({"frontend": "", "request": 0}))
    _owner = _sync(traitlets.Dict({"frontend": "", "request": 0}))
    _heartbeat = _sync(traitlets.Dict({"frontend": "", "request": 0, "beat": 0}))

    def __init__(
        self,
        target: Any = None,
        scene: Scene | dict[str, Any] | str | None = None,
        *,
        resolution: int = 128,
        steps: int = 500,
        lr: float = 0.02,
        backend: str = "auto",
        workers: int = 2,
        colour: str = "auto",
        **kwargs: Any,
    ) -> None:
        for name in kwargs:
            if name in BROWSER_STATE or name.startswith("_") or name.startswith("target_"):
                raise TypeError(f"PelicanWidget() got an unexpected keyword argument {name!r}")
        self._internal_depth = 1
        self._reset_pending = False
        self._liveness = _Liveness()
        self.on_msg(_on_direct_state)
        self._target_source = target
        self._target_resolution = _check_resolution(resolution)
        self._colour_mode = _check_colour_mode(colour)
        given = None if scene is None else _as_scene(scene)
        encoded = _encode_target(target, resolution, self._colour_mode, _draws_colour(given))
        self._target_differs = encoded.differs
        size = encoded.size
        if given is not None:
            start = given
        elif target is None:
            start = Scene.pelican()
        else:
            # A photo is not a pelican: start from no shapes on the image's
            # mean, the best drawing without shapes, and let the search add them.
            mean = 1.0 if encoded.mean is None else encoded.mean
            start = Scene(width=size[0], height=size[1], background=mean)
        start = _fit_colour(start, encoded.colour).copy(width=size[0], height=size[1])
        self.set_trait("colour", encoded.colour)
        # The pelican figures are on the reference objective; anything else fits by its MSE.
        objective = kwargs.pop("objective", "reference" if target is None else "mse")
        if objective not in OBJECTIVES:
            raise traitlets.TraitError(
                f"objective must be one of {tuple(OBJECTIVES)}, got {objective!r}"
            )
        self.set_trait("objective", objective)
        self.set_trait("weights", dict(OBJECTIVES[objective]))
        kwargs.setdefault("title", title_for(target))
        try:
            super().__init__(
                resolution=resolution,
                steps=steps,
                lr=lr,
                requested_backend=backend,
                workers=workers,
                target_image=encoded.image,
                target_size=list(size),
                scene=start,
                _initial_scene=start,
                # refine() asks the browser for the mean it could not compute
                _background_from_target=encoded.mean is None
                and target is not None
                and given is None,
                **kwargs,
            )
        finally:
            self._internal_depth = 0

    # ------------------------------------------------------------------ helpers

    @contextlib.contextmanager
    def _internal(self) -> Iterator[None]:
        """Let this class write browser-state traits."""
        self._internal_depth += 1
        try:
            yield
        finally:
            self._internal_depth -= 1

    def _from_browser(self, name: str) -> bool:
        return name in getattr(self, "_property_lock", {})

    def _running(self) -> bool:
        return bool(self.status == "running")

    # --------------------------------------------------------------- validation

    @traitlets.validate(*BROWSER_STATE)
    def _check_browser_state(self, proposal: dict[str, Any]) -> Any:
        name = proposal["trait"].name
        if not (self._from_browser(name) or getattr(self, "_internal_depth", 0) > 0):
            raise traitlets.TraitError(
                f"'{name}' is written by the browser and is read-only in Python"
            )
        value = proposal["value"]
        if name == "loss":
            return check_loss(value, "loss")
        if name == "loss_history":
            return [check_loss(row, "loss_history row") for row in value]
        if name == "snapshots":
            # they come with a run's result: a bad one is dropped, never the result
            return valid_snapshots(value)
        if name in ("_claim", "_heartbeat"):
            if not isinstance(value.get("frontend"), str) or not _is_int(value.get("request")):
                raise traitlets.TraitError(f"bad {name} {value!r}")
        return value

    @traitlets.validate("weights")
    def _check_weights(self, proposal: dict[str, Any]) -> dict[str, float]:
        return check_weights(proposal["value"], OBJECTIVES[self.objective])

    @traitlets.observe("objective")
    def _objective_weights(self, change: dict[str, Any]) -> None:
        self.weights = dict(OBJECTIVES[change["new"]])

    @traitlets.validate("scene")
    def _check_scene(self, proposal: dict[str, Any]) -> Scene:
        scene: Scene = proposal["value"]
        if not self._from_browser("scene") and not self._internal_depth:
            if self._running():
                raise traitlets.TraitError(
                    "cannot change the scene while a run is in progress; call stop() "
                    "and wait for the status to leave 'running' first"
                )
        if scene.channels == 3 and self.colour == "grey":
            if not (self._from_browser("scene") or self._internal_depth):
                raise traitlets.TraitError(
                    "the scene has colour fills but the widget draws in grey "
                    "(w.colour == 'grey'): set w.colour = 'rgb' first, or give grey fills"
                )
            scene = scene.as_grey()
        elif scene.channels == 1 and self.colour == "rgb":
            scene = scene.as_colour()
        width, height = self.target_size
        if width and (scene.width, scene.height) != (width, height):
            scene = scene.copy(width=width, height=height)
        return scene

    @traitlets.validate("colour")
    def _check_colour(self, proposal: dict[str, Any]) -> str:
        value: str = proposal["value"]
        if self._internal_depth:
            return value
        if self._running():
            raise traitlets.TraitError(
                "cannot change the colour while a run is in progress; stop() first"
            )
        # Encoded here, so that a target that cannot be read again (a file
        # gone) leaves the colour as it was; the observer applies it.
        encoded = _encode_target(
            self._target_source, self.resolution, value, _draws_colour(self.scene)
        )
        # remembered, so that set_target() on a later image follows the same choice
        self._colour_mode = value
        self._colour_target = encoded
        return encoded.colour

    @traitlets.observe("colour")
    def _on_colour(self, change: dict[str, Any]) -> None:
        if not self._internal_depth:
            self._apply_target(self._target_source, self._colour_target)

    @traitlets.validate("target_image", "target_size")
    def _check_target(self, proposal: dict[str, Any]) -> Any:
        if not self._internal_depth:
            raise traitlets.TraitError("set the target with set_target() or the target property")
        return proposal["value"]

    @traitlets.validate("_run_request")
    def _check_run_request(self, proposal: dict[str, Any]) -> dict[str, Any]:
        value = proposal["value"]
        keys = ("id", "steps", "stop")
        # an optional "refine" dict asks for the shape search instead of a plain
        # run; an optional "owner" names the frontend that runs it
        if not isinstance(value, dict) or set(value) - {"refine", "owner"} != set(keys):
            raise traitlets.TraitError(f"a run request needs exactly {keys}, got {value!r}")
        if not isinstance(value.get("owner", ""), str):
            raise traitlets.TraitError(f"a run request's 'owner' must be a string, got {value!r}")
        if not isinstance(value.get("refine", {}), dict):
            raise traitlets.TraitError(f"a run request's 'refine' must be a dict, got {value!r}")
        if not all(_is_int(value[k]) for k in keys):
            raise traitlets.TraitError(f"run request fields must be integers, got {value!r}")
        if not 1 <= value["steps"] <= MAX_STEPS and value["id"]:
            raise traitlets.TraitError(f"steps must be in [1, {MAX_STEPS}], got {value['steps']}")
        # The page that asks (a Run button) starts at once and sends its
        # "running" in the same message: judge by the status before it.
        running = getattr(self, "_running_before_message", None)
        if self._from_browser("_run_request") and (self._running() if running is None else running):
            raise traitlets.TraitError("a run is already in progress")
        return value

    # ---------------------------------------------------------------- observers

    def set_state(self, sync_data: dict[str, Any], *, echo: bool = True) -> None:
        """Apply a browser update; drop the run state of an older run's messages.

        ``echo=False`` applies it without ipywidgets' echo to the frontends
        (see ``_on_direct_state``).
        """
        self._liveness.message()
        if sys.platform == "emscripten":
            sync_data = _json_nulls(sync_data)
        beat = sync_data.get("_heartbeat")
        if isinstance(beat, dict):
            request = beat.get("request")
            if _is_int(request) and 0 < request < self._run_request["id"]:
                sync_data = {k: v for k, v in sync_data.items() if k not in RUN_STATE}
        self._running_before_message: bool | None = self._running()
        try:
            if echo:
                super().set_state(sync_data)
            else:
                self._apply_state(sync_data)
        except traitlets.TraitError:
            if "_run_request" in sync_data:
                # A refused Run button: its page started already. Send the
                # kernel's request back; the page then drops its run.
                self.send_state("_run_request")
            raise
        finally:
            self._running_before_message = None

    def _apply_state(self, sync_data: dict[str, Any]) -> None:
        # ipywidgets' set_state less its echo: the properties stay locked while
        # the notifications fire, so nothing is sent back either
        state = {k: v for k, v in sync_data.items() if k in self.keys}
        with self._lock_property(**state), self.hold_trait_notifications():
            for name, value in state.items():
                from_json = self.trait_metadata(name, "from_json", self._trait_from_json)
                self.set_trait(name, from_json(value, self))

    @traitlets.observe("_heartbeat")
    def _on_heartbeat(self, change: dict[str, Any]) -> None:
        beat = change["new"]
        current = bool(beat["request"]) and beat["request"] == self._run_request["id"]
        self._liveness.beat(beat["frontend"], current)

    @traitlets.observe("_claim")
    def _grant_claim(self, change: dict[str, Any]) -> None:
        claim = change["new"]
        request = self._run_request
        if claim.get("request") != request["id"] or not self._running():
            return
        if "gone" in claim:
            # a frontend saw the owner's heartbeat stop; the kernel's own clock decides
            if self._liveness.owner_gone():
                self._end_orphaned_run()
            return
        owner = self._owner
        held = owner.get("request") == request["id"] and owner.get("frontend")
        if held and owner["frontend"] != claim["frontend"]:
            if not (claim.get("takeover") and self._liveness.never_started(TAKEOVER_S)):
                # the request is taken: tell the claimant, whose run then stops
                self.send_state("_owner")
                return
        if self._stop_request <= request["stop"]:
            self._owner = {"frontend": claim["frontend"], "request": request["id"]}

    def _end_orphaned_run(self) -> None:
        with self._internal(), self.hold_sync():
            self.status = "stopped"
            self.error = (
                "the browser page that ran this stopped answering (reloaded, closed, or its "
                "kernel connection lost); the drawing is the last one it sent"
            )
            self._owner = {"frontend": "", "request": self._run_request["id"]}

    @traitlets.observe("_run_request")
    def _on_run_request(self, change: dict[str, Any]) -> None:
        self._liveness.request()
        if self._from_browser("_run_request"):
            owner = change["new"].get("owner", "")
            with self._internal():
                self.status = "running"
                self.error = ""
                if owner:
                    self._owner = {"frontend": owner, "request": change["new"]["id"]}

    @traitlets.observe("_reset_request")
    def _on_reset_request(self, change: dict[str, Any]) -> None:
        if self._running():
            self._reset_pending = True
            self._request_stop()
        else:
            self._do_reset()

    @traitlets.observe("status")
    def _on_status(self, change: dict[str, Any]) -> None:
        if change["old"] == "running" and change["new"] == "ready" and not self._internal_depth:
            # A frontend that starts announces "ready"; that must not hide a
            # run that Python requested meanwhile. (Checked here, not in
            # validation: during a multi-trait update validation already sees
            # the new value.)
            with self._internal():
                self.status = "running"
            return
        if change["new"] != "running" and self._reset_pending:
            self._reset_pending = False
            self._do_reset()

    @traitlets.observe("resolution")
    def _on_resolution(self, change: dict[str, Any]) -> None:
        if change["new"] != self._target_resolution:
            self.set_target(self._target_source)

    # ------------------------------------------------------------------ target

    @property
    def target(self) -> np.ndarray:
        """The target as the optimiser sees it: float32 in [0, 1], (H, W) grey or (H, W, 3).

        Setting it calls :meth:`set_target`. Reading needs numpy and pillow.
        """
        from .target import load_target

        width, height = self.target_size
        return load_target(bytes(self.target_image), size=(width, height), colour=self.colour)

    @target.setter
    def target(self, source: Any) -> None:
        self.set_target(source)

    def set_target(self, source: Any = None) -> None:
        """Set the image to fit.

        Parameters
        ----------
        source : str, os.PathLike, bytes, PIL.Image.Image or numpy.ndarray, optional
            As for the constructor; None means the built-in target.

        Raises
        ------
        RuntimeError
            While a run is in progress.
        ValueError, TypeError, FileNotFoundError
            For unreadable images, as :func:`pelican_widget.load_target` raises.

        """
        if self._running():
            raise RuntimeError("cannot change the target while a run is in progress; stop() first")
        self._apply_target(source)

    def _apply_target(self, source: Any, encoded: _EncodedTarget | None = None) -> None:
        """Send ``source`` (as ``encoded``, or encoded now in the colour mode); fit both scenes."""
        if encoded is None:
            encoded = _encode_target(
                source, self.resolution, self._colour_mode, _draws_colour(self.scene)
            )
        # shape names describe the old picture (the pelican's "body", "neck")
        renamed = title_for(source) != title_for(self._target_source)
        with self._internal(), self.hold_sync():
            if renamed:
                self.title = title_for(source)
            self._target_source = source
            self._target_resolution = self.resolution
            self._target_differs = encoded.differs
            self.colour = encoded.colour
            self.target_image = encoded.image
            self.target_size = list(encoded.size)
            # The scene's size follows the target (validation copies it), its
            # fills the colour (grey to [v, v, v], colour to its luma): the
            # shapes stay. A drawing without shapes takes the new image's mean.
            for name in ("scene", "_initial_scene"):
                scene = _fit_colour(getattr(self, name), encoded.colour)
                if renamed:
                    scene = without_names(scene)
                if not scene.shapes and encoded.mean is not None:
                    scene = scene.copy(background=encoded.mean)
                setattr(self, name, scene)
            self._background_from_target = encoded.mean is None and not self.scene.shapes

    # ----------------------------------------------------------------- actions

    @traitlets.observe("scene")
    def _remember_start(self, change: dict[str, Any]) -> None:
        if not self._from_browser("scene") and not self._internal_depth:
            self._initial_scene = change["new"]

    def run(self, steps: int | None = None) -> None:
        """Start optimising in the browser; returns at once.

        Parameters
        ----------
        steps : int, optional
            Steps of this run (default: the ``steps`` trait).

        Raises
        ------
        RuntimeError
            If a run is already in progress (runs are not queued).
        traitlets.TraitError
            If ``steps`` is not an integer in [1, 1000000].

        Notes
        -----
        The run starts when a browser shows the widget (at once if one does).
        Follow it with ``observe`` on ``step``/``loss``/``status``, read the
        results in a later cell, or block with :meth:`wait` (ipykernel only).

        """
        if self._running():
            raise RuntimeError(
                "a run is already in progress (status 'running'); call stop() or wait() first"
            )
        if steps is None:
            steps = self.steps
        if isinstance(steps, bool) or not _is_int(steps) or not 1 <= steps <= MAX_STEPS:
            raise traitlets.TraitError(
                f"steps must be an integer in [1, {MAX_STEPS}], got {steps!r}"
            )
        if not self.scene.shapes:
            raise ValueError(
                "the drawing has no shapes, so there is nothing to optimise: call "
                "refine(max_shapes=...) to grow a drawing, or set w.scene to a scene with shapes"
            )
        self._send_run_request({"steps": int(steps)})

    def refine(
        self,
        max_shapes: int = 35,
        *,
        types: tuple[str, ...] | list[str] | None = None,
        loss: str | None = None,
        proposal: str = "error",
        initial_steps: int | None = None,
        settle_steps: int | None = None,
        reoptimize_steps: int | None = None,
        max_rejects: int | None = None,
        seed: int | None = None,
        batch: int | str = "auto",
        opacity: float = 1.0,
    ) -> None:
        """Grow the drawing shape by shape in the browser (greedy search); returns at once.

        The current drawing (if it has shapes) is optimised first. Each round
        then scores many draft shapes where the drawing is most wrong, each
        with its best fill computed in closed form, hill-climbs the best few
        and adds the winner; every few rounds all shapes are re-optimised
        together by gradient descent. A shape is kept only if the loss at the
        evaluation tau (0.5 px) dropped; a rejected one leaves the drawing
        exactly as it was. The search stops at ``max_shapes`` shapes, or on a
        plateau (no draft lowers the error, or ``max_rejects`` rejections in
        a row), then polishes the result. Each round is appended to
        ``rounds`` (dicts with ``round``, ``type``, ``lossBefore``,
        ``lossAfter``, ``accepted``, ``shapes``) and the drawing lands in
        ``scene`` after every round. ``stop()`` ends the search, keeping the
        best drawing so far.

        Parameters
        ----------
        max_shapes : int
            Shape budget, in [1, 1000].
        types : sequence of {"circle", "ellipse", "triangle", "rect", "curve"}, optional
            The kinds the search may add (default: all); each round takes the
            kind whose draft lowers the error most.
        loss : {"mse", "reference"}, optional
            The objective of this search: "mse" (the squared error alone) or
            "reference" (the design notes' mix, as the PyTorch original).
            Default: the widget's ``weights`` (set by its ``objective``).
        proposal : {"error", "random"}
            Where candidates go: screened drafts where the error is ("error"),
            or at random like the PyTorch reference ("random").
        initial_steps, settle_steps, reoptimize_steps : int, optional
            Optimiser steps on the start drawing, per candidate, and per
            re-optimisation of all shapes (default: the engine's tuned values
            for the objective).
        max_rejects : int, optional
            Stop after this many rejected candidates in a row, in [1, 1000]
            (default: the engine's).
        seed : int, optional
            Seed of the proposals (default: the ``seed`` trait). The same seed
            gives the same rounds.
        batch : int or "auto"
            Shapes a round adds (error proposals): drafts screened one after
            another on the residual, settled and re-optimised together, each
            kept only if removing it again raises the loss. "auto" (default)
            adds a quarter of the shapes drawn so far (1 to 32), which reaches
            a large budget in far fewer optimiser steps; 1 adds one shape per
            round. At the budget, shapes whose removal does not raise the loss
            are dropped once and the budget is filled again.
        opacity : float
            Opacity new shapes start at, in (0, 1]. Below 1 the drafts are
            scored and painted translucent and each shape's opacity is then
            optimised with the rest; 1 (default) adds opaque shapes, whose
            opacity stays exactly 1.

        Raises
        ------
        RuntimeError
            If a run is already in progress (runs are not queued).
        traitlets.TraitError
            For an argument of the wrong type or out of range.

        """
        options: dict[str, Any] = {"proposal": proposal}
        if proposal not in PROPOSALS:
            raise traitlets.TraitError(f"proposal must be one of {PROPOSALS}, got {proposal!r}")
        if loss is not None and loss not in OBJECTIVES:
            raise traitlets.TraitError(f"loss must be one of {tuple(OBJECTIVES)}, got {loss!r}")
        # The objective picks the engine's tuned step counts; the weights are
        # the objective's, or the widget's own (which may be customised).
        if self._background_from_target and not self.scene.shapes:
            options["backgroundFromTarget"] = True
        options["loss"] = self.objective if loss is None else loss
        options["weights"] = dict(self.weights if loss is None else OBJECTIVES[loss])
        if types is not None:
            options["types"] = _check_types(types)
        if batch != "auto":
            if isinstance(batch, bool) or not _is_int(batch) or not 1 <= batch <= MAX_SHAPES:
                raise traitlets.TraitError(
                    f"batch must be 'auto' or an integer in [1, {MAX_SHAPES}], got {batch!r}"
                )
            options["batch"] = int(batch)
        if (
            isinstance(opacity, bool)
            or not isinstance(opacity, (int, float))
            or not 0.0 < opacity <= 1.0
        ):
            raise traitlets.TraitError(f"opacity must be a number in (0, 1], got {opacity!r}")
        if opacity < 1.0:
            options["opacity"] = float(opacity)
        checks = {
            "maxShapes": ("max_shapes", max_shapes, 1, MAX_SHAPES),
            "maxRejects": ("max_rejects", max_rejects, 1, MAX_SHAPES),
            "seed": ("seed", self.seed if seed is None else seed, 0, 2**31 - 1),
            "initialSteps": ("initial_steps", initial_steps, 0, MAX_STEPS),
            "settleSteps": ("settle_steps", settle_steps, 0, MAX_STEPS),
            "reoptimizeSteps": ("reoptimize_steps", reoptimize_steps, 0, MAX_STEPS),
        }
        for key, (name, value, low, high) in checks.items():
            if value is None:
                continue
            if isinstance(value, bool) or not _is_int(value) or not low <= value <= high:
                raise traitlets.TraitError(
                    f"{name} must be an integer in [{low}, {high}], got {value!r}"
                )
            options[key] = int(value)
        if self._running():
            raise RuntimeError(
                "a run is already in progress (status 'running'); call stop() or wait() first"
            )
        self._send_run_request({"steps": self.steps, "refine": options})

    def _send_run_request(self, fields: dict[str, Any]) -> None:
        # Name the frontend heard from last as the owner: it starts at once,
        # with no round trip through this (possibly busy) kernel.
        owner = self._liveness.last_frontend
        request = self._run_request["id"] + 1
        with self._internal(), self.hold_sync():
            self.error = ""
            self.status = "running"
            if owner:
                self._owner = {"frontend": owner, "request": request}
            self._run_request = {
                "id": request,
                "stop": self._stop_request,
                "owner": owner,
                **fields,
            }

    def stop(self) -> None:
        """Stop the run; the browser keeps the best drawing found so far. Returns at once."""
        if self._running():
            self._request_stop()

    def _request_stop(self) -> None:
        self._stop_request += 1
        if self._liveness.never_started(0.0) or self._liveness.owner_gone():
            # No browser has been seen running it (it will not start now), or
            # its browser went away: nobody else would end it.
            with self._internal():
                self.status = "stopped"

    def reset(self) -> None:
        """Go back to the start drawing and clear the progress; returns at once.

        The start drawing is the last scene set from Python (or the default).
        A run in progress is stopped first.
        """
        self._reset_request += 1

    def _do_reset(self) -> None:
        with self._internal(), self.hold_sync():
            self.scene = self._initial_scene
            self.step = 0
            self.total_steps = 0
            self.steps_per_second = 0.0
            self.loss = {}
            self.loss_history = []
            self.rounds = []
            self.snapshots = []
            self.frame = b""
            self.error = ""
            if self.status != "waiting for browser":
                self.status = "ready"

    def wait(self, timeout: float | None = None) -> str:
        """Block until the run ends, processing widget messages meanwhile.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait at most (default: no limit).

        Returns
        -------
        str
            The final ``status`` ("done", "stopped" or "error").

        Raises
        ------
        TimeoutError
            If the run is still going after ``timeout`` seconds.
        RuntimeError
            Where the kernel cannot receive widget messages while a cell runs
            (JupyterLite/Pyodide, or outside ipykernel): read the results in a
            later cell, or use ``observe``.

        """
        if not self._running():
            return str(self.status)
        from ._wait import kernel_poller

        poller = kernel_poller()
        began = time.monotonic()
        deadline = None if timeout is None else began + timeout
        while self._running():
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"the run is still going after {timeout} s (step {self.step})")
            poller.poll(0.05)
            if self._running():
                self._check_alive(began)
        return str(self.status)

    def _check_alive(self, began: float) -> None:
        """Raise if no browser runs the current request (see :meth:`wait`).

        Only meaningful while messages are being read (in ``wait``): times
        before ``began`` may be a busy kernel's, not a silent browser's.
        """
        live = self._liveness
        now = time.monotonic()
        if live.run_beat is None:
            if now - max(live.request_at, began) <= WAIT_START_S:
                return
            if not live.last_frontend:
                raise RuntimeError(
                    "no browser shows this widget (never displayed, or its page was "
                    "closed), so nothing runs the request. Show it (put `w` last in a "
                    "cell): the run starts then. Or call stop()."
                )
            raise RuntimeError(
                f"no browser page started the run within {WAIT_START_S:.0f} s (was the "
                "page that showed the widget closed or reloaded?). Show the widget again, "
                "or call stop()."
            )
        if now - max(live.run_beat, began) > OWNER_SILENT_S:
            self._end_orphaned_run()
            raise RuntimeError(
                f"the browser page running this sent nothing for {OWNER_SILENT_S:.0f} s "
                "(reloaded, closed, or disconnected): the run is marked 'stopped' and the "
                "drawing is the last one it sent; run() starts a new one."
            )

    # ----------------------------------------------------------------- results

    def to_svg(self, scale: float = 1.0) -> str:
        """Return the current drawing as SVG text (see :meth:`Scene.to_svg`)."""
        return self.scene.to_svg(scale)

    def save_svg(self, path: str | os.PathLike[str], scale: float = 1.0) -> None:
        """Write the current drawing as an SVG file."""
        self.scene.save_svg(path, scale)

    def save_png(self, path: str | os.PathLike[str], size: int | None = None) -> None:
        """Write the current drawing as a PNG (grey, or RGB when the widget draws in colour).

        Renders with the NumPy reference renderer (``size`` = longer side,
        default the target's). Without numpy/pillow (Pyodide) it writes the
        last frame the browser rendered, at the target's size.
        """
        try:
            self.scene.save_png(path, size)
        except ImportError:
            if not self.frame:
                raise RuntimeError(
                    "no frame from the browser yet, and numpy/pillow are missing to render one"
                ) from None
            pathlib.Path(path).write_bytes(bytes(self.frame))

    def animation_snapshots(self) -> list[Snapshot]:
        """Return the last run's snapshots of the drawing, oldest first.

        The browser keeps at most 120 (see :mod:`pelican_widget.animation`)
        and sends them when the run or search ends.
        """
        return snapshots_from_json(self.snapshots)

    def save_gif(self, path: str | os.PathLike[str], fps: float = 10.0, size: int = 256) -> None:
        """Write the last run (or search) as a looping animated GIF; needs numpy and Pillow.

        Parameters
        ----------
        path : str or os.PathLike
            Where to write the GIF.
        fps : float
            Frames per second, in (0, 60]; the finished drawing is held 1 s longer.
        size : int
            Longer side of the frames in pixels, in [8, 2048].

        Raises
        ------
        RuntimeError
            Before a run or search has ended (no snapshots yet).

        """
        save_gif(self.animation_snapshots(), path, fps, size)

    def save_animation(
        self, path: str | os.PathLike[str], fps: float = 10.0, scale: float = 1.0
    ) -> None:
        """Write the last run (or search) as an animated SVG; pure Python (works in JupyterLite).

        Parameters
        ----------
        path : str or os.PathLike
            Where to write the SVG.
        fps : float
            Frames per second, in (0, 60]; the finished drawing is held 1 s longer.
        scale : float
            Factor from canvas pixels to the SVG's width and height.

        Raises
        ------
        RuntimeError
            Before a run or search has ended (no snapshots yet).

        """
        save_animation(self.animation_snapshots(), path, fps, scale)

    def loss_history_array(self) -> np.ndarray:
        """Return ``loss_history`` as a float64 array with columns :data:`HISTORY_COLUMNS`.

        Missing terms are NaN. Needs numpy.
        """
        import numpy as np

        rows = [[row.get(col, math.nan) for col in HISTORY_COLUMNS] for row in self.loss_history]
        return np.array(rows, dtype=np.float64).reshape(len(rows), len(HISTORY_COLUMNS))


# Browser state the runner also sends as a custom message (see _on_direct_state).
DIRECT_STATE = frozenset((*RUN_STATE, "_heartbeat", "_claim", "backend", "backend_reason"))


def _on_direct_state(widget: PelicanWidget, content: Any, buffers: list[Any]) -> None:
    """Apply state that the runner sent as a custom message ``{"pelican": "state"}``.

    ipywidgets lets one state update per model be in flight until the kernel
    answers it with "idle". An update that the kernel's own loop read just
    before a cell blocked in ``wait()`` is answered only when that cell ends,
    and until then the page holds every later update of the widget, so
    ``wait()`` saw nothing (the hangs of issue 15). Custom messages are not
    held back: the runner sends its heartbeats, claims and run results this
    way too, and they go through the same validation as ``set_state``.

    They are applied without ``set_state``'s echo: the page that sent them
    already holds newer values by the time an echo came back (a short run
    ends before the echo of its start arrives), and ipywidgets applies an
    echo it did not ask for, so the view went back to the run's start (an
    empty loss chart after a finished run). The runner writes the same values
    through the widget's normal sync too, whose echo the other frontends get
    and the sender filters.
    """
    if not isinstance(content, dict) or content.get("pelican") != "state":
        return
    state = content.get("state")
    paths = content.get("buffers", [])
    if not isinstance(state, dict) or not isinstance(paths, list) or len(paths) > len(buffers):
        return
    state = {k: v for k, v in state.items() if k in DIRECT_STATE}
    for key, buffer in zip(paths, buffers, strict=False):
        if key in DIRECT_STATE:
            state[key] = buffer
    if state:
        widget.set_state(state, echo=False)


class _Liveness:
    """What the kernel knows of the frontends' activity, on its own clock.

    Times are of when the kernel read a message, so a kernel that was busy
    reads a burst of fresh heartbeats and judges no live browser as gone.
    """

    def __init__(self) -> None:
        self.last_frontend = ""  # the frontend of the newest heartbeat
        self.last_message: float | None = None  # any browser message
        self.request_at = time.monotonic()  # when the current request was made
        self.run_beat: float | None = None  # newest heartbeat for that request

    def message(self) -> None:
        self.last_message = time.monotonic()

    def request(self) -> None:
        self.request_at = time.monotonic()
        self.run_beat = None

    def beat(self, frontend: str, current: bool) -> None:
        if frontend:
            self.last_frontend = frontend
        if current:
            self.run_beat = time.monotonic()

    def never_started(self, after: float | None = None) -> bool:
        """Tell whether no heartbeat came for the current request for ``after`` seconds."""
        limit = OWNER_SILENT_S if after is None else after
        return self.run_beat is None and time.monotonic() - self.request_at >= limit

    def owner_gone(self) -> bool:
        """Tell whether the current request's owner beat once, then fell silent."""
        return self.run_beat is not None and time.monotonic() - self.run_beat > OWNER_SILENT_S


def _json_nulls(value: Any) -> Any:
    """Return browser data with JSON nulls as None.

    Pyodide hands a JavaScript ``null`` to Python as ``pyodide.ffi.jsnull``,
    not None: validation that accepts None (a loss that is not finite, a
    snapshot without a loss) refused it, and with it a run's whole result.
    """
    if isinstance(value, dict):
        return {key: _json_nulls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_nulls(item) for item in value]
    return None if type(value).__name__ == "JsNull" else value


def _check_resolution(value: Any) -> int:
    if not _is_int(value) or not MIN_RESOLUTION <= value <= MAX_RESOLUTION:
        raise traitlets.TraitError(
            f"'resolution' must be an integer in [{MIN_RESOLUTION}, {MAX_RESOLUTION}], "
            f"got {value!r}"
        )
    return int(value)


def _as_scene(value: Any) -> Scene:
    trait = SceneTrait()
    trait.name = "scene"
    return trait.validate(None, value)


def _check_types(types: Any) -> list[str]:
    """Validate the shape kinds a search may add; return them as a list."""
    if isinstance(types, str) or not isinstance(types, (list, tuple)) or not types:
        raise traitlets.TraitError(f"types must be a non-empty list of shape kinds, got {types!r}")
    for kind in types:
        if kind not in SHAPE_TYPES:
            raise traitlets.TraitError(
                f"unknown shape kind {kind!r} in types; expected some of {', '.join(SHAPE_TYPES)}"
            )
    return list(dict.fromkeys(types))


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class _EncodedTarget:
    """A target as the widget sends it, and what Python knows of it."""

    image: bytes  # PNG or JPEG bytes for the browser
    size: tuple[int, int]  # the working size (width, height)
    colour: str  # what the widget draws in: "grey" or "rgb"
    differs: bool  # the image's channels differ (so "auto" draws in colour)
    mean: float | tuple[float, float, float] | None  # None where only the browser decodes


def _check_colour_mode(value: Any) -> str:
    if value not in COLOUR_MODES:
        raise traitlets.TraitError(f"colour must be one of {COLOUR_MODES}, got {value!r}")
    return str(value)


def _draws_colour(scene: Scene | None) -> bool:
    """Tell whether a drawing has colour shapes, which ``colour="auto"`` keeps in colour."""
    return scene is not None and bool(scene.shapes) and scene.channels == 3


def _resolve_colour(mode: str, differs: bool, keep_colour: bool) -> str:
    if mode != "auto":
        return mode
    return "rgb" if differs or keep_colour else "grey"


def _fit_colour(scene: Scene, colour: str) -> Scene:
    """Return ``scene`` with grey or colour fills, as the widget's ``colour`` says."""
    if colour == "rgb" and scene.channels == 1:
        return scene.as_colour()
    if colour == "grey" and scene.channels == 3:
        return scene.as_grey()
    return scene


def _encode_target(
    source: Any, resolution: int, mode: str, keep_colour: bool = False
) -> _EncodedTarget:
    """Encode a target source for the browser in colour ``mode`` ("auto", "grey", "rgb").

    ``keep_colour``: the drawing has colour shapes, so "auto" stays in colour.
    The mean is that of the 8-bit pixels the browser will see, or None where
    only the browser decodes the image (Pyodide without numpy and Pillow).
    """
    if source is None:
        source = default_target_png()
    if isinstance(source, (str, os.PathLike)):
        source = pathlib.Path(source).read_bytes()
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if _png.image_format(data) is None:
            raise ValueError("target bytes are not a PNG or JPEG file")
        try:
            import numpy  # noqa: F401
            import PIL  # noqa: F401
        except ImportError:
            # Pyodide: the browser decodes and resizes; the header gives the
            # size and whether the file holds colour.
            width, height = _png.image_size(data)
            differs = _png.image_channels(data) == 3
            colour = _resolve_colour(mode, differs, keep_colour)
            return _EncodedTarget(
                data, _png.fit_size(width, height, resolution), colour, differs, None
            )
        source = data
    import numpy as np

    from .target import load_target

    image = load_target(source, resolution, colour="auto")
    differs = image.ndim == 3
    colour = _resolve_colour(mode, differs, keep_colour)
    if colour == "grey" and differs:
        image = load_target(source, resolution, colour="grey")
    levels = (image.clip(0.0, 1.0) * 255.0 + 0.5).astype("uint8")
    height, width = levels.shape[:2]
    if levels.ndim == 3:
        png = _png.encode_rgb_png(width, height, levels.tobytes())
    else:
        # a grey image drawn in colour goes as grey: the browser repeats it
        png = _png.encode_grey_png(width, height, levels.tobytes())
    means = levels.reshape(height * width, -1).mean(axis=0, dtype=np.float64) / 255.0
    mean: float | tuple[float, float, float] = float(means[0])
    if colour == "rgb":
        rgb = [float(v) for v in np.broadcast_to(means, (3,))]
        mean = (rgb[0], rgb[1], rgb[2])
    return _EncodedTarget(png, (width, height), colour, differs, mean)
