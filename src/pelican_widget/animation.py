"""Animations of a run: the browser's snapshots of the drawing as a GIF or an animated SVG.

During a run or a search the browser keeps snapshots of the scene (at most
one per 200 ms, at most 120: past that every other one is dropped and the
interval doubles; each accepted shape of a search is one) and sends them with
the result as the ``snapshots`` trait: ``[{"step", "loss", "scene"}, ...]``.

:func:`animated_svg` is pure Python (it works in Pyodide, without Pillow):
one ``<g>`` per snapshot, shown in turn by SMIL ``<animate>`` elements, the
last one also shown by viewers without animation. :func:`save_gif` renders
each snapshot with the NumPy reference renderer and needs numpy and Pillow.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .scene import Scene
from .svg import to_svg

MAX_FPS = 60.0
MAX_GIF_SIZE = 2048
HOLD_S = 1.0  # the finished drawing stays this long before the animation loops


@dataclass(frozen=True)
class Snapshot:
    """One frame of an animation: the drawing at a step of the run."""

    step: int
    loss: float | None
    scene: Scene


def snapshots_from_json(items: Sequence[Mapping[str, Any]]) -> list[Snapshot]:
    """Validate the ``snapshots`` trait's dicts and return them as :class:`Snapshot` values.

    Raises
    ------
    ValueError
        For a snapshot without an integer ``step`` or with an invalid scene.

    """
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ValueError(f"snapshot {index}: expected an object, got {type(item).__name__}")
        step = item.get("step")
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"snapshot {index}: 'step' must be an integer >= 0, got {step!r}")
        # informative only: anything but a finite number (JSON null arrives in
        # Pyodide as a JavaScript null object) means "not known"
        loss = item.get("loss")
        if isinstance(loss, bool) or not isinstance(loss, (int, float)) or not math.isfinite(loss):
            loss = None
        data = item.get("scene")
        if not isinstance(data, Mapping):
            raise ValueError(f"snapshot {index}: 'scene' must be a scene object")
        try:
            scene = Scene.from_dict(data)
        except ValueError as err:
            raise ValueError(f"snapshot {index}: {err}") from None
        out.append(Snapshot(step, None if loss is None else float(loss), scene))
    return out


def valid_snapshots(items: Any) -> list[dict[str, Any]]:
    """Return the items of a ``snapshots`` update that :func:`snapshots_from_json` accepts.

    The browser sends snapshots with a run's result, so one that is wrong is
    dropped rather than refusing the whole update (and with it the result).
    """
    if not isinstance(items, (list, tuple)):
        return []
    kept = []
    for item in items:
        try:
            snapshots_from_json([item])
        except ValueError:
            continue
        kept.append(dict(item))
    return kept


def _check_fps(fps: float) -> float:
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not math.isfinite(fps):
        raise ValueError(f"fps must be a number, got {fps!r}")
    if not 0 < fps <= MAX_FPS:
        raise ValueError(f"fps must be in (0, {MAX_FPS:g}], got {fps!r}")
    return float(fps)


def _require(snapshots: Sequence[Snapshot]) -> None:
    if not snapshots:
        raise RuntimeError(
            "no snapshots yet: the browser sends them when a run or a search ends "
            "(run() or refine(), then save in a later cell)"
        )


def _num(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def animated_svg(snapshots: Sequence[Snapshot], fps: float = 10.0, scale: float = 1.0) -> str:
    """Return an SVG that shows the snapshots in turn, looping.

    Parameters
    ----------
    snapshots
        The frames, in order (``PelicanWidget.animation_snapshots()``).
    fps
        Frames per second, in (0, 60]. The last frame is held 1 s longer.
    scale
        Factor from canvas pixels to the SVG's ``width``/``height`` (> 0).

    Returns
    -------
    str
        A standalone SVG document: one ``<g data-step=…>`` per snapshot
        holding that drawing exactly as :meth:`Scene.to_svg` writes it.

    """
    fps = _check_fps(fps)
    _require(snapshots)
    final = snapshots[-1].scene
    header = to_svg(final.copy(shapes=()), scale).splitlines()[0]
    count = len(snapshots)
    duration = count / fps + HOLD_S
    lines = [header]
    for index, snap in enumerate(snapshots):
        start = index / fps / duration
        end = (index + 1) / fps / duration if index < count - 1 else 1.0
        last = index == count - 1
        loss = "" if snap.loss is None else f' data-loss="{snap.loss:.6g}"'
        # viewers without SMIL show the finished drawing
        lines.append(
            f'  <g data-step="{snap.step}"{loss}' + ("" if last else ' display="none"') + ">"
        )
        if index == 0:
            values, times = ("inline;none", f"0;{_num(end)}")
        elif last:
            values, times = ("none;inline", f"0;{_num(start)}")
        else:
            values, times = ("none;inline;none", f"0;{_num(start)};{_num(end)}")
        if count > 1:
            lines.append(
                f'    <animate attributeName="display" values="{values}" keyTimes="{times}" '
                f'dur="{_num(duration)}s" calcMode="discrete" repeatCount="indefinite"/>'
            )
        body = to_svg(snap.scene.copy(width=final.width, height=final.height)).splitlines()
        lines.extend("  " + line for line in body[1:-1])
        lines.append("  </g>")
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def save_animation(
    snapshots: Sequence[Snapshot],
    path: str | os.PathLike[str],
    fps: float = 10.0,
    scale: float = 1.0,
) -> None:
    """Write :func:`animated_svg` to ``path`` as UTF-8 (pure Python, works in Pyodide)."""
    text = animated_svg(snapshots, fps, scale)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def save_gif(
    snapshots: Sequence[Snapshot],
    path: str | os.PathLike[str],
    fps: float = 10.0,
    size: int = 256,
) -> None:
    """Render the snapshots with the reference renderer and write a looping animated GIF.

    Parameters
    ----------
    snapshots
        The frames, in order.
    path
        Where to write the GIF.
    fps
        Frames per second, in (0, 60] (GIF stores delays in 10 ms units). The
        last frame is held 1 s longer.
    size
        Longer side of the frames in pixels, in [8, 2048]; the aspect ratio is kept.

    Notes
    -----
    GIF merges identical consecutive frames into one longer frame.

    Raises
    ------
    ImportError
        Without numpy or Pillow (Pyodide): use :func:`save_animation` there.

    """
    fps = _check_fps(fps)
    if isinstance(size, bool) or not isinstance(size, int) or not 8 <= size <= MAX_GIF_SIZE:
        raise ValueError(f"size must be an integer in [8, {MAX_GIF_SIZE}], got {size!r}")
    _require(snapshots)
    try:
        import numpy as np
        from PIL import Image
    except ImportError as err:
        raise ImportError(
            "save_gif needs numpy and Pillow; save_animation writes an animated SVG without them"
        ) from err
    from .raster import render

    base = snapshots[-1].scene
    side = max(base.width, base.height)
    width = max(1, round(base.width * size / side))
    height = max(1, round(base.height * size / side))
    frames = []
    for snap in snapshots:
        pixels = render(snap.scene.copy(width=width, height=height)).astype(np.float64)
        image = Image.fromarray(np.round(pixels * 255.0).astype(np.uint8))
        frames.append(image.convert("RGB").quantize(colors=256) if pixels.ndim == 3 else image)
    delay = max(20, round(1000 / fps / 10) * 10)
    durations = [delay] * len(frames)
    durations[-1] += round(HOLD_S * 1000)
    frames[0].save(
        path,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        disposal=1,
        optimize=False,
    )
