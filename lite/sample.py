"""Draw the site's sample image: a pelican's head in profile, made here with Pillow.

The drawing is distinct from the package's built-in target so that the site
shows a target given as a file path. Pillow's integer rasteriser on a 4x
canvas, reduced by box averaging, gives the same PNG on every platform.

Usage::

    python lite/sample.py OUT.png
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 192
SUPERSAMPLE = 4

# (grey 0-255, vertices in [0, 1] units), painted in order on a pale sky
_POLYGONS = (
    (232, ((0.0, 0.78), (1.0, 0.70), (1.0, 1.0), (0.0, 1.0))),  # sea
    (60, ((0.10, 1.0), (0.22, 0.50), (0.40, 0.42), (0.40, 1.0))),  # neck
    (168, ((0.36, 0.40), (0.97, 0.58), (0.95, 0.62), (0.38, 0.52))),  # upper bill
    (132, ((0.38, 0.52), (0.93, 0.62), (0.60, 0.80), (0.40, 0.70))),  # pouch
)
# (grey, left, top, right, bottom), painted after the polygons
_ELLIPSES = (
    (84, 0.16, 0.22, 0.46, 0.56),  # head
    (250, 0.31, 0.30, 0.39, 0.38),  # eye ring
    (12, 0.335, 0.325, 0.365, 0.355),  # eye
)


def draw_sample(size: int = SIZE) -> Image.Image:
    """Draw the sample image.

    Parameters
    ----------
    size
        Side of the square result in pixels.

    Returns
    -------
    PIL.Image.Image
        A mode "L" image of ``size`` x ``size``.

    """
    big = size * SUPERSAMPLE
    image = Image.new("L", (big, big), 244)
    draw = ImageDraw.Draw(image)
    for grey, points in _POLYGONS:
        draw.polygon([(round(x * big), round(y * big)) for x, y in points], fill=grey)
    for grey, *box in _ELLIPSES:
        draw.ellipse([round(v * big) for v in box], fill=grey)
    return image.reduce(SUPERSAMPLE)


def main() -> None:
    """Write the sample PNG to the path given on the command line."""
    out = Path(sys.argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    draw_sample().save(out, optimize=True)


if __name__ == "__main__":
    main()
