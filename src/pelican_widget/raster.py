"""NumPy reference renderer and loss: the oracle every backend is tested against.

It follows the math of DESIGN.md term by term and aims to be obviously right rather
than fast: it loops over shapes in painting order and is vectorised over pixels. All
arithmetic is float64; ``render`` returns float32 like every backend, ``loss`` returns
Python floats.

Non-square canvases use the metric of docs/engine.md: with ``L = max(W, H)``, a scene
point ``(x, y)`` sits at ``(x * W / L, y * H / L)``, pixel ``(i, j)`` has its centre at
``((i + 0.5) / L, (j + 0.5) / L)``, and radii, SDF values and tau are in units of
``L``. For square canvases this is the plain unit square. The priors use the scene's
numbers as they are.

numpy is imported inside the functions, so importing this module needs no numpy.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .scene import Scene, Shape

if TYPE_CHECKING:
    import numpy as np

WEIGHTS: dict[str, float] = {
    "mse": 1.0,
    "edge": 0.1,
    "ssim": 0.05,
    "perimeter": 0.001,
    "degeneracy": 0.1,
    "canvas": 1.0,
}
LOSS_TERMS: tuple[str, ...] = tuple(WEIGHTS)
SSIM_WINDOW = 7
SSIM_SIGMA = 1.5
SSIM_C1 = 0.01**2
SSIM_C2 = 0.03**2
SDF_CLAMP = 10.0


def default_tau(scene: Scene) -> float:
    """Return the evaluation softness ``0.5 / max(width, height)``."""
    return 0.5 / max(scene.width, scene.height)


def _check_tau(scene: Scene, tau: float | None) -> float:
    if tau is None:
        return default_tau(scene)
    if isinstance(tau, bool) or not isinstance(tau, numbers.Real) or not math.isfinite(tau):
        raise ValueError(f"tau must be a finite number, got {tau!r}")
    if tau <= 0:
        raise ValueError(f"tau must be > 0, got {tau!r}")
    return float(tau)


def _sdf(shape: Shape, px: np.ndarray, py: np.ndarray, sx: float, sy: float) -> np.ndarray:
    """Signed distance of every pixel centre to one shape (negative inside): its kind's SDF."""
    return shape.sdf(px, py, sx, sy)


def coverage(sdf: np.ndarray, tau: float) -> np.ndarray:
    """Soft coverage ``sigmoid(-clamp(sdf / tau, -10, 10))``."""
    import numpy as np

    return 1.0 / (1.0 + np.exp(np.clip(sdf / tau, -SDF_CLAMP, SDF_CLAMP)))


def render64(scene: Scene, tau: float | None = None) -> np.ndarray:
    """Render in float64; see :func:`render`."""
    import numpy as np

    tau = _check_tau(scene, tau)
    width, height = scene.width, scene.height
    side = max(width, height)
    px = ((np.arange(width, dtype=np.float64) + 0.5) / side)[None, :]
    py = ((np.arange(height, dtype=np.float64) + 0.5) / side)[:, None]
    sx, sy = width / side, height / side
    if scene.channels == 1:
        out = np.full((height, width), scene.background, dtype=np.float64)
        for shape in scene.shapes:
            alpha = shape.opacity * coverage(_sdf(shape, px, py, sx, sy), tau)
            out = (1.0 - alpha) * out + alpha * shape.fill
        return out
    # colour: the same compositing per channel (a grey background is equal channels)
    out = np.empty((height, width, 3), dtype=np.float64)
    out[...] = np.broadcast_to(np.asarray(scene.background, dtype=np.float64), (3,))
    for shape in scene.shapes:
        alpha = shape.opacity * coverage(_sdf(shape, px, py, sx, sy), tau)[..., None]
        out = (1.0 - alpha) * out + alpha * np.asarray(shape.fill, dtype=np.float64)
    return out


def render(scene: Scene, tau: float | None = None) -> np.ndarray:
    """Render a scene with soft SDF coverage and alpha-over compositing.

    Each shape paints ``out = (1 - a*c)*out + a*c*fill`` with ``a`` its opacity and
    ``c`` its coverage.

    Parameters
    ----------
    scene
        The scene; its ``width`` and ``height`` give the image size.
    tau
        Edge softness in units of the longer side; default ``0.5 / max(W, H)``.

    Returns
    -------
    numpy.ndarray
        float32 array of shape (height, width), grey in [0, 1], or (height, width, 3)
        for a colour scene (``scene.channels == 3``).

    """
    import numpy as np

    return render64(scene, tau).astype(np.float32)


