"""The scene model: the shape kinds (circle, ellipse, triangle, rect, curve) in the wire format.

Pure Python (no numpy, no pillow), so it runs in Pyodide.

Units
-----
Positions (``cx``, ``cy``, triangle vertices) are fractions of the canvas: x of the
width, y of the height, x to the right and y down. Lengths (``r``, ``rx``, ``ry``) are
fractions of the longer side ``max(width, height)``, so a circle stays round on a
non-square canvas. ``angle`` is in radians and turns the ellipse's x axis towards +y
(clockwise on screen). ``fill`` is grey in [0, 1] (0 black, 1 white) or an
``(r, g, b)`` triple in [0, 1] (a list in JSON). Shapes are painted in list order (the
first is at the back) over ``background``, a grey number or an ``(r, g, b)`` triple.

Decisions
---------
* Every value is checked when a shape or scene is built; errors are ``ValueError``
  naming the shape index, its type and the field, e.g.
  ``shape 3 (triangle): field 'points' must have exactly 3 points, got 2``.
* Positions may lie outside [0, 1] and angles are not normalised: a scene can
  describe a shape pushed off the canvas (the canvas prior then penalises it).
* Each shape may carry an optional ``name`` (the reference start scene names its
  shapes). It is kept through JSON and SVG and written only when set; the engine
  ignores it. Other unknown keys in a shape dict are ignored, so that newer writers
  can add fields without breaking this reader.
* Top-level keys other than ``shapes`` are optional in ``from_dict`` and default to
  ``version=1, width=128, height=128, background=1.0``.
* ``opacity`` in (0, 1] on any shape, default 1 and written only when below 1:
  compositing is ``out = (1 - a*c)*out + a*c*fill`` (a the opacity, c the coverage).
  0, values above 1, NaN and non-numbers are refused.
* Colour values go through one function (``shapes._common.check_colour``): a grey
  number or three numbers, each in [0, 1]; 2 or 4 numbers are an error.
* A scene is grey or colour throughout (``channels`` is 1 or 3): when any fill or the
  background is ``(r, g, b)``, every fill must be, and the error names the first
  shape with a grey fill. A grey background is allowed in a colour scene (it is the
  colour with three equal channels); :meth:`Scene.as_colour` turns a grey scene into
  the equal colour scene, :meth:`Scene.as_grey` a colour scene into its luma.
* Each shape kind is one module of :mod:`pelican_widget.shapes` (validation, wire
  format, SDF, priors, SVG element), found through ``SHAPE_TYPES``.
"""

from __future__ import annotations

import json
import numbers
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .shapes import SHAPE_CLASSES, SHAPE_TYPES, Circle, Curve, Ellipse, Rect, Shape, Triangle
from .shapes._common import check_colour as _check_colour
from .shapes._common import colour_json

__all__ = [
    "SHAPE_TYPES",
    "Circle",
    "Curve",
    "Ellipse",
    "Rect",
    "Scene",
    "Shape",
    "Triangle",
    "shape_from_dict",
]

SCENE_VERSION = 1
MAX_SIZE = 2048


def _check_size(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"field '{field}' must be an integer, got {value!r}")
    if not 1 <= int(value) <= MAX_SIZE:
        raise ValueError(f"field '{field}' must be in [1, {MAX_SIZE}], got {value!r}")
    return int(value)


def shape_from_dict(data: Any, index: int) -> Shape:
    """Build one shape from its wire-format dict.

    Parameters
    ----------
    data
        The shape dict, e.g. ``{"type": "circle", "cx": 0.5, "cy": 0.5, "r": 0.1,
        "fill": 0.3}``.
    index
        Its position in the scene, used in error messages.

    Raises
    ------
    ValueError
        Naming the shape index, its type and the offending field.

    """
    if not isinstance(data, Mapping):
        raise ValueError(f"shape {index}: must be an object, got {type(data).__name__}")
    kind = data.get("type")
    cls = SHAPE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        expected = ", ".join(SHAPE_TYPES)
        raise ValueError(f"shape {index}: unknown type {kind!r} (expected one of {expected})")
    for field in cls.fields:
        if field not in data:
            raise ValueError(f"shape {index} ({kind}): missing field '{field}'")
    kwargs = {field: data[field] for field in cls.fields}
    try:
        return cls(**kwargs, name=data.get("name"), opacity=data.get("opacity", 1.0))
    except ValueError as err:
        raise ValueError(f"shape {index} ({kind}): {err}") from None


