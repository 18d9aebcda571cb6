"""Shape search on a development image set, optionally against fogleman/primitive.

Images (grey, longer side 128): the pelican engraving (square 128x128 like the other
benchmarks), matplotlib's ``grace_hopper.jpg`` (109x128, aspect kept) and five
generated 128x128 scenes: smooth ``gradient``, hard-edged ``shapes``, fine
``texture`` (band-limited noise), a low-contrast ``dark`` scene and a ``light`` one.
Every image is quantised to 8 bits, so the PNG handed to primitive holds exactly the
array we fit.

Our search is ``engine.refine`` on the Wasm backend (in-process kernel under Node,
one thread, ``benchmarks/refine_driver.mjs``) from an empty scene whose background is
the target's mean grey, run once per shape budget. Each result is rendered by the
NumPy reference at the evaluation tau (0.5 px) and scored against the target: MSE,
SSIM (the loss's 7x7 Gaussian SSIM) and MSE as a fraction of the flat-mean canvas's
MSE (the target's variance). Seconds are the search's wall time inside the driver
(no Node start-up).

With ``--primitive PATH`` the same arrays go through fogleman/primitive at the same
size (``-r`` and ``-s`` set to the longer side, so it neither resizes its input nor
scales its output; one worker, ``-j 1``, like our driver; its background is its
default, the image's average colour). One run per mode goes to the largest budget and
saves every frame, so the 35-shape row is frame 35 of the same run, timed by
primitive's own log. Its output PNG is scored by the same code as ours. To get the
binary, build fogleman/primitive from source with Debian's Go packages (GOPATH mode)
and pass it with ``--primitive PATH``. primitive seeds its RNG from the clock, so its
rows vary from run to run; ours are fixed by ``--seed``.

With ``--colour`` every image is in colour (H, W, 3): the pelican and grace_hopper
loaded with ``colour="rgb"`` (the engraving's channels are equal, so its rows stay
close to the grey ones), and colour versions of the five generated scenes (the same
layouts with coloured shapes, tints and gradients). Our search then runs on the RGB
target from its mean colour, primitive on the RGB PNG, and MSE and SSIM are means
over the channels (the colour loss's terms); the flat ratio divides by the MSE of the
flat mean-colour canvas.

Usage::

    pip install -e ".[bench]"          # matplotlib, for grace_hopper.jpg
    cd js && npm run build && cd ..
    python benchmarks/photos.py --shapes 35,100 --out bench-out/photos
    python benchmarks/photos.py --primitive /tmp/primitive/primitive --images grace_hopper
    python benchmarks/photos.py --options '{"loss": "mse"}'
    python benchmarks/photos.py --colour --primitive /tmp/primitive/primitive
    python benchmarks/photos.py --opacity 0.5      # new shapes start translucent
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _common import DATA, REPO, RESOLUTION, load_pelican
from PIL import Image

import pelican_widget as pw
from pelican_widget.raster import image_terms

SIZE = 128
PRIMITIVE_MODES = {
    # name: (primitive -m, -a); -m 0 = combo (any of its 8 kinds), 3 = axis-aligned
    # ellipse, 7 = rotated ellipse, 1 = triangle; -a 255 opaque, 128 its default.
    "combo": (0, 255),
    "ellipse": (3, 255),
    "rotellipse": (7, 255),
    "triangle": (1, 255),
    "combo-a128": (0, 128),
}
DEFAULT_PRIMITIVE_MODES = "combo,ellipse,combo-a128"


# ---------------------------------------------------------------- generated images


def _grid(size: int, supersample: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Sample centres in [0, 1]² (x to the right, y down), ``supersample``² per pixel."""
    n = size * supersample
    c = (np.arange(n) + 0.5) / n
    return np.meshgrid(c, c)


