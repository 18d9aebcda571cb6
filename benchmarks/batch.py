"""Batch throughput of the headless engine: the same images with 1 and with N jobs.

Generates ``--images`` colour pictures (128 px, seeded: soft gradients with
random discs, boxes and noise, so no search stops early on a plateau), fits
each to ``--shapes`` shapes at ``--resolution`` with
``pelican_widget.fit_many`` (Wasm, one engine process per job, the kernel on
one thread per process), first with 1 job, then with ``--jobs``. Seconds are
wall time of the whole batch, Node start-up and image loading included.

Usage::

    python benchmarks/batch.py --images 16 --jobs 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from pelican_widget import fit_many


def make_image(path: Path, seed: int, size: int = 128) -> Path:
    """Write a seeded colour picture: a gradient, discs, boxes and a little noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    base = rng.uniform(0.2, 0.9, 3)
    slope = rng.uniform(-0.3, 0.3, (2, 3))
    rgb = base + x[..., None] * slope[0] + y[..., None] * slope[1]
    for _ in range(rng.integers(4, 9)):
        cx, cy, r = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(0.04, 0.25)
        rgb[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(0, 1, 3)
    for _ in range(rng.integers(2, 5)):
        x0, y0 = rng.uniform(0, 0.8, 2)
        w, h = rng.uniform(0.05, 0.3, 2)
        rgb[(x >= x0) & (x < x0 + w) & (y >= y0) & (y < y0 + h)] = rng.uniform(0, 1, 3)
    rgb += rng.normal(0, 0.02, rgb.shape)
    Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8)).save(path)
    return path


def run_batch(paths: list[str], jobs: int, shapes: int, resolution: int) -> tuple[float, list]:
    started = time.perf_counter()
    results = fit_many(paths, jobs=jobs, shapes=shapes, resolution=resolution, backend="wasm")
    seconds = time.perf_counter() - started
    failed = [r for r in results if not r.ok]
    if failed:
        raise SystemExit(f"{len(failed)} images failed: {failed[0].name}: {failed[0].error}")
    return seconds, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=2, help="jobs of the parallel run")
    parser.add_argument("--shapes", type=int, default=35)
    parser.add_argument("--resolution", type=int, default=128)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pelican-batch-") as folder:
        paths = [str(make_image(Path(folder) / f"img{i:02d}.png", i)) for i in range(args.images)]
        rows = []
        for jobs in (1, args.jobs):
            seconds, results = run_batch(paths, jobs, args.shapes, args.resolution)
            shapes = np.mean([len(r.scene.shapes) for r in results])
            loss = np.mean([r.loss for r in results])
            rows.append((jobs, seconds, shapes, loss))
    print(f"{args.images} images, {args.resolution} px, {args.shapes} shapes, Wasm")
    print(f"{'jobs':>4} {'seconds':>8} {'images/s':>9} {'speed-up':>9} {'shapes':>7} {'mse':>9}")
    for jobs, seconds, shapes, loss in rows:
        speedup = rows[0][1] / seconds
        print(
            f"{jobs:>4} {seconds:>8.2f} {args.images / seconds:>9.2f} {speedup:>8.2f}x "
            f"{shapes:>7.1f} {loss:>9.5f}"
        )
    first, second = rows[0][1], rows[1][1]
    print(f"RESULT images={args.images} jobs1_s={first:.2f} jobs{args.jobs}_s={second:.2f}")


if __name__ == "__main__":
    main()