def _check_channels(shapes: tuple[Shape, ...], background: Any) -> None:
    """Raise ``ValueError`` naming the first grey fill of a colour scene."""
    colour = [i for i, shape in enumerate(shapes) if isinstance(shape.fill, tuple)]
    if not colour and not isinstance(background, tuple):
        return
    why = f"shape {colour[0]} has an RGB fill" if colour else "the background is RGB"
    for index, shape in enumerate(shapes):
        if not isinstance(shape.fill, tuple):
            raise ValueError(
                f"shape {index} ({shape.type}): field 'fill' is grey in a colour scene "
                f"({why}); a scene is grey or colour throughout, use [r, g, b]"
            )


@dataclass(frozen=True)
class Scene:
    """A drawing: shapes painted in order over a background on a W x H canvas.

    Parameters
    ----------
    shapes
        Shapes of any kind, back to front (stored as a tuple).
    width, height
        Canvas size in pixels, each in [1, 2048].
    background
        Grey or ``(r, g, b)`` the compositing starts from (default 1.0, white).
    version
        Format version; only 1 exists.

    """

    shapes: tuple[Shape, ...] = ()
    width: int = 128
    height: int = 128
    background: float | tuple[float, float, float] = 1.0
    version: int = SCENE_VERSION

    def __post_init__(self) -> None:
        if isinstance(self.shapes, (str, bytes, Mapping)) or not isinstance(self.shapes, Sequence):
            raise ValueError("field 'shapes' must be a list of shapes")
        shapes = tuple(self.shapes)
        for index, shape in enumerate(shapes):
            if not isinstance(shape, SHAPE_CLASSES):
                names = [cls.__name__ for cls in SHAPE_CLASSES]
                expected = ", ".join(names[:-1]) + " or " + names[-1]
                raise ValueError(f"shape {index}: expected {expected}, got {type(shape).__name__}")
        object.__setattr__(self, "shapes", shapes)
        object.__setattr__(self, "width", _check_size(self.width, "width"))
        object.__setattr__(self, "height", _check_size(self.height, "height"))
        object.__setattr__(self, "background", _check_colour(self.background, "background"))
        _check_channels(shapes, self.background)
        if isinstance(self.version, bool) or self.version != SCENE_VERSION:
            raise ValueError(
                f"unknown scene version {self.version!r} (this package reads {SCENE_VERSION})"
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scene:
        """Build a scene from its wire-format dict (see the module docstring)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a scene must be an object, got {type(data).__name__}")
        if "shapes" not in data:
            raise ValueError("missing field 'shapes'")
        raw_shapes = data["shapes"]
        if isinstance(raw_shapes, (str, bytes, Mapping)) or not isinstance(raw_shapes, Sequence):
            raise ValueError("field 'shapes' must be a list of shapes")
        return cls(
            shapes=tuple(shape_from_dict(item, i) for i, item in enumerate(raw_shapes)),
            width=data.get("width", 128),
            height=data.get("height", 128),
            background=data.get("background", 1.0),
            version=data.get("version", SCENE_VERSION),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Scene:
        """Build a scene from JSON text in the wire format."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"invalid scene JSON: {err}") from None
        return cls.from_dict(data)

    @property
    def channels(self) -> int:
        """Colour channels of the scene: 3 when a fill or the background is RGB, else 1."""
        if isinstance(self.background, tuple):
            return 3
        return 3 if any(isinstance(shape.fill, tuple) for shape in self.shapes) else 1

    def as_colour(self) -> Scene:
        """Return the scene with every grey fill and background ``v`` as ``(v, v, v)``."""

        def rgb(value: float | tuple[float, float, float]) -> tuple[float, float, float]:
            return value if isinstance(value, tuple) else (value, value, value)

        return replace(
            self,
            shapes=tuple(replace(shape, fill=rgb(shape.fill)) for shape in self.shapes),
            background=rgb(self.background),
        )

    def as_grey(self) -> Scene:
        """Return the scene with every ``(r, g, b)`` as its luma ``0.299 r + 0.587 g + 0.114 b``.

        The weights are those :func:`pelican_widget.load_target` turns a colour image
        grey with, so a colour drawing of a photo becomes a drawing of its grey version.
        """

        def grey(value: float | tuple[float, float, float]) -> float:
            if not isinstance(value, tuple):
                return value
            luma = 0.299 * value[0] + 0.587 * value[1] + 0.114 * value[2]
            return min(1.0, max(0.0, luma))

        return replace(
            self,
            shapes=tuple(replace(shape, fill=grey(shape.fill)) for shape in self.shapes),
            background=grey(self.background),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the scene in the wire format of DESIGN.md (plain dicts, lists, floats)."""
        return {
            "version": self.version,
            "width": self.width,
            "height": self.height,
            "background": colour_json(self.background),
            "shapes": [shape.to_dict() for shape in self.shapes],
        }

    def to_json(self, indent: int | None = None) -> str:
        """Return the scene as JSON text in the wire format."""
        return json.dumps(self.to_dict(), indent=indent)

    def copy(self, **changes: Any) -> Scene:
        """Return a copy, with the given fields replaced (e.g. ``width=48, height=48``)."""
        return replace(self, **changes)

    def to_svg(self, scale: float = 1.0) -> str:
        """Return the scene as SVG text; see :func:`pelican_widget.svg.to_svg`."""
        from .svg import to_svg

        return to_svg(self, scale)

    @classmethod
    def from_svg(cls, text: str) -> Scene:
        """Read a scene back from SVG written by :meth:`to_svg`."""
        from .svg import from_svg

        return from_svg(text)

    def save_svg(self, path: str | os.PathLike[str], scale: float = 1.0) -> None:
        """Write :meth:`to_svg` to ``path`` (UTF-8)."""
        from .svg import save_svg

        save_svg(self, path, scale)

    def save_png(self, path: str | os.PathLike[str], size: int | None = None) -> None:
        """Render with the reference renderer and write a PNG (grey, or RGB in colour).

        ``size`` is the longer side in pixels (default: the scene's own size).
        Needs numpy and pillow.
        """
        from .svg import save_png

        save_png(self, path, size)

    @classmethod
    def pelican(cls) -> Scene:
        """Return the 9 hand-placed start shapes of the reference project (128 x 128)."""
        return cls(
            shapes=(
                Ellipse(0.42, 0.55, 0.22, 0.28, -0.3, 0.35, name="body"),
                Ellipse(0.52, 0.35, 0.06, 0.15, -0.2, 0.40, name="neck"),
                Circle(0.58, 0.18, 0.08, 0.35, name="head"),
                Triangle(((0.62, 0.15), (0.62, 0.22), (0.88, 0.20)), 0.25, name="beak_upper"),
                Triangle(((0.62, 0.22), (0.88, 0.20), (0.65, 0.28)), 0.30, name="beak_lower"),
                Ellipse(0.38, 0.50, 0.18, 0.15, -0.4, 0.30, name="wing"),
                Triangle(((0.18, 0.52), (0.25, 0.48), (0.12, 0.60)), 0.20, name="tail"),
                Circle(0.60, 0.16, 0.015, 0.05, name="eye"),
                Ellipse(0.45, 0.88, 0.06, 0.04, 0.0, 0.15, name="feet"),
            )
        )
