"""The circle kind: validation, wire format, SDF, priors and SVG element."""

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
class Circle:
    """A disc: centre ``(cx, cy)``, radius ``r`` > 0, ``fill`` (grey in [0, 1] or ``(r, g, b)``)."""

    cx: float
    cy: float
    r: float
    fill: float | tuple[float, float, float]
    name: str | None = None
    opacity: float = 1.0

    type: ClassVar[str] = "circle"
    fields: ClassVar[tuple[str, ...]] = ("cx", "cy", "r", "fill")
    svg_tag: ClassVar[str] = "circle"

    def __post_init__(self) -> None:
        object.__setattr__(self, "cx", check_number(self.cx, "cx"))
        object.__setattr__(self, "cy", check_number(self.cy, "cy"))
        object.__setattr__(self, "r", check_positive(self.r, "r"))
        object.__setattr__(self, "fill", check_colour(self.fill, "fill"))
        object.__setattr__(self, "name", check_name(self.name))
        object.__setattr__(self, "opacity", check_opacity(self.opacity))

    @classmethod
    def examples(cls) -> tuple[Circle, ...]:
        """Return sample shapes of this kind (the registry test and oracle fixtures)."""
        return (cls(0.4, 0.45, 0.22, 0.2), cls(0.7, 0.7, 0.12, 0.75))

    def to_dict(self) -> dict[str, Any]:
        """Return the shape in the wire format."""
        data = {
            "type": self.type,
            "cx": self.cx,
            "cy": self.cy,
            "r": self.r,
            "fill": colour_json(self.fill),
        }
        return with_optional(data, self.name, self.opacity)

    def sdf(self, px: np.ndarray, py: np.ndarray, sx: float, sy: float) -> np.ndarray:
        """Signed distance of metric points (px, py); ``sx, sy`` scale positions to the metric."""
        import numpy as np

        dx = px - self.cx * sx
        dy = py - self.cy * sy
        return np.sqrt(dx * dx + dy * dy + 1e-10) - self.r

    def priors(self) -> tuple[float, float, float]:
        """Return the unweighted (perimeter, degeneracy, canvas) priors."""
        canvas = outside(self.cx - self.r, self.cx + self.r)
        canvas += outside(self.cy - self.r, self.cy + self.r)
        return 2 * math.pi * self.r, 0.0, canvas

    def svg_element(self, width: int, height: int) -> str:
        """Return the SVG element without its fill and closing (pixels of a W x H viewBox)."""
        side = max(width, height)
        return (
            f'<circle cx="{fmt(self.cx * width)}" cy="{fmt(self.cy * height)}" '
            f'r="{fmt(self.r * side)}"'
        )

    @staticmethod
    def from_svg(read: Any, width: int, height: int) -> dict[str, Any]:
        """Return the wire-format fields of a ``<circle>`` element (``read``: svg.py's reader)."""
        return {
            "type": "circle",
            "cx": read.number("cx") / width,
            "cy": read.number("cy") / height,
            "r": read.number("r") / max(width, height),
        }
