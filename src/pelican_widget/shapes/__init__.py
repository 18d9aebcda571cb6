"""The shape kinds: one module per kind, found through :data:`SHAPE_TYPES`.

Each kind is a frozen dataclass with its validation, wire format (``to_dict``),
signed distance (``sdf``, the NumPy oracle's), priors (``priors``) and SVG
element (``svg_tag``, ``svg_element``, ``from_svg``). :mod:`pelican_widget.scene`,
:mod:`pelican_widget.raster` and :mod:`pelican_widget.svg` dispatch through the
table; docs/engine.md lists every file a new kind touches.
"""

from __future__ import annotations

from .circle import Circle
from .curve import Curve
from .ellipse import Ellipse
from .rect import Rect
from .triangle import Triangle

Shape = Circle | Ellipse | Triangle | Rect | Curve
SHAPE_CLASSES: tuple[type[Shape], ...] = (Circle, Ellipse, Triangle, Rect, Curve)
SHAPE_TYPES: dict[str, type[Shape]] = {cls.type: cls for cls in SHAPE_CLASSES}
SVG_TAGS: dict[str, type[Shape]] = {cls.svg_tag: cls for cls in SHAPE_CLASSES}

__all__ = [
    "SHAPE_CLASSES",
    "SHAPE_TYPES",
    "SVG_TAGS",
    "Circle",
    "Curve",
    "Ellipse",
    "Rect",
    "Shape",
    "Triangle",
]