def _downsample(image: np.ndarray, factor: int) -> np.ndarray:
    h, w = image.shape[:2]
    blocks = image.reshape(h // factor, factor, w // factor, factor, *image.shape[2:])
    return blocks.mean(axis=(1, 3))


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur (sigma in pixels) with reflected borders, per channel."""
    if image.ndim == 3:
        return np.stack([_blur(image[..., c], sigma) for c in range(image.shape[2])], axis=2)
    radius = max(1, int(3 * sigma))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-(offsets**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    padded = np.pad(image, radius, mode="reflect")
    rows = np.apply_along_axis(lambda r: np.convolve(r, kernel, mode="valid"), 1, padded)
    return np.apply_along_axis(lambda c: np.convolve(c, kernel, mode="valid"), 0, rows)


def _blob(x: np.ndarray, y: np.ndarray, cx: float, cy: float, sigma: float) -> np.ndarray:
    return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma**2))


def _convex_polygon(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mask of a random convex polygon (3-6 corners on a circle, then sheared and rotated)."""
    k = int(rng.integers(3, 7))
    angles = np.sort(rng.uniform(0, 2 * np.pi, k))
    cx, cy = rng.uniform(0.15, 0.85, 2)
    radius = rng.uniform(0.08, 0.3)
    stretch, turn = rng.uniform(0.5, 1.5), rng.uniform(0, np.pi)
    px = radius * np.cos(angles) * stretch
    py = radius * np.sin(angles) / stretch
    vx = cx + px * np.cos(turn) - py * np.sin(turn)
    vy = cy + px * np.sin(turn) + py * np.cos(turn)
    inside = np.ones_like(x, dtype=bool)
    for i in range(k):
        ax, ay, bx, by = vx[i], vy[i], vx[(i + 1) % k], vy[(i + 1) % k]
        inside &= (bx - ax) * (y - ay) - (by - ay) * (x - ax) >= 0
    return inside


def _disc(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    cx, cy = rng.uniform(0.1, 0.9, 2)
    rx, ry = rng.uniform(0.04, 0.22, 2)
    turn = rng.uniform(0, np.pi)
    u = (x - cx) * np.cos(turn) + (y - cy) * np.sin(turn)
    v = -(x - cx) * np.sin(turn) + (y - cy) * np.cos(turn)
    return (u / rx) ** 2 + (v / ry) ** 2 <= 1


def _paint_shapes(
    rng: np.random.Generator, base: np.ndarray, count: int, greys: tuple[float, float]
) -> np.ndarray:
    """Paint ``count`` random polygons and ellipses over ``base`` (4x supersampled).

    On a colour ``base`` (H, W, 3) each shape gets a colour whose channels are drawn
    from ``greys``; on a grey one, one grey (the draws of the grey images are unchanged).
    """
    factor = 4
    x, y = _grid(base.shape[0], factor)
    image = np.repeat(np.repeat(base, factor, axis=0), factor, axis=1).astype(np.float64)
    for i in range(count):
        mask = _convex_polygon(rng, x, y) if i % 2 == 0 else _disc(rng, x, y)
        image[mask] = rng.uniform(*greys, size=base.shape[2:])
    return _downsample(image, factor)


def gradient_image(rng: np.random.Generator) -> np.ndarray:
    """Smooth: a diagonal ramp plus broad light and dark blobs."""
    x, y = _grid(SIZE)
    image = 0.2 + 0.45 * (0.7 * x + 0.3 * y)
    for sign in (1, -1, 1, -1):
        cx, cy = rng.uniform(0.1, 0.9, 2)
        image += sign * rng.uniform(0.12, 0.25) * _blob(x, y, cx, cy, rng.uniform(0.12, 0.3))
    return image


def shapes_image(rng: np.random.Generator) -> np.ndarray:
    """Hard edges: overlapping random polygons and ellipses of many greys on mid grey."""
    return _paint_shapes(rng, np.full((SIZE, SIZE), 0.55), 12, (0.05, 0.95))


def _band_noise(rng: np.random.Generator) -> np.ndarray:
    """SIZE x SIZE noise of unit variance, band-limited to wavelengths about 3-16 px."""
    noise = rng.standard_normal((SIZE, SIZE))
    fx = np.fft.fftfreq(SIZE)
    f = np.hypot(*np.meshgrid(fx, fx))
    band = np.exp(-(((np.log(np.maximum(f, 1e-6)) - np.log(1 / 6)) / 0.5) ** 2))
    texture = np.real(np.fft.ifft2(np.fft.fft2(noise) * band))
    return texture / texture.std()


def texture_image(rng: np.random.Generator) -> np.ndarray:
    """Fine texture: band-limited noise (wavelengths about 3-16 px) over a few large regions."""
    texture = _band_noise(rng)
    _, y = _grid(SIZE)
    regions = _blur(_paint_shapes(rng, 0.3 + 0.35 * y, 5, (0.15, 0.85)), 1.5)
    return regions + 0.08 * texture


def dark_image(rng: np.random.Generator) -> np.ndarray:
    """Dark, low contrast: dim shapes and a faint glow on a near-black ramp, a little grain."""
    x, y = _grid(SIZE)
    base = 0.05 + 0.05 * y + 0.1 * _blob(x, y, 0.7, 0.3, 0.2)
    image = _blur(_paint_shapes(rng, base, 7, (0.08, 0.24)), 0.8)
    return image + 0.01 * rng.standard_normal(image.shape)


def light_image(rng: np.random.Generator) -> np.ndarray:
    """Bright: pale shapes and soft shadows on a near-white ramp."""
    x, y = _grid(SIZE)
    base = 0.93 - 0.06 * x - 0.12 * _blob(x, y, 0.35, 0.7, 0.18)
    image = _blur(_paint_shapes(rng, base, 7, (0.68, 0.99)), 0.6)
    return image + 0.008 * rng.standard_normal(image.shape)


GENERATED: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
    "gradient": gradient_image,
    "shapes": shapes_image,
    "texture": texture_image,
    "dark": dark_image,
    "light": light_image,
}


def _rgb(*channels: np.ndarray) -> np.ndarray:
    return np.stack(channels, axis=2)


def gradient_rgb(rng: np.random.Generator) -> np.ndarray:
    """Smooth colour: a ramp of its own direction per channel plus broad coloured blobs."""
    x, y = _grid(SIZE)
    image = _rgb(0.2 + 0.5 * x, 0.25 + 0.45 * (0.3 * x + 0.7 * y), 0.75 - 0.5 * y)
    for sign in (1, -1, 1, -1):
        cx, cy = rng.uniform(0.1, 0.9, 2)
        blob = _blob(x, y, cx, cy, rng.uniform(0.12, 0.3))
        image += sign * rng.uniform(0.05, 0.25, 3) * blob[..., None]
    return image


def shapes_rgb(rng: np.random.Generator) -> np.ndarray:
    """Hard edges: overlapping random polygons and ellipses of many colours on a muted teal."""
    return _paint_shapes(rng, np.broadcast_to([0.45, 0.6, 0.55], (SIZE, SIZE, 3)), 12, (0.05, 0.95))


def texture_rgb(rng: np.random.Generator) -> np.ndarray:
    """Fine texture: the grey image's band-limited noise over a few large coloured regions."""
    texture = _band_noise(rng)
    _, y = _grid(SIZE)
    base = _rgb(0.3 + 0.35 * y, 0.4 + 0.2 * y, 0.6 - 0.3 * y)
    regions = _blur(_paint_shapes(rng, base, 5, (0.15, 0.85)), 1.5)
    return regions + 0.08 * texture[..., None] * np.array([1.0, 0.8, 0.6])


def dark_rgb(rng: np.random.Generator) -> np.ndarray:
    """Dark, low contrast: dim coloured shapes and a faint warm glow on a near-black blue ramp."""
    x, y = _grid(SIZE)
    glow = _blob(x, y, 0.7, 0.3, 0.2)[..., None] * np.array([0.12, 0.08, 0.03])
    base = _rgb(0.04 + 0.03 * y, 0.05 + 0.04 * y, 0.08 + 0.06 * y) + glow
    image = _blur(_paint_shapes(rng, base, 7, (0.06, 0.26)), 0.8)
    return image + 0.01 * rng.standard_normal(image.shape)


def light_rgb(rng: np.random.Generator) -> np.ndarray:
    """Bright: pastel shapes and soft bluish shadows on a near-white warm ramp."""
    x, y = _grid(SIZE)
    shadow = _blob(x, y, 0.35, 0.7, 0.18)[..., None] * np.array([0.14, 0.11, 0.06])
    base = _rgb(0.95 - 0.05 * x, 0.93 - 0.06 * x, 0.88 - 0.04 * x) - shadow
    image = _blur(_paint_shapes(rng, base, 7, (0.66, 0.99)), 0.6)
    return image + 0.008 * rng.standard_normal(image.shape)


GENERATED_RGB: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
    "gradient": gradient_rgb,
    "shapes": shapes_rgb,
    "texture": texture_rgb,
    "dark": dark_rgb,
    "light": light_rgb,
}
IMAGES = ("pelican", "grace_hopper", *GENERATED)


