"""Greedy shape search benchmark: pelican target, 9 start shapes -> 35 shapes.

Runs ``engine.refine`` on the Wasm backend (in-process kernel under Node,
through ``benchmarks/refine_driver.mjs`` and the built ``js/build/engine.mjs``),
prints one table row per round, scores the final scene with the Python
reference loss at tau 0.5 px and writes ``DIR/refine_<proposal>.svg``.

Usage::

    cd js && npm run build && cd ..
    python benchmarks/refine.py --proposal error --out bench-out
    python benchmarks/refine.py --proposal random --out bench-out

The search runs on the reference objective (``--loss reference``, the design
notes' loss mix) by default, so the figures compare with the PyTorch
original's; ``--loss mse`` runs the widget's default objective for photos.

``--colour`` grows a colour drawing instead: on the colour test image of
``benchmarks/quality.py --colour`` (photos.py's generated ``texture`` scene in
colour, 128x128), from no shapes on the image's mean colour, with the widget's
objective for such targets (``mse`` unless ``--loss`` says otherwise), and
writes ``DIR/refine_<proposal>_rgb.svg``::

    python benchmarks/refine.py --colour --max-shapes 100 --out bench-out

``--types`` picks the kinds the search may add: ``all`` (the default: circle,
ellipse, triangle, rect, curve), ``classic`` (circle, ellipse, triangle) or a
comma-separated list; the SVG is then ``DIR/refine_<proposal>_<types>.svg``::

    python benchmarks/refine.py --types classic --proposal error --out bench-out
    python benchmarks/refine.py --types all --proposal error --out bench-out

At scale: ``--resolution N`` loads the target at N x N (the colour test image
is resized to it), ``--batch`` sets the search's ``batch`` (``auto``, the
default, or shapes per round; 1 is one shape per round) and ``--workers`` the
Wasm Workers (0, the default: the in-process kernel)::

    python benchmarks/refine.py --max-shapes 300 --resolution 256 --out bench-out
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import DATA, REPO, RESOLUTION, driver_input_args, load_pelican
from photos import load_image
from PIL import Image

import pelican_widget as pw
from pelican_widget.shapes import SHAPE_TYPES

TYPE_SETS: dict[str, tuple[str, ...]] = {
    "all": tuple(SHAPE_TYPES),
    "classic": ("circle", "ellipse", "triangle"),
}


def kinds_of(text: str) -> tuple[str, ...]:
    """The kinds a ``--types`` value names: a set's name or a comma-separated list."""
    kinds = TYPE_SETS.get(text) or tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in SHAPE_TYPES]
    if not kinds or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown shape kind(s) {unknown} in --types (known: {', '.join(SHAPE_TYPES)})"
        )
    return kinds


