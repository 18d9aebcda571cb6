"""Pictures for the headless, CLI and Dask tests (not a test module)."""

from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHARED_PELICAN = ROOT.parent / "shared" / "data" / "pelican.jpg"


def busy_photo(path, seed, size=(100, 80)):
    """Write a colour picture with detail everywhere (no search plateaus early); return its path."""
    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    rgb = 0.5 + 0.3 * np.sin(x[..., None] * rng.uniform(0.1, 0.4, 3) + y[..., None] * 0.17)
    for _ in range(12):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(3, min(width, height) / 3)
        rgb[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(0, 1, 3)
    rgb += rng.normal(0, 0.05, rgb.shape)
    Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8)).save(path)
    return str(path)


def photo_path(tmp_dir):
    """The shared pelican photo where the checkout has it, else a busy picture in ``tmp_dir``."""
    if SHARED_PELICAN.is_file():
        return str(SHARED_PELICAN)
    return busy_photo(Path(tmp_dir) / "photo.png", 0)
