"""The files the e2e tests open: notebooks of unrun code cells, and photo-like PNGs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

KERNELSPEC = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}


def code_cells(sources: list[str], id_prefix: str) -> list[dict]:
    """Unrun nbformat 4.5 code cells of ``sources``, with ids ``{id_prefix}{index}``."""
    return [
        {
            "cell_type": "code",
            "id": f"{id_prefix}{i}",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": source,
        }
        for i, source in enumerate(sources)
    ]


def write_notebook(path: Path, sources: list[str], id_prefix: str) -> Path:
    """Write a Python 3 notebook of unrun code cells ``sources`` to ``path``; return ``path``."""
    nb = {
        "cells": code_cells(sources, id_prefix),
        "metadata": KERNELSPEC,
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))
    return path


def write_photo(
    path: Path,
    shading: Callable[[np.ndarray, np.ndarray], np.ndarray],
    disc: object,
    wedge: object,
    noise: float,
    width: int = 120,
    height: int = 90,
    seed: int = 7,
) -> Path:
    """Write a photo-like PNG (grey or RGB): ``shading(x, y)``, a hard disc and wedge, noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    image = shading(x, y)
    image[(x - 0.3) ** 2 + (y - 0.35) ** 2 < 0.02] = disc
    image[(x > 0.55) & (y > 0.4) & (x - y < 0.3)] = wedge
    image += noise * rng.standard_normal(image.shape)
    image = np.clip(image, 0.0, 1.0)
    mode = "RGB" if image.ndim == 3 else "L"
    Image.fromarray((image * 255 + 0.5).astype(np.uint8), mode=mode).save(path)
    return path
