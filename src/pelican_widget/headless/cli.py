"""The ``pelican-widget`` command: ``fit`` one image, ``batch`` a folder.

Exit codes: 0 when every image got its drawing, 1 when one failed (a bad
image, a missing Node, an engine error), 2 for bad arguments (argparse), and
130 after a Ctrl-C, with the best drawings so far written.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from ..animation import save_gif
from ..scene import SHAPE_TYPES, Scene
from ..target import COLOURS
from .fit import BACKENDS, FitOptions, check_opacity, fit_result
from .many import ImageResult, fit_many
from .progress import image_bar, note, step_bar

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")


def _kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in SHAPE_TYPES]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(SHAPE_TYPES)}, got {text!r}"
        )
    return kinds


def _opacity(text: str) -> float:
    value: float | str
    try:
        value = float(text)
    except ValueError:
        value = text  # refused below, by a message that names what was typed
    try:
        return check_opacity(value)
    except (TypeError, ValueError) as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--shapes", type=int, default=100, help="shape budget (default 100)")
    parser.add_argument(
        "--resolution", type=int, default=128, help="longer side in pixels (default 128)"
    )
    parser.add_argument("--colour", choices=COLOURS, default="auto", help="default auto")
    parser.add_argument(
        "--types", type=_kinds, default=None, help="kinds to add, e.g. circle,ellipse"
    )
    parser.add_argument("--backend", choices=BACKENDS, default="auto", help="default auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--loss", choices=("mse", "reference"), default="mse")
    parser.add_argument(
        "--opacity", type=_opacity, default=1.0, help="start opacity of new shapes (default 1)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``pelican-widget`` command."""
    parser = argparse.ArgumentParser(
        prog="pelican-widget",
        description="Turn images into vector drawings of shapes, with no browser.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("fit", help="fit one image and write its SVG")
    one.add_argument("image", help="a PNG or JPEG file (any format Pillow reads)")
    one.add_argument("-o", "--output", required=True, help="the SVG to write")
    one.add_argument("--png", help="also write the drawing as a PNG")
    one.add_argument("--gif", help="also write the search, shape by shape, as a GIF")
    one.add_argument("--scene", help="start from this scene (JSON or SVG) instead of no shapes")
    one.add_argument(
        "--steps", type=int, help="only optimise --scene for this many steps (no search)"
    )
    one.add_argument("--workers", type=int, help="Wasm worker threads (default: one per core)")
    _common(one)
    many = commands.add_parser("batch", help="fit every image of a folder")
    many.add_argument("folder", help="a folder of images")
    many.add_argument("-o", "--output", required=True, help="the folder to write the SVGs to")
    many.add_argument("--jobs", type=int, default=None, help="images at once (default: cores)")
    many.add_argument("--png", action="store_true", help="also write a PNG per image")
    _common(many)
    return parser


def _load_scene(path: str) -> Scene:
    text = Path(path).read_text(encoding="utf-8")
    return Scene.from_svg(text) if text.lstrip().startswith("<") else Scene.from_json(text)


def _fit_command(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        options = FitOptions(
            shapes=args.shapes,
            steps=args.steps,
            colour=args.colour,
            types=args.types,
            backend=args.backend,
            seed=args.seed,
            resolution=args.resolution,
            loss=args.loss,
            workers=args.workers,
            opacity=args.opacity,
        )
        scene = _load_scene(args.scene) if args.scene else None
        with step_bar(not args.no_progress) as on_event:
            result = fit_result(
                args.image, options, scene=scene, on_event=on_event, snapshots=bool(args.gif)
            )
        for path in (args.output, args.png, args.gif):
            if path:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        result.scene.save_svg(args.output)
        if args.png:
            result.scene.save_png(args.png)
        if args.gif:
            save_gif(result.snapshots, args.gif)
    except (OSError, ValueError, TypeError, RuntimeError) as err:
        print(f"error: {args.image}: {err}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        # before the engine ran (once it runs, a Ctrl-C ends it with its best drawing)
        print("stopped before there was a drawing to write", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"backend: {result.backend} ({result.backend_reason})", file=sys.stderr)
    if result.stopped == "aborted":
        print("stopped: the best drawing so far is written", file=sys.stderr)
    seconds = time.perf_counter() - started
    print(
        f"RESULT loss={result.loss['total']:.6f} shapes={len(result.scene.shapes)} "
        f"seconds={seconds:.2f} svg={args.output}"
    )
    return EXIT_INTERRUPTED if result.stopped == "aborted" else EXIT_OK


def _output_names(images: Sequence[Path]) -> dict[Path, str]:
    """Output stem per image: its own stem, or stem_suffix where two images share one."""
    stems = [image.stem for image in images]
    return {
        image: image.stem if stems.count(image.stem) == 1 else f"{image.stem}_{image.suffix[1:]}"
        for image in images
    }


def _batch_command(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder", file=sys.stderr)
        return EXIT_FAILED
    images = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not images:
        print(f"error: no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}", file=sys.stderr)
        return EXIT_FAILED
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    names = _output_names(images)
    by_name = {str(image): image for image in images}
    stop = threading.Event()
    failed: list[ImageResult] = []
    with image_bar(not args.no_progress, len(images)) as advance:

        def on_result(result: ImageResult) -> None:
            image = by_name[result.name]
            if result.ok and result.scene is not None:
                result.scene.save_svg(out / f"{names[image]}.svg")
                if args.png:
                    result.scene.save_png(out / f"{names[image]}.png")
            else:
                failed.append(result)
                note(f"error: {result.name}: {result.error}")
            if advance is not None:
                advance(image.name)

        try:
            fit_many(
                [str(image) for image in images],
                jobs=args.jobs,
                shapes=args.shapes,
                colour=args.colour,
                types=args.types,
                backend=args.backend,
                seed=args.seed,
                resolution=args.resolution,
                loss=args.loss,
                opacity=args.opacity,
                on_result=on_result,
                stop=stop,
            )
        except (ValueError, TypeError) as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_FAILED
        except KeyboardInterrupt:
            # outside the wait for the images (which stops them cleanly): give up at once
            print("stopped", file=sys.stderr)
            return EXIT_INTERRUPTED
    seconds = time.perf_counter() - started
    ok = len(images) - len(failed)
    print(
        f"RESULT images={len(images)} ok={ok} failed={len(failed)} seconds={seconds:.2f} out={out}"
    )
    if stop.is_set():
        return EXIT_INTERRUPTED
    return EXIT_OK if not failed else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "fit":
        return _fit_command(args)
    return _batch_command(args)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
