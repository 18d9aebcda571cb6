"""The ellipse kind: validation, wire format, SDF, priors and SVG element."""

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
    ramanujan,
    with_optional,
)

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Ellipse:
    """An ellipse: centre, radii ``rx, ry`` > 0, rotation ``angle`` (radians), ``fill``."""

    cx: float
    cy: float
    rx: float
    ry: float
    angle: float
    fill: float | tuple[float, float, float]
    name: str | None = None
    opacity: float = 1.0

    type: ClassVar[str] = "ellipse"
    fields: ClassVar[tuple[str, ...]] = ("cx", "cy", "rx", "ry", "angle", "fill")
    svg_tag: ClassVar[str] = "ellipse"

    def __post_init__(self) -> None:
        object.__setattr__(self, "cx", check_number(self.cx, "cx"))
        object.__setattr__(self, "cy", check_number(self.cy, "cy"))
        object.__setattr__(self, "rx", check_positive(self.rx, "rx"))
        object.__setattr__(self, "ry", check_positive(self.ry, "ry"))
        object.__setattr__(self, "angle", check_number(self.angle, "angle"))
        object.__setattr__(self, "fill", check_colour(self.fill, "fill"))
        object.__setattr__(self, "name", check_name(self.name))
        object.__setattr__(self, "opacity", check_opacity(self.opacity))

    @classmethod
    def examples(cls) -> tuple[Ellipse, ...]:
        """Return sample shapes of this kind (the registry test and oracle fixtures)."""
        return (cls(0.45, 0.5, 0.3, 0.15, -0.5, 0.25), cls(0.7, 0.35, 0.06, 0.18, 1.1, 0.8))

    def to_dict(self) -> dict[str, Any]:
        """Return the shape in the wire format."""
        data = {
            "type": self.type,
            "cx": self.cx,
            "cy": self.cy,
            "rx": self.rx,
            "ry": self.ry,
            "angle": self.angle,
            "fill": colour_json(self.fill),
        }
        return with_optional(data, self.name, self.opacity)

    def sdf(self, px: np.ndarray, py: np.ndarray, sx: float, sy: float) -> np.ndarray:
        """Signed distance of metric points (px, py); ``sx, sy`` scale positions to the metric."""
        import numpy as np

        dx = px - self.cx * sx
        dy = py - self.cy * sy
        cos, sin = math.cos(-self.angle), math.sin(-self.angle)
        xr = dx * cos - dy * sin
        yr = dx * sin + dy * cos
        norm = np.sqrt((xr / (self.rx + 1e-10)) ** 2 + (yr / (self.ry + 1e-10)) ** 2 + 1e-10)
        return (norm - 1.0) * math.sqrt(self.rx * self.ry + 1e-10)

    def priors(self) -> tuple[float, float, float]:
        """Return the unweighted (perimeter, degeneracy, canvas) priors."""
        reach = max(self.rx, self.ry)
        canvas = outside(self.cx - reach, self.cx + reach)
        canvas += outside(self.cy - reach, self.cy + reach)
        return ramanujan(self.rx, self.ry), 0.0, canvas

    def svg_element(self, width: int, height: int) -> str:
        """Return the SVG element without its fill and closing (pixels of a W x H viewBox)."""
        side = max(width, height)
        cx, cy = fmt(self.cx * width), fmt(self.cy * height)
        degrees = fmt(math.degrees(self.angle))
        return (
            f'<ellipse cx="{cx}" cy="{cy}" rx="{fmt(self.rx * side)}" '
            f'ry="{fmt(self.ry * side)}" transform="rotate({degrees} {cx} {cy})"'
        )

    @staticmethod
    def from_svg(read: Any, width: int, height: int) -> dict[str, Any]:
        """Return the wire-format fields of an ``<ellipse>`` element."""
        side = max(width, height)
        cx, cy = read.number("cx"), read.number("cy")
        return {
            "type": "ellipse",
            "cx": cx / width,
            "cy": cy / height,
            "rx": read.number("rx") / side,
            "ry": read.number("ry") / side,
            "angle": read.rotation(cx, cy),
        }
