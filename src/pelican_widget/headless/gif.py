"""An animated GIF of a search: the drawing after each round, then the final one."""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..scene import Scene

FRAME_MS = 120
LAST_FRAME_MS = 2000


def save_search_gif(
    frames: Sequence[Scene], path: str | os.PathLike[str], size: int | None = None
) -> None:
    """Render each scene with the reference renderer and write them as a looping GIF.

    Parameters
    ----------
    frames
        The drawings in order (e.g. :attr:`FitResult.snapshots` and the final scene).
    path
        Where to write the GIF.
    size
        Longer side in pixels (default: the scenes' own size).

    Raises
    ------
    ValueError
        When there are no frames.

    """
    import numpy as np
    from PIL import Image

    from ..raster import render

    if not frames:
        raise ValueError("a GIF needs at least one drawing")
    images = []
    for scene in frames:
        if size is not None:
            side = max(scene.width, scene.height)
            scene = scene.copy(
                width=max(1, round(scene.width * size / side)),
                height=max(1, round(scene.height * size / side)),
            )
        pixels = (np.clip(render(scene), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        image = Image.fromarray(pixels, "L" if pixels.ndim == 2 else "RGB")
        images.append(image.convert("P", palette=Image.Palette.ADAPTIVE, colors=256))
    durations = [FRAME_MS] * (len(images) - 1) + [LAST_FRAME_MS]
    images[0].save(
        path, save_all=True, append_images=images[1:], duration=durations, loop=0, optimize=False
    )