def quantise(image: np.ndarray) -> np.ndarray:
    """Clip to [0, 1] and round to 8 bits, as float32 (exactly what a PNG holds)."""
    return (np.round(np.clip(image, 0.0, 1.0) * 255.0) / 255.0).astype(np.float32)


def load_image(name: str, colour: bool = False) -> np.ndarray:
    """Return the named image as float32 in [0, 1]: grey (H, W), or with ``colour`` (H, W, 3)."""
    if name == "pelican":
        if not colour:
            return load_pelican()
        return pw.load_target(DATA / "pelican.jpg", size=(SIZE, SIZE), colour="rgb")
    if name == "grace_hopper":
        from matplotlib.cbook import get_sample_data

        path = get_sample_data("grace_hopper.jpg", asfileobj=False)
        return pw.load_target(path, SIZE, colour="rgb" if colour else "grey")
    seed = IMAGES.index(name)
    generator = (GENERATED_RGB if colour else GENERATED)[name]
    return quantise(generator(np.random.default_rng(seed)))


def flat_mse(target: np.ndarray) -> float:
    """MSE of the flat canvas of the target's mean (per channel): its variance."""
    pixels = target.astype(np.float64).reshape(-1, target.shape[2] if target.ndim == 3 else 1)
    return float(np.mean((pixels - pixels.mean(axis=0)) ** 2))


