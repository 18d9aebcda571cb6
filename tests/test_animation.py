"""Animation export: the browser's snapshots as an animated GIF and an animated SVG."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import traitlets
from PIL import Image

import pelican_widget as pw

SVG = "{http://www.w3.org/2000/svg}"


def _snapshots(count: int = 6) -> list[dict]:
    """What the browser sends: the drawing moving and growing over a run."""
    out = []
    for k in range(count):
        shapes = [pw.Circle(0.2 + 0.1 * k, 0.5, 0.15, fill=0.2).to_dict()]
        shapes += [pw.Ellipse(0.5, 0.3, 0.2, 0.1, 0.3, fill=0.6).to_dict()] * (k % 2)
        scene = {"version": 1, "width": 96, "height": 64, "background": 0.9, "shapes": shapes}
        out.append({"step": 50 * k, "loss": 0.1 / (k + 1), "scene": scene})
    return out


def _widget(snapshots: list[dict]) -> pw.PelicanWidget:
    w = pw.PelicanWidget(np.full((64, 96), 0.5, np.float32))
    w.set_state({"snapshots": snapshots})  # as a browser update
    return w


def test_gif_has_one_frame_per_snapshot_at_the_asked_size(tmp_path: Path) -> None:
    snaps = _snapshots(6)
    path = tmp_path / "run.gif"
    _widget(snaps).save_gif(path, fps=5, size=120)
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.is_animated
        assert gif.n_frames == len(snaps)
        assert gif.size == (120, 80)
        frames, durations = [], []
        for i in range(gif.n_frames):
            gif.seek(i)
            frames.append(np.asarray(gif.convert("L"), dtype=np.float64))
            durations.append(gif.info["duration"])
    # every frame differs from the one before: the drawing moves
    assert all(np.abs(a - b).mean() > 0.5 for a, b in zip(frames, frames[1:], strict=False))
    assert durations[:-1] == [200] * (len(snaps) - 1) and durations[-1] == 1200
    # the last frame is the final drawing, as the reference renderer draws it
    final = pw.Scene.from_dict(snaps[-1]["scene"]).copy(width=120, height=80)
    assert np.abs(frames[-1] / 255 - pw.render(final)).mean() < 0.01


def test_animation_svg_parses_and_holds_every_snapshot(tmp_path: Path) -> None:
    snaps = _snapshots(5)
    path = tmp_path / "run.svg"
    _widget(snaps).save_animation(path, fps=4, scale=2)
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 96 64"
    assert root.get("width") == "192"
    groups = root.findall(f"{SVG}g")
    assert [int(g.get("data-step")) for g in groups] == [s["step"] for s in snaps]
    # only the final drawing shows without animation; each frame has its turn
    assert [g.get("display") for g in groups] == ["none"] * 4 + [None]
    for group, snap in zip(groups, snaps, strict=True):
        animate = group.find(f"{SVG}animate")
        assert animate.get("attributeName") == "display" and animate.get("dur") == "2.25s"
        group.remove(animate)
        body = "".join(ET.tostring(child, encoding="unicode") for child in group)
        frame = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 64">{body}</svg>'
        scene = pw.Scene.from_svg(frame.replace("ns0:", "").replace(":ns0", ""))
        expected = pw.Scene.from_dict(snap["scene"])
        assert len(scene.shapes) == len(expected.shapes)
        for got, want in zip(scene.shapes, expected.shapes, strict=True):
            assert got.to_dict().keys() == want.to_dict().keys()
            for key, value in want.to_dict().items():
                if key != "type":
                    assert np.allclose(got.to_dict()[key], value, atol=1e-6), (key, got, want)


def test_animation_needs_no_numpy_or_pillow(tmp_path: Path) -> None:
    # as in JupyterLite: the modules are missing
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules["numpy"] = None
        sys.modules["PIL"] = None
        from pelican_widget.animation import save_animation, snapshots_from_json
        snaps = snapshots_from_json({_snapshots(3)!r})
        save_animation(snaps, {str(tmp_path / "lite.svg")!r})
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert (tmp_path / "lite.svg").read_text().count("<g data-step=") == 3


def test_animation_and_gif_errors_are_clear(tmp_path: Path) -> None:
    w = pw.PelicanWidget()
    with pytest.raises(RuntimeError, match="no snapshots yet"):
        w.save_animation(tmp_path / "a.svg")
    with pytest.raises(RuntimeError, match="no snapshots yet"):
        w.save_gif(tmp_path / "a.gif")
    w = _widget(_snapshots(2))
    with pytest.raises(ValueError, match="fps"):
        w.save_gif(tmp_path / "a.gif", fps=0)
    with pytest.raises(ValueError, match="size"):
        w.save_gif(tmp_path / "a.gif", size=4)
    # a bad snapshot is dropped, not the result it came with; a missing loss is null
    good, bad = _snapshots(1)[0], {"step": 1, "scene": {"shapes": [{"type": "hexagon"}]}}
    w.set_state({"snapshots": [bad, {**good, "loss": None}, "junk"], "status": "done"})
    assert w.status == "done" and len(w.snapshots) == 1
    assert w.animation_snapshots()[0].loss is None
    with pytest.raises(traitlets.TraitError):
        w.snapshots = []  # written by the browser only
    w.reset()
    assert w.snapshots == []
