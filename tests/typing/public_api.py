"""Typed use of the public API, checked by ``mypy --strict`` (scripts/test.sh), never run.

Each line is something a user writes; the checker proves that the package's
annotations (``py.typed``) make it type-check without casts or ignores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import pelican_widget as pw
from pelican_widget.animation import Snapshot


def use_widget(out: Path) -> tuple[str, float, int]:
    w = pw.PelicanWidget(pw.sample("pelican"), scene=pw.Scene.pelican(), steps=300)
    w.run(steps=200)
    status: str = w.wait(timeout=60.0)
    w.refine(max_shapes=12, types=["circle", "ellipse"], seed=3)
    w.stop()
    w.reset()
    w.set_target(np.zeros((32, 48), np.float32))
    w.save_svg(out / "a.svg", scale=2.0)
    w.save_png(out / "a.png", size=256)
    w.save_gif(out / "a.gif", fps=8.0, size=128)
    w.save_animation(out / "a-animation.svg", fps=8.0)
    frames: list[Snapshot] = w.animation_snapshots()
    history: np.ndarray = w.loss_history_array()
    svg: str = w.to_svg(scale=1.5)
    return status + svg, float(history.sum()), len(frames)


def use_scene() -> pw.Scene:
    scene = pw.Scene.pelican()
    bigger = pw.Circle(0.5, 0.5, 0.2, fill=0.1)
    triangle = pw.Triangle(((0.1, 0.1), (0.2, 0.1), (0.1, 0.3)), 0.4)
    ellipse = pw.Ellipse(0.4, 0.5, 0.2, 0.1, 0.3, fill=(0.2, 0.4, 0.6))
    scene = scene.copy(shapes=(*scene.shapes, bigger, triangle, ellipse))
    again: pw.Scene = pw.Scene.from_svg(scene.to_svg(scale=2.0))
    image: np.ndarray = pw.render(again)
    terms: dict[str, float] = pw.loss(again, pw.load_target(pw.sample("bird"), 64))
    assert image.size and terms["total"] >= 0.0
    return pw.Scene.from_json(again.to_json())