def to_pil(target: np.ndarray) -> Image.Image:
    """The 8-bit image of a quantised target, grey ("L") or colour ("RGB")."""
    pixels = np.round(target * 255.0).astype(np.uint8)
    assert np.array_equal(pixels.astype(np.float32) / 255.0, target), "target is not 8-bit"
    return Image.fromarray(pixels, "RGB" if target.ndim == 3 else "L")


# ---------------------------------------------------------------- scoring and runs


@dataclass
class Row:
    image: str
    method: str
    budget: int
    kept: int
    mse: float
    ssim: float
    flat_ratio: float
    seconds: float
    hard_mse: float


def score(rendered: np.ndarray, target: np.ndarray) -> tuple[float, float, float]:
    """MSE, SSIM and MSE / (MSE of the flat mean canvas) of an image against the target.

    In colour MSE and SSIM are means over the channels, as in the colour loss.
    """
    terms = image_terms(rendered, target)
    return terms["mse"], 1.0 - terms["ssim"], terms["mse"] / flat_mse(target)


def hard_render(scene: pw.Scene, factor: int = 4) -> np.ndarray:
    """Render with hard edges, anti-aliased like an SVG viewer (``factor``² samples a pixel).

    The search scores soft edges (tau 0.5 px); a shape thinner than a pixel still paints
    a faint band there but next to nothing in the exported SVG, so both are reported.
    """
    big = scene.copy(width=scene.width * factor, height=scene.height * factor)
    image = pw.render(big, tau=0.05 / (factor * max(scene.width, scene.height)))
    return _downsample(image.astype(np.float64), factor)


