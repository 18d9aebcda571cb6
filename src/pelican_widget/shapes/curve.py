"""The quadratic Bézier stroke kind: validation, wire format, SDF, priors and SVG element.

The distance to the segment comes from the closed-form roots of the cubic
``(B(t) - p) . B'(t) = 0``, each polished by two guarded Newton steps so that
float32 backends land on the same point; a nearly straight curve (the
control point close to the chord's midpoint, where the cubic's leading
coefficient vanishes) takes its projection on the chord as the start instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ._common import (
    MIN_WIDTH,
    check_colour,
    check_name,
    check_opacity,
    check_points,
    check_positive,
    colour_json,
    fmt,
    outside,
    with_optional,
)

if TYPE_CHECKING:
    import numpy as np

# Gauss-Legendre nodes and weights on [0, 1] for the arc length (8 points)
_GL_X = (
    0.019855071751231912,
    0.10166676129318664,
    0.2372337950418355,
    0.4082826787521751,
    0.5917173212478248,
    0.7627662049581645,
    0.8983332387068134,
    0.9801449282487681,
)
_GL_W = (
    0.05061426814518853,
    0.11119051722668721,
    0.15685332293894344,
    0.18134189168918083,
    0.18134189168918083,
    0.15685332293894344,
    0.11119051722668721,
    0.05061426814518853,
)
# below this ratio |b|² / |a|² the curve counts as straight (see the module docstring)
STRAIGHT = 1e-4


def nearest_t(
    p0: tuple[float, float],
    p1: tuple[float, float],
    p2: tuple[float, float],
    px: np.ndarray,
    py: np.ndarray,
) -> np.ndarray:
    """Return the parameter in [0, 1] of the curve point nearest to each (px, py)."""
    import numpy as np

    ax, ay = p1[0] - p0[0], p1[1] - p0[1]
    bx, by = p0[0] - 2 * p1[0] + p2[0], p0[1] - 2 * p1[1] + p2[1]
    dx, dy = p0[0] - px, p0[1] - py
    aa, bb, ab = ax * ax + ay * ay, bx * bx + by * by, ax * bx + ay * by
    c3, c2 = bb, 3 * ab
    c1 = 2 * aa + dx * bx + dy * by
    c0 = dx * ax + dy * ay
    if bb > STRAIGHT * aa:
        kx, ky, kz = ab / bb, c1 / (3 * bb), c0 / bb
        p = ky - kx * kx
        q = kx * (2 * kx * kx - 3 * ky) + kz
        h = q * q + 4 * p * p * p
        one = h >= 0
        s = np.sqrt(np.where(one, h, 0.0))
        t_one = np.cbrt(0.5 * (s - q)) + np.cbrt(0.5 * (-s - q)) - kx
        z = np.sqrt(np.where(one, 0.0, -p))
        safe = np.where(one | (z == 0), 1.0, 2 * p * z)
        v = np.arccos(np.clip(q / safe, -1.0, 1.0)) / 3
        m, n = np.cos(v), np.sin(v) * math.sqrt(3.0)
        t1 = np.where(one, t_one, 2 * m * z - kx)
        t2 = np.where(one, t_one, -(m + n) * z - kx)
    else:
        lx, ly = 2 * ax + bx, 2 * ay + by
        t1 = t2 = -(dx * lx + dy * ly) / (lx * lx + ly * ly + 1e-20)
    best: np.ndarray | None = None
    best_d2: np.ndarray | None = None
    for start in (t1, t2):
        t = np.asarray(start, dtype=np.float64)
        for _ in range(2):
            f = ((c3 * t + c2) * t + c1) * t + c0
            df = (3 * c3 * t + 2 * c2) * t + c1
            step = np.where(np.abs(df) > 1e-20, f / np.where(df == 0, 1.0, df), 0.0)
            moved = t - step
            f_moved = ((c3 * moved + c2) * moved + c1) * moved + c0
            t = np.where(np.abs(f_moved) < np.abs(f), moved, t)
        t = np.clip(t, 0.0, 1.0)
        ex = dx + (2 * ax + bx * t) * t
        ey = dy + (2 * ay + by * t) * t
        d2 = ex * ex + ey * ey
        if best is None or best_d2 is None:
            best, best_d2 = t, d2
        else:
            closer = d2 < best_d2
            best = np.where(closer, t, best)
            best_d2 = np.where(closer, d2, best_d2)
    assert best is not None
    return best


@dataclass(frozen=True)
class Curve:
    """A stroke along a quadratic Bézier: ``points`` start, control, end; ``width`` > 0.

    Round caps; ``fill`` is the stroke's colour (grey or ``(r, g, b)``).
    """

    points: tuple[tuple[float, float], ...]
    width: float
    fill: float | tuple[float, float, float]
    name: str | None = None
    opacity: float = 1.0

    type: ClassVar[str] = "curve"
    fields: ClassVar[tuple[str, ...]] = ("points", "width", "fill")
    svg_tag: ClassVar[str] = "path"
    paint: ClassVar[str] = "stroke"

    def __post_init__(self) -> None:
        points = check_points(self.points, 3)
        for i, j in ((0, 1), (1, 2), (0, 2)):
            if points[i] == points[j]:
                raise ValueError(f"field 'points': points[{i}] and points[{j}] coincide")
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "width", check_positive(self.width, "width"))
        object.__setattr__(self, "fill", check_colour(self.fill, "fill"))
        object.__setattr__(self, "name", check_name(self.name))
        object.__setattr__(self, "opacity", check_opacity(self.opacity))

    @classmethod
    def examples(cls) -> tuple[Curve, ...]:
        """Return sample shapes: a bent stroke and a nearly straight one (registry, fixtures)."""
        return (
            cls(((0.1, 0.8), (0.45, 0.05), (0.85, 0.7)), 0.08, 0.15),
            cls(((0.2, 0.3), (0.5, 0.42), (0.8, 0.54)), 0.05, 0.65),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the shape in the wire format."""
        data = {
            "type": self.type,
            "points": [list(p) for p in self.points],
            "width": self.width,
            "fill": colour_json(self.fill),
        }
        return with_optional(data, self.name, self.opacity)

    def sdf(self, px: np.ndarray, py: np.ndarray, sx: float, sy: float) -> np.ndarray:
        """Distance of metric points to the curve, less half the width."""
        import numpy as np

        (x0, y0), (x1, y1), (x2, y2) = ((x * sx, y * sy) for x, y in self.points)
        t = nearest_t((x0, y0), (x1, y1), (x2, y2), px, py)
        u = 1.0 - t
        bx = u * u * x0 + 2 * u * t * x1 + t * t * x2
        by = u * u * y0 + 2 * u * t * y1 + t * t * y2
        distance: np.ndarray = np.sqrt((bx - px) ** 2 + (by - py) ** 2)
        return distance - 0.5 * self.width

    def length(self) -> float:
        """Arc length (scene units), by 8-point Gauss-Legendre quadrature."""
        (x0, y0), (x1, y1), (x2, y2) = self.points
        total = 0.0
        for t, w in zip(_GL_X, _GL_W, strict=True):
            vx = 2 * (1 - t) * (x1 - x0) + 2 * t * (x2 - x1)
            vy = 2 * (1 - t) * (y1 - y0) + 2 * t * (y2 - y1)
            total += w * math.hypot(vx, vy)
        return total

    def priors(self) -> tuple[float, float, float]:
        """Return the unweighted (perimeter, degeneracy, canvas) priors.

        Perimeter: twice the arc length; degeneracy: a width under ``MIN_WIDTH``
        (half a pixel at 128 px); canvas: every point coordinate, as the triangle's.
        """
        canvas = sum(outside(x, x) + outside(y, y) for x, y in self.points)
        return 2.0 * self.length(), max(0.0, MIN_WIDTH - self.width), canvas

    def svg_element(self, width: int, height: int) -> str:
        """Return the SVG element without its paint and closing (pixels of a W x H viewBox)."""
        side = max(width, height)
        (x0, y0), (x1, y1), (x2, y2) = ((fmt(x * width), fmt(y * height)) for x, y in self.points)
        return (
            f'<path d="M {x0} {y0} Q {x1} {y1} {x2} {y2}" '
            f'stroke-width="{fmt(self.width * side)}" stroke-linecap="round"'
        )

    @staticmethod
    def from_svg(read: Any, width: int, height: int) -> dict[str, Any]:
        """Return the wire-format fields of a ``<path d="M x y Q x y x y">`` element."""
        side = max(width, height)
        numbers = read.path_quadratic("d")
        points = [[numbers[k] / width, numbers[k + 1] / height] for k in (0, 2, 4)]
        return {"type": "curve", "points": points, "width": read.number("stroke-width") / side}
