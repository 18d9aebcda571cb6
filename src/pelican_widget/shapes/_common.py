"""Validation and prior helpers shared by the shape kinds (pure Python)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

CANVAS_MARGIN = 0.05
MIN_EDGE = 0.01
# the thinnest stroke before the degeneracy prior: half a pixel at 128 px
MIN_WIDTH = 0.5 / 128


def check_number(value: Any, field: str) -> float:
    """Return ``value`` as a finite float or raise ``ValueError`` naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"field '{field}' must be a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"field '{field}' must be finite, got {number!r}")
    return number


def check_positive(value: Any, field: str) -> float:
    """Return ``value`` as a float > 0 or raise ``ValueError`` naming ``field``."""
    number = check_number(value, field)
    if number <= 0.0:
        raise ValueError(f"field '{field}' must be > 0, got {number!r}")
    return number


def check_colour(value: Any, field: str) -> float | tuple[float, float, float]:
    """Return a colour: a grey number in [0, 1] or an ``(r, g, b)`` tuple of them.

    The single place that decides what a colour is (fills and backgrounds).
    """
    if hasattr(value, "tolist") and not isinstance(value, numbers.Real):
        value = value.tolist()  # numpy arrays and scalars
    if isinstance(value, (str, bytes)) or (
        not isinstance(value, numbers.Real) and not isinstance(value, Sequence)
    ):
        raise ValueError(
            f"field '{field}' must be a grey number in [0, 1] or [r, g, b], "
            f"got {type(value).__name__}"
        )
    if isinstance(value, Sequence):
        if len(value) != 3:
            raise ValueError(
                f"field '{field}' must be a grey number or [r, g, b] (3 numbers), "
                f"got {len(value)} numbers"
            )
        channels = tuple(check_number(v, f"{field}[{k}]") for k, v in enumerate(value))
        for k, channel in enumerate(channels):
            if not 0.0 <= channel <= 1.0:
                raise ValueError(f"field '{field}[{k}]' must be in [0, 1], got {channel!r}")
        return (channels[0], channels[1], channels[2])
    number = check_number(value, field)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"field '{field}' must be in [0, 1], got {number!r}")
    return number


def colour_json(value: float | tuple[float, ...]) -> float | list[float]:
    """Return a colour as in the wire format: a number or an ``[r, g, b]`` list."""
    return list(value) if isinstance(value, tuple) else value


def check_name(value: Any) -> str | None:
    """Return the optional shape name (a string or None)."""
    if value is not None and not isinstance(value, str):
        raise ValueError(f"field 'name' must be a string, got {type(value).__name__}")
    return value


def check_points(value: Any, count: int) -> tuple[tuple[float, float], ...]:
    """Return ``count`` finite (x, y) pairs from a list of pairs."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"field 'points' must be a list of {count} [x, y] pairs, got {value!r}")
    if len(value) != count:
        raise ValueError(f"field 'points' must have exactly {count} points, got {len(value)}")
    points = []
    for k, point in enumerate(value):
        if isinstance(point, (str, bytes)) or not isinstance(point, Sequence) or len(point) != 2:
            raise ValueError(f"field 'points[{k}]' must be an [x, y] pair, got {point!r}")
        points.append(
            (check_number(point[0], f"points[{k}][0]"), check_number(point[1], f"points[{k}][1]"))
        )
    return tuple(points)


def check_opacity(value: Any) -> float:
    """Return an opacity in (0, 1] or raise ``ValueError`` naming the field.

    0 is refused: a shape that paints nothing has no gradient to come back from.
    """
    number = check_number(value, "opacity")
    if not 0.0 < number <= 1.0:
        raise ValueError(f"field 'opacity' must be in (0, 1], got {number!r}")
    return number


def with_optional(data: dict[str, Any], name: str | None, opacity: float) -> dict[str, Any]:
    """Add ``name`` when it is set and ``opacity`` when below 1 to a wire-format dict."""
    if opacity < 1.0:
        data["opacity"] = opacity
    if name is not None:
        data["name"] = name
    return data


def outside(lo: float, hi: float) -> float:
    """Canvas penalty of an extent [lo, hi] along one axis."""
    return max(0.0, hi - (1.0 - CANVAS_MARGIN)) + max(0.0, CANVAS_MARGIN - lo)


def ramanujan(a: float, b: float) -> float:
    """Ramanujan's approximation of an ellipse's perimeter (semi-axes a, b)."""
    h = (a - b) ** 2 / ((a + b) ** 2 + 1e-8)
    return math.pi * (a + b) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))


def fmt(value: float) -> str:
    """Format a number for SVG attributes: at most 6 decimals, no trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