def run_ours(
    name: str, target: np.ndarray, budget: int, args: argparse.Namespace, tmp: Path
) -> tuple[list[Row], str | None]:
    """Runs our search once; returns its row and a note (the background fallback)."""
    height, width = target.shape[:2]
    channels = target.shape[2] if target.ndim == 3 else 1
    target_path = tmp / f"{name}.f32"
    target_path.write_bytes(target.astype("<f4").tobytes())
    note = None
    background: float | list[float] = (
        [float(v) for v in target.mean(axis=(0, 1))] if channels == 3 else float(target.mean())
    )
    for attempt in range(2):
        scene_path = tmp / f"{name}_{budget}.json"
        start = {"version": 1, "width": width, "height": height, "background": background}
        scene_path.write_text(json.dumps({**start, "shapes": []}))
        command = [
            "node",
            str(REPO / "benchmarks" / "refine_driver.mjs"),
            *("--target", str(target_path), "--width", str(width), "--height", str(height)),
            *("--channels", str(channels)),
            *("--scene", str(scene_path), "--seed", str(args.seed)),
            *("--max-shapes", str(budget), "--options", args.options),
        ]
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
        if done.returncode == 0:
            break
        if attempt == 0 and "background" in done.stderr:
            note = f"{name}: engine rejected background {background}, used 1.0"
            background = 1.0
            continue
        sys.exit(f"refine driver failed on {name} ({budget}):\n{done.stderr[-2000:]}")
    record = json.loads(next(ln for ln in done.stdout.splitlines() if ln.startswith("DONE "))[5:])
    scene = pw.Scene.from_dict(record["scene"])
    if args.out is not None:
        (args.out / f"{name}_ours_{budget}.svg").write_text(scene.to_svg())
    mse, ssim, ratio = score(pw.render(scene), target)
    hard_mse = float(np.mean((hard_render(scene) - target) ** 2))
    seconds = record["seconds"]
    row = Row(name, "ours", budget, len(scene.shapes), mse, ssim, ratio, seconds, hard_mse)
    return [row], note


FRAME_LOG = re.compile(r"^(\d+): t=([0-9.]+), score=")