def _correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Cross-correlation with zero padding that keeps the size (odd square kernel)."""
    import numpy as np

    size = kernel.shape[0]
    pad = size // 2
    height, width = image.shape
    padded = np.pad(image, pad)
    out = np.zeros_like(image)
    for dy in range(size):
        for dx in range(size):
            out += kernel[dy, dx] * padded[dy : dy + height, dx : dx + width]
    return out


def _sobel_magnitude(image: np.ndarray) -> np.ndarray:
    import numpy as np

    sobel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    gx = _correlate(image, sobel_x)
    gy = _correlate(image, sobel_x.T)
    magnitude: np.ndarray = np.sqrt(gx * gx + gy * gy + 1e-8)
    return magnitude


def gaussian_window() -> np.ndarray:
    """Return the 7x7 SSIM window (sigma 1.5), normalised to sum 1."""
    import numpy as np

    offsets = np.arange(SSIM_WINDOW, dtype=np.float64) - SSIM_WINDOW // 2
    g = np.exp(-(offsets**2) / (2.0 * SSIM_SIGMA**2))
    window: np.ndarray = np.outer(g, g)
    normalised: np.ndarray = window / window.sum()
    return normalised


def _grey_terms(r: np.ndarray, t: np.ndarray) -> dict[str, float]:
    """MSE, Sobel edge and 1 - mean SSIM of one channel (float64 (H, W) arrays)."""
    import numpy as np

    mse = np.mean((r - t) ** 2)
    edge = np.mean((_sobel_magnitude(r) - _sobel_magnitude(t)) ** 2)
    window = gaussian_window()
    mu_r = _correlate(r, window)
    mu_t = _correlate(t, window)
    var_r = _correlate(r * r, window) - mu_r * mu_r
    var_t = _correlate(t * t, window) - mu_t * mu_t
    cov = _correlate(r * t, window) - mu_r * mu_t
    ssim_map = ((2 * mu_r * mu_t + SSIM_C1) * (2 * cov + SSIM_C2)) / (
        (mu_r * mu_r + mu_t * mu_t + SSIM_C1) * (var_r + var_t + SSIM_C2)
    )
    return {"mse": float(mse), "edge": float(edge), "ssim": float(1.0 - ssim_map.mean())}


def image_terms(rendered: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """Return the unweighted image terms ``mse``, ``edge`` and ``ssim`` (1 - mean SSIM).

    Grey images are (H, W); colour images are (H, W, 3), and then (DESIGN.md) the MSE
    is the mean over pixels and channels, and the edge and SSIM terms are computed per
    channel and averaged over the channels. With three equal channels this equals the
    grey result up to rounding.
    """
    import numpy as np

    r = np.asarray(rendered, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    if r.shape != t.shape:
        raise ValueError(f"image shapes differ: {r.shape} vs {t.shape}")
    if r.ndim == 2:
        return _grey_terms(r, t)
    if r.ndim != 3 or r.shape[2] != 3:
        raise ValueError(f"images must be (H, W) or (H, W, 3), got {r.shape}")
    per = [_grey_terms(r[..., c], t[..., c]) for c in range(3)]
    return {key: sum(p[key] for p in per) / 3.0 for key in ("mse", "edge", "ssim")}


def priors(scene: Scene) -> dict[str, float]:
    """Return the unweighted priors ``perimeter``, ``degeneracy`` and ``canvas``.

    Pure Python; computed on the scene's numbers as they are (no metric scaling).
    """
    perimeter = degeneracy = canvas = 0.0
    for shape in scene.shapes:
        p, d, c = shape.priors()
        perimeter += p
        degeneracy += d
        canvas += c
    return {"perimeter": perimeter, "degeneracy": degeneracy, "canvas": canvas}


def _check_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    merged = dict(WEIGHTS)
    if weights is not None:
        unknown = set(weights) - set(WEIGHTS)
        if unknown:
            raise ValueError(f"unknown loss weights {sorted(unknown)}; known: {list(WEIGHTS)}")
        merged.update({key: float(value) for key, value in weights.items()})
    return merged


def loss(
    scene: Scene,
    target: Any,
    tau: float | None = None,
    weights: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Evaluate the full loss of a scene against a target.

    Parameters
    ----------
    scene
        The scene to render.
    target
        Anything :func:`pelican_widget.load_target` accepts; it is brought to exactly
        the scene's width x height (a float array of that shape is used as it is), in
        grey for a grey scene and in RGB for a colour scene (``scene.channels``).
    tau
        Edge softness in units of the longer side; default ``0.5 / max(W, H)``.
    weights
        Overrides for some of the default weights ``mse 1, edge 0.1, ssim 0.05,
        perimeter 0.001, degeneracy 0.1, canvas 1``.

    Returns
    -------
    dict
        ``mse, edge, ssim, perimeter, degeneracy, canvas`` (unweighted; ``ssim`` is
        ``1 - mean SSIM``) and ``total``, the weighted sum.

    """
    from .target import load_target

    merged = _check_weights(weights)
    colour = "rgb" if scene.channels == 3 else "grey"
    image = load_target(target, size=(scene.width, scene.height), colour=colour)
    terms = image_terms(render64(scene, tau), image)
    terms.update(priors(scene))
    terms["total"] = sum(merged[key] * terms[key] for key in WEIGHTS)
    return terms
