"""The triangle kind: validation, wire format, SDF, priors and SVG element."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ._common import (
    MIN_EDGE,
    check_colour,
    check_name,
    check_opacity,
    check_points,
    colour_json,
    fmt,
    outside,
    with_optional,
)

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Triangle:
    """A triangle: three ``(x, y)`` vertices in either winding, ``fill`` (grey or ``(r, g, b)``)."""

    points: tuple[tuple[float, float], ...]
    fill: float | tuple[float, float, float]
    name: str | None = None
    opacity: float = 1.0

    type: ClassVar[str] = "triangle"
    fields: ClassVar[tuple[str, ...]] = ("points", "fill")
    svg_tag: ClassVar[str] = "polygon"

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", check_points(self.points, 3))
        object.__setattr__(self, "fill", check_colour(self.fill, "fill"))
        object.__setattr__(self, "name", check_name(self.name))
        object.__setattr__(self, "opacity", check_opacity(self.opacity))

    @classmethod
    def examples(cls) -> tuple[Triangle, ...]:
        """Return sample shapes of this kind: both windings (registry test, fixtures)."""
        return (
            cls(((0.15, 0.2), (0.8, 0.35), (0.4, 0.85)), 0.2),
            cls(((0.55, 0.1), (0.6, 0.6), (0.9, 0.3)), 0.7),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the shape in the wire format."""
        data = {
            "type": self.type,
            "points": [list(p) for p in self.points],
            "fill": colour_json(self.fill),
        }
        return with_optional(data, self.name, self.opacity)

    def sdf(self, px: np.ndarray, py: np.ndarray, sx: float, sy: float) -> np.ndarray:
        """Signed distance of metric points: to the nearest edge, negative inside."""
        import numpy as np

        vertices = [(x * sx, y * sy) for x, y in self.points]
        distances = []
        crosses = []
        for k in range(3):
            ax, ay = vertices[k]
            bx, by = vertices[(k + 1) % 3]
            ex, ey = bx - ax, by - ay
            wx, wy = px - ax, py - ay
            t = np.clip((wx * ex + wy * ey) / (ex * ex + ey * ey + 1e-8), 0.0, 1.0)
            distances.append(np.sqrt((wx - t * ex) ** 2 + (wy - t * ey) ** 2))
            crosses.append(ex * wy - ey * wx)
        nearest = np.minimum(np.minimum(distances[0], distances[1]), distances[2])
        c0, c1, c2 = crosses
        inside = ((c0 > 0) & (c1 > 0) & (c2 > 0)) | ((c0 < 0) & (c1 < 0) & (c2 < 0))
        return np.where(inside, -nearest, nearest)

    def priors(self) -> tuple[float, float, float]:
        """Return the unweighted (perimeter, degeneracy, canvas) priors."""
        perimeter = degeneracy = canvas = 0.0
        for k in range(3):
            (ax, ay), (bx, by) = self.points[k], self.points[(k + 1) % 3]
            length = math.hypot(bx - ax, by - ay)
            perimeter += length
            degeneracy += max(0.0, MIN_EDGE - length)
        for x, y in self.points:
            canvas += outside(x, x) + outside(y, y)
        return perimeter, degeneracy, canvas

    def svg_element(self, width: int, height: int) -> str:
        """Return the SVG element without its fill and closing (pixels of a W x H viewBox)."""
        points = " ".join(f"{fmt(x * width)},{fmt(y * height)}" for x, y in self.points)
        return f'<polygon points="{points}"'

    @staticmethod
    def from_svg(read: Any, width: int, height: int) -> dict[str, Any]:
        """Return the wire-format fields of a 3-point ``<polygon>`` element."""
        points = read.points("points", 3, "a triangle")
        return {"type": "triangle", "points": [[x / width, y / height] for x, y in points]}
