"""The rotated rectangle kind: validation, wire format, SDF, priors and SVG element."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ._common import (
    check_colour,
    check_name,
    check_number,
    check_opacity,
    check_positive,
    colour_json,
    fmt,
    outside,
    with_optional,
)

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Rect:
    """A rectangle: centre, full sides ``w, h`` > 0, rotation ``angle`` (radians), ``fill``."""

    cx: float
    cy: float
    w: float
    h: float
    angle: float
    fill: float | tuple[float, float, float]
    name: str | None = None
    opacity: float = 1.0

    type: ClassVar[str] = "rect"
    fields: ClassVar[tuple[str, ...]] = ("cx", "cy", "w", "h", "angle", "fill")
    svg_tag: ClassVar[str] = "rect"

    def __post_init__(self) -> None:
        object.__setattr__(self, "cx", check_number(self.cx, "cx"))
        object.__setattr__(self, "cy", check_number(self.cy, "cy"))
        object.__setattr__(self, "w", check_positive(self.w, "w"))
        object.__setattr__(self, "h", check_positive(self.h, "h"))
        object.__setattr__(self, "angle", check_number(self.angle, "angle"))
        object.__setattr__(self, "fill", check_colour(self.fill, "fill"))
        object.__setattr__(self, "name", check_name(self.name))
        object.__setattr__(self, "opacity", check_opacity(self.opacity))

    @classmethod
    def examples(cls) -> tuple[Rect, ...]:
        """Return sample shapes of this kind (the registry test and oracle fixtures)."""
        return (cls(0.4, 0.5, 0.5, 0.25, 0.4, 0.2), cls(0.72, 0.4, 0.1, 0.35, -1.0, 0.75))

    def to_dict(self) -> dict[str, Any]:
        """Return the shape in the wire format."""
        data = {
            "type": self.type,
            "cx": self.cx,
            "cy": self.cy,
            "w": self.w,
            "h": self.h,
            "angle": self.angle,
            "fill": colour_json(self.fill),
        }
        return with_optional(data, self.name, self.opacity)

    def sdf(self, px: np.ndarray, py: np.ndarray, sx: float, sy: float) -> np.ndarray:
        """Exact box distance of metric points; ``sx, sy`` scale positions to the metric."""
        import numpy as np

        dx = px - self.cx * sx
        dy = py - self.cy * sy
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        qx = np.abs(cos * dx + sin * dy) - 0.5 * self.w
        qy = np.abs(-sin * dx + cos * dy) - 0.5 * self.h
        outer: np.ndarray = np.sqrt(np.maximum(qx, 0.0) ** 2 + np.maximum(qy, 0.0) ** 2)
        return outer + np.minimum(np.maximum(qx, qy), 0.0)

    def priors(self) -> tuple[float, float, float]:
        """Return the unweighted (perimeter, degeneracy, canvas) priors.

        The canvas term is the ellipse's with half the longer side as the reach.
        """
        reach = 0.5 * max(self.w, self.h)
        canvas = outside(self.cx - reach, self.cx + reach)
        canvas += outside(self.cy - reach, self.cy + reach)
        return 2.0 * (self.w + self.h), 0.0, canvas

    def svg_element(self, width: int, height: int) -> str:
        """Return the SVG element without its fill and closing (pixels of a W x H viewBox)."""
        side = max(width, height)
        cx, cy = self.cx * width, self.cy * height
        w, h = self.w * side, self.h * side
        degrees = fmt(math.degrees(self.angle))
        return (
            f'<rect x="{fmt(cx - w / 2)}" y="{fmt(cy - h / 2)}" width="{fmt(w)}" '
            f'height="{fmt(h)}" transform="rotate({degrees} {fmt(cx)} {fmt(cy)})"'
        )

    @staticmethod
    def from_svg(read: Any, width: int, height: int) -> dict[str, Any]:
        """Return the wire-format fields of a ``<rect>`` element."""
        side = max(width, height)
        w, h = read.number("width"), read.number("height")
        cx, cy = read.number("x") + w / 2, read.number("y") + h / 2
        return {
            "type": "rect",
            "cx": cx / width,
            "cy": cy / height,
            "w": w / side,
            "h": h / side,
            "angle": read.rotation(cx, cy),
        }