def run_primitive(
    name: str,
    target: np.ndarray,
    mode: str,
    budgets: list[int],
    args: argparse.Namespace,
    tmp: Path,
) -> tuple[list[Row], str | None]:
    """Runs primitive once to the largest budget; scores the frames at each budget."""
    height, width = target.shape[:2]
    frames = tmp / f"{name}_{mode}"
    frames.mkdir()
    source = frames / "target.png"
    to_pil(target).save(source)
    m, alpha = PRIMITIVE_MODES[mode]
    side = str(max(width, height))
    command = [
        str(args.primitive),
        *("-i", str(source), "-o", str(frames / "frame%d.png"), "-n", str(max(budgets))),
        *("-m", str(m), "-a", str(alpha), "-r", side, "-s", side),
        *("-j", str(args.primitive_workers), "-v"),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"primitive failed on {name} ({mode}):\n{done.stdout[-1000:]}{done.stderr}")
    times = {
        int(match[1]): float(match[2])
        for match in map(FRAME_LOG.match, done.stdout.splitlines())
        if match
    }
    rows = []
    for budget in budgets:
        path = frames / f"frame{budget}.png"
        with Image.open(path) as image:
            if image.size != (width, height):
                sys.exit(f"primitive wrote {image.size}, expected {(width, height)}: {path}")
            rgb = np.asarray(image.convert("RGB"), dtype=np.float64)
        if target.ndim == 3:
            rendered = rgb / 255.0
        else:
            if np.ptp(rgb, axis=2).max() > 1:
                sys.exit(f"primitive's output is not grey: {path}")
            rendered = rgb.mean(axis=2) / 255.0
        if args.out is not None:
            to_pil(quantise(rendered)).save(args.out / f"{name}_primitive-{mode}_{budget}.png")
        mse, ssim, ratio = score(rendered, target)
        method = f"primitive {mode}"
        rows.append(Row(name, method, budget, budget, mse, ssim, ratio, times[budget], mse))
    return rows, None


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default=",".join(IMAGES), help="comma-separated subset")
    parser.add_argument("--shapes", default="35,100", help="comma-separated shape budgets")
    parser.add_argument("--seed", type=int, default=0, help="our search's seed")
    parser.add_argument(
        "--options", default="{}", help="JSON object merged into engine.refine's options"
    )
    parser.add_argument("--out", type=Path, default=None, help="write SVGs / PNGs here")
    parser.add_argument("--primitive", type=Path, default=None, help="fogleman/primitive binary")
    parser.add_argument(
        "--primitive-modes",
        default=DEFAULT_PRIMITIVE_MODES,
        help=f"comma-separated, of: {', '.join(PRIMITIVE_MODES)}",
    )
    parser.add_argument("--primitive-workers", type=int, default=1, help="primitive's -j")
    parser.add_argument("--jobs", type=int, choices=(1, 2), default=1, help="runs at a time")
    parser.add_argument(
        "--opacity",
        type=float,
        default=None,
        help="start opacity of new shapes, in (0, 1] (engine.refine's opacity; default 1)",
    )
    parser.add_argument(
        "--colour", action="store_true", help="every image in colour (RGB targets and drawings)"
    )
    args = parser.parse_args(argv)
    args.images = [name for name in args.images.split(",") if name]
    for name in args.images:
        if name not in IMAGES:
            parser.error(f"unknown image {name!r} (known: {', '.join(IMAGES)})")
    args.shapes = sorted({int(n) for n in args.shapes.split(",") if n})
    if not args.shapes or min(args.shapes) < 1:
        parser.error("--shapes needs positive budgets")
    args.primitive_modes = [m for m in args.primitive_modes.split(",") if m]
    for mode in args.primitive_modes:
        if mode not in PRIMITIVE_MODES:
            parser.error(f"unknown primitive mode {mode!r} (known: {', '.join(PRIMITIVE_MODES)})")
    if not isinstance(json.loads(args.options), dict):
        parser.error("--options must be a JSON object")
    if args.opacity is not None:
        if not 0.0 < args.opacity <= 1.0:
            parser.error(f"--opacity must be in (0, 1], got {args.opacity}")
        args.options = json.dumps({**json.loads(args.options), "opacity": args.opacity})
    if args.primitive is not None and not args.primitive.is_file():
        parser.error(f"no primitive binary at {args.primitive}")
    return args


def print_table(rows: list[Row], targets: dict[str, np.ndarray]) -> None:
    header = ("image", "size", "method", "budget", "kept", "MSE", "MSE/flat", "SSIM", "t [s]")
    header += ("hard MSE",)
    line = "{:<13} {:>7} {:<22} {:>6} {:>5} {:>9} {:>8} {:>7} {:>7} {:>9}"
    print(line.format(*header))
    previous = None
    for r in rows:
        if previous is not None and r.image != previous:
            print()
        previous = r.image
        h, w = targets[r.image].shape[:2]
        print(
            f"{r.image:<13} {f'{w}x{h}':>7} {r.method:<22} {r.budget:>6} {r.kept:>5} "
            f"{r.mse:>9.6f} {r.flat_ratio:>8.4f} {r.ssim:>7.4f} {r.seconds:>7.1f} "
            f"{r.hard_mse:>9.6f}"
        )


