"""The drawing behind the built-in default target: a stylised pelican made here.

The package ships the result as ``data/default_target.png`` so that the widget can
use it without pillow (see :func:`pelican_widget.target.default_target_png`);
``tests/test_target.py`` checks that the shipped file shows exactly what
:func:`draw_default_target` draws. Regenerate it after changing the drawing with::

    python -m pelican_widget.builtin_target

The drawing uses only Pillow's integer rasteriser on a 4x canvas, reduced by box
averaging, so it is the same on every platform.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

SIZE = 256
SUPERSAMPLE = 4
DATA_FILE = Path(__file__).resolve().parent / "data" / "default_target.png"

# (grey 0-255, centre x, centre y, radius x, radius y, angle in radians), in [0, 1] units.
_ELLIPSES = (
    (72, 0.44, 0.58, 0.25, 0.16, -0.35),  # body
    (84, 0.63, 0.36, 0.055, 0.15, 0.12),  # neck
    (128, 0.40, 0.55, 0.20, 0.09, -0.28),  # wing
    (96, 0.66, 0.21, 0.075, 0.065, 0.0),  # head
    (246, 0.685, 0.195, 0.018, 0.018, 0.0),  # eye ring
    (16, 0.685, 0.195, 0.010, 0.010, 0.0),  # eye
)
# (grey, vertices), painted after the ellipses.
_POLYGONS = (
    (72, ((0.26, 0.57), (0.06, 0.52), (0.12, 0.68))),  # tail
    (44, ((0.34, 0.58), (0.16, 0.66), (0.30, 0.64))),  # wing tip
    (176, ((0.71, 0.18), (0.96, 0.29), (0.71, 0.24))),  # upper bill
    (150, ((0.71, 0.24), (0.93, 0.31), (0.78, 0.37), (0.70, 0.31))),  # pouch
    (100, ((0.43, 0.71), (0.46, 0.71), (0.45, 0.87), (0.42, 0.87))),  # left leg
    (100, ((0.52, 0.70), (0.55, 0.70), (0.55, 0.87), (0.52, 0.87))),  # right leg
    (90, ((0.38, 0.86), (0.47, 0.86), (0.47, 0.89), (0.37, 0.89))),  # left foot
    (90, ((0.50, 0.86), (0.60, 0.86), (0.60, 0.89), (0.50, 0.89))),  # right foot
    (218, ((0.0, 0.89), (1.0, 0.89), (1.0, 1.0), (0.0, 1.0))),  # water
)
_ELLIPSE_VERTICES = 96


def _ellipse_outline(
    cx: float, cy: float, rx: float, ry: float, angle: float, scale: float
) -> list[tuple[int, int]]:
    cos, sin = math.cos(angle), math.sin(angle)
    points = []
    for k in range(_ELLIPSE_VERTICES):
        t = 2 * math.pi * k / _ELLIPSE_VERTICES
        x, y = rx * math.cos(t), ry * math.sin(t)
        points.append(
            (round((cx + x * cos - y * sin) * scale), round((cy + x * sin + y * cos) * scale))
        )
    return points


def draw_default_target(size: int = SIZE) -> Image.Image:
    """Draw the built-in target: a grey pelican on white, standing in shallow water.

    Parameters
    ----------
    size
        Side of the square result in pixels.

    Returns
    -------
    PIL.Image.Image
        A mode "L" image of ``size`` x ``size``.

    """
    from PIL import Image, ImageDraw

    big = size * SUPERSAMPLE
    image = Image.new("L", (big, big), 255)
    draw = ImageDraw.Draw(image)
    for grey, cx, cy, rx, ry, angle in _ELLIPSES:
        draw.polygon(_ellipse_outline(cx, cy, rx, ry, angle, big), fill=grey)
    for grey, vertices in _POLYGONS:
        draw.polygon([(round(x * big), round(y * big)) for x, y in vertices], fill=grey)
    return image.reduce(SUPERSAMPLE)


def write_default_target(path: Path = DATA_FILE) -> None:
    """Write :func:`draw_default_target` as the PNG the package ships."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draw_default_target().save(path, format="PNG", optimize=True)


if __name__ == "__main__":
    write_default_target()