OBJECTIVE_WEIGHTS: dict[str, dict[str, float] | None] = {
    "reference": None,
    "mse": {
        "mse": 1.0,
        "edge": 0.0,
        "ssim": 0.0,
        "perimeter": 0.0,
        "degeneracy": 0.0,
        "canvas": 0.0,
    },
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposal", choices=["error", "random"], default="error")
    parser.add_argument("--out", type=Path, default=REPO / "bench-out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-shapes", type=int, default=35)
    parser.add_argument(
        "--loss",
        choices=["reference", "mse"],
        default=None,
        help="the objective (default: reference on the pelican, mse with --colour)",
    )
    parser.add_argument(
        "--colour", action="store_true", help="the colour test image, from no shapes, in RGB"
    )
    parser.add_argument(
        "--types",
        default="all",
        help="kinds the search may add: all (default), classic, or a comma-separated list",
    )
    parser.add_argument("--resolution", type=int, default=RESOLUTION, help="target size, N x N")
    parser.add_argument(
        "--batch", default="auto", help="shapes per round: auto (default) or a positive integer"
    )
    parser.add_argument("--workers", type=int, default=0, help="Wasm Workers (0: in-process)")
    parser.add_argument(
        "--opacity", type=float, default=1.0, help="start opacity of new shapes, in (0, 1]"
    )
    for flag in ("--settle-steps", "--reoptimize-steps", "--initial-steps"):
        parser.add_argument(flag, type=int, default=None, help="the engine's default if omitted")
    args = parser.parse_args(argv)
    try:
        args.kinds = kinds_of(args.types)
    except argparse.ArgumentTypeError as err:
        parser.error(str(err))
    if args.loss is None:
        args.loss = "mse" if args.colour else "reference"
    if args.batch != "auto":
        if not args.batch.isdigit() or int(args.batch) < 1:
            parser.error(f"--batch must be auto or a positive integer, got {args.batch}")
        args.batch = int(args.batch)
    if not 0.0 < args.opacity <= 1.0:
        parser.error(f"--opacity must be in (0, 1], got {args.opacity}")
    return args


def driver_command(
    args: argparse.Namespace, target_path: Path, scene_path: Path, channels: int
) -> list[str]:
    """The Node command line that runs the search."""
    command = [
        "node",
        str(REPO / "benchmarks" / "refine_driver.mjs"),
        *driver_input_args(target_path, scene_path, args.resolution, args.resolution),
        *("--channels", str(channels)),
        *("--workers", str(args.workers)),
        "--proposal",
        args.proposal,
        "--seed",
        str(args.seed),
        "--max-shapes",
        str(args.max_shapes),
        "--options",
        json.dumps(
            {
                "loss": args.loss,
                "types": list(args.kinds),
                "batch": args.batch,
                "opacity": args.opacity,
            }
        ),
    ]
    for flag in ("settle_steps", "reoptimize_steps", "initial_steps"):
        value = getattr(args, flag)
        if value is not None:
            command += [f"--{flag.replace('_', '-')}", str(value)]
    return command


def run_driver(command: list[str]) -> dict:
    """Runs the driver, printing a table row per round; returns its DONE record."""
    header = ("round", "type", "before", "after", "kept", "shapes", "t [s]")
    print("{:>5} {:<9} {:>9} {:>9} {:>5} {:>6} {:>7}".format(*header))
    done = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("ROUND "):
                r = json.loads(line[6:])
                kept = "yes" if r["accepted"] else "no"
                print(
                    f"{r['round']:>5} {r['type']:<9} {r['lossBefore']:>9.5f} "
                    f"{r['lossAfter']:>9.5f} {kept:>5} {r['shapes']:>6} {r['seconds']:>7.1f}",
                    flush=True,
                )
            elif line.startswith("DONE "):
                done = json.loads(line[5:])
    if process.returncode != 0 or done is None:
        sys.exit(f"refine driver failed (exit {process.returncode})")
    return done


def start_of(args: argparse.Namespace) -> tuple[np.ndarray, pw.Scene, str]:
    """The target, the start scene and a name for them."""
    size = args.resolution
    if not args.colour:
        if size == RESOLUTION:
            return load_pelican(), pw.Scene.pelican(), "pelican (grey)"
        image = Image.open(DATA / "pelican.jpg").convert("L").resize((size, size))
        grey = np.asarray(image, dtype=np.float32) / 255.0
        return grey, pw.Scene.pelican(), f"pelican (grey, {size}x{size})"
    target = load_image("texture", colour=True)
    if size != target.shape[0]:
        pixels = np.round(target * 255.0).astype(np.uint8)
        resized = Image.fromarray(pixels, "RGB").resize((size, size), Image.Resampling.BICUBIC)
        target = np.asarray(resized, dtype=np.float32) / 255.0
    height, width = target.shape[:2]
    mean = tuple(float(v) for v in target.mean(axis=(0, 1)))
    start = pw.Scene(width=width, height=height, background=mean, shapes=())
    return target, start, "colour test image (photos.py 'texture', RGB)"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    target, start, name = start_of(args)
    channels = target.shape[2] if target.ndim == 3 else 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        target_path = Path(tmp) / "target.f32"
        scene_path = Path(tmp) / "start.json"
        target_path.write_bytes(target.astype("<f4").tobytes())
        scene_path.write_text(start.to_json())
        began = time.perf_counter()
        done = run_driver(driver_command(args, target_path, scene_path, channels))
        wall = time.perf_counter() - began

    scene = pw.Scene.from_dict(done["scene"])
    tau = 0.5 / args.resolution
    # the loss the search minimised: the reference mix, or the MSE alone
    weights = OBJECTIVE_WEIGHTS[args.loss]
    start_loss = pw.loss(start, target, tau=tau, weights=weights)["total"]
    final = pw.loss(scene, target, tau=tau, weights=weights)
    label = args.types.replace(",", "-")
    svg = args.out / f"refine_{args.proposal}_{label}{'_rgb' if args.colour else ''}.svg"
    svg.write_text(scene.to_svg())

    print()
    node = subprocess.getoutput("node --version")
    print(f"target               {name}")
    where = f"{args.workers} Workers" if args.workers else "in-process kernel"
    print(f"backend              {done['backend']} ({where} under Node {node})")
    print(f"batch                {args.batch}")
    translucent = sum(s.opacity < 1 for s in scene.shapes)
    print(f"start opacity        {args.opacity} ({translucent} shapes translucent at the end)")
    print(f"proposal             {args.proposal} (seed {args.seed}), objective {args.loss}")
    print(f"start loss ({len(start.shapes)})       {start_loss:.5f}")
    print(f"final loss (python)  {final['total']:.5f}   engine objective {done['loss']:.5f}")
    print(f"final mse, ssim      {final['mse']:.5f}, {1 - final['ssim']:.4f}")
    counts = f"accepted {done['accepted']}, rejected {done['rejected']}"
    print(f"shapes               {len(scene.shapes)}  ({counts})")
    per_kind = {kind: sum(s.type == kind for s in scene.shapes) for kind in SHAPE_TYPES}
    print(f"types                {args.types}: {', '.join(args.kinds)}")
    print("shapes per kind      " + ", ".join(f"{k} {n}" for k, n in per_kind.items()))
    print(f"stopped by           {done['stopped']}")
    print(
        f"refine time          {done['seconds']:.1f} s for {done['steps']} optimiser steps "
        f"({1000 * done['seconds'] / max(done['steps'], 1):.2f} ms/step); "
        f"wall (incl. Node start) {wall:.1f} s"
    )
    print(
        f"RESULT types={args.types} opacity={args.opacity} loss={final['total']:.5f} "
        f"mse={final['mse']:.5f} "
        f"shapes={len(scene.shapes)} " + " ".join(f"{k}={n}" for k, n in per_kind.items()) + " "
        f"accepted={done['accepted']} "
        f"rejected={done['rejected']} seconds={wall:.1f} steps={done['steps']} svg={svg}"
    )


if __name__ == "__main__":
    main()
