"""Paths, the pelican target and the Chromium flags shared by the benchmark scripts.

The scripts run as ``python benchmarks/NAME.py``, so this directory is on ``sys.path``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RESOLUTION = 128
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def load_pelican() -> np.ndarray:
    """Return the target as the reference used it: grey, square 128x128, in [0, 1]."""
    image = Image.open(DATA / "pelican.jpg").convert("L").resize((RESOLUTION, RESOLUTION))
    return np.asarray(image, dtype=np.float32) / 255.0


def driver_input_args(
    target_path: Path, scene_path: Path, width: int = RESOLUTION, height: int = RESOLUTION
) -> list[str]:
    """Return the Node drivers' flags naming the target (float32, width x height), start scene."""
    return [
        "--target",
        str(target_path),
        "--width",
        str(width),
        "--height",
        str(height),
        "--scene",
        str(scene_path),
    ]
