"""What the widget calls its picture: the title it shows and the names its shapes keep.

The start drawing names its shapes after a pelican's parts ("body", "neck");
those names describe the pelican only. A widget fitting another picture says
so in its title, and SVGs of that picture carry no pelican part names.
"""

from __future__ import annotations

import os
import pathlib
from dataclasses import replace
from typing import Any

from .samples import SAMPLES, sample
from .scene import Scene

DEFAULT_TITLE = "pelican"
UNNAMED_TITLE = "drawing"


def title_for(source: Any) -> str:
    """Return the title for a target source: its file name, or a generic word.

    Parameters
    ----------
    source : str, os.PathLike, bytes, PIL.Image.Image, numpy.ndarray or None
        What the widget was given as a target (None: the built-in pelican).

    Returns
    -------
    str
        ``"pelican"`` for the built-in target, a sample's name for a sample
        (``pw.sample("bird")`` gives ``"bird"``), the file's stem for another
        path, else ``"drawing"``.

    """
    if source is None:
        return DEFAULT_TITLE
    if isinstance(source, (str, os.PathLike)):
        path = pathlib.Path(source)
        for name in SAMPLES:
            if path == sample(name):
                return name
        return path.stem or UNNAMED_TITLE
    return UNNAMED_TITLE


def without_names(scene: Scene) -> Scene:
    """Return ``scene`` with every shape's ``name`` removed."""
    if all(shape.name is None for shape in scene.shapes):
        return scene
    return scene.copy(shapes=tuple(replace(shape, name=None) for shape in scene.shapes))