def result_line(rows: list[Row], images: list[str], colour: bool) -> str:
    ours = {(r.image, r.budget): r for r in rows if r.method == "ours"}
    gh100 = ("grace_hopper", 100)
    primitive = [r.mse for r in rows if r.method != "ours" and (r.image, r.budget) == gh100]

    def field(key: tuple[str, int], attr: str, fmt: str) -> str:
        return format(getattr(ours[key], attr), fmt) if key in ours else "na"

    ratios = [ours[(name, 35)].flat_ratio for name in images if (name, 35) in ours]
    worst = f"{max(ratios):.4f}" if ratios else "na"
    return (
        f"RESULT gh35_mse={field(('grace_hopper', 35), 'mse', '.6f')} "
        f"gh100_mse={field(('grace_hopper', 100), 'mse', '.6f')} "
        f"gh35_s={field(('grace_hopper', 35), 'seconds', '.1f')} "
        f"gh100_s={field(('grace_hopper', 100), 'seconds', '.1f')} "
        f"worst_flat_ratio={worst} "
        f"gh100_primitive_best_mse={f'{min(primitive):.6f}' if primitive else 'na'} "
        f"colour={'rgb' if colour else 'grey'}"
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    assert RESOLUTION == SIZE
    targets = {name: load_image(name, args.colour) for name in args.images}
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, target in targets.items():
            to_pil(quantise(target)).save(args.out / f"{name}_target.png")

    mean_header = "mean (R, G, B)     " if args.colour else "mean  "
    print(f"image         size    {mean_header} flat MSE (variance)")
    for name, target in targets.items():
        h, w = target.shape[:2]
        means = target.reshape(h * w, -1).mean(axis=0)
        mean = " ".join(f"{v:.4f}" for v in means)
        print(f"{name:<13} {f'{w}x{h}':>7} {mean} {flat_mse(target):.6f}")
    print(flush=True)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        tasks = [(name, "ours", budget) for name in targets for budget in args.shapes]
        if args.primitive is not None:
            tasks += [
                (name, "primitive", mode) for name in targets for mode in args.primitive_modes
            ]

        def timed(task: tuple[str, str, int | str]) -> tuple[list[Row], str | None]:
            name, kind, what = task
            began = time.perf_counter()
            if kind == "ours":
                result = run_ours(name, targets[name], int(what), args, tmp)
            else:
                result = run_primitive(name, targets[name], str(what), args.shapes, args, tmp)
            print(f"  {name} {kind} {what}: {time.perf_counter() - began:.1f} s", file=sys.stderr)
            return result

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(timed, tasks))

    order = {name: i for i, name in enumerate(args.images)}
    rows = sorted(
        (row for found, _ in results for row in found),
        key=lambda r: (order[r.image], r.method != "ours", r.method, r.budget),
    )
    notes = sorted({note for _, note in results if note})
    print_table(rows, targets)
    print()
    node = subprocess.getoutput("node --version")
    print(
        f"ours: engine.refine, Wasm in-process kernel under Node {node}, seed {args.seed}, "
        f"options {args.options}; start: no shapes, background = target mean"
        + (" colour; MSE and SSIM are means over R, G, B" if args.colour else "")
    )
    print(
        "ours is scored as the search sees it (soft edges, tau 0.5 px); hard MSE: the same "
        "scene with hard anti-aliased edges, as its SVG shows (4x4 samples a pixel)"
    )
    if args.primitive is not None:
        print(
            f"primitive: {args.primitive}, -j {args.primitive_workers}, frames of one run, "
            "scored on its PNG (hard MSE = MSE)"
        )
    for note in notes:
        print(f"note: {note}")
    print(result_line(rows, args.images, args.colour))


if __name__ == "__main__":
    main()
