"""The pelican-widget command: fit, batch, exit codes and Ctrl-C."""

import os
import re
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from headless_data import busy_photo, photo_path
from PIL import Image

import pelican_widget as pw
from pelican_widget.headless.cli import main, run

RESULT = re.compile(r"^RESULT loss=(\S+) shapes=(\d+) seconds=(\S+) svg=(\S+)$")
WAIT_S = 120


@pytest.fixture()
def photo(tmp_path):
    return photo_path(tmp_path)


def _command(*args):
    return [sys.executable, "-m", "pelican_widget.headless", *map(str, args)]


def test_cli_fit_writes_svg_png_gif_and_a_result_line(photo, tmp_path, capsys):
    out = tmp_path / "out" / "drawing.svg"
    code = main(
        ["fit", photo, "-o", str(out), "--shapes", "4", "--resolution", "32", "--no-progress"]
        + ["--png", str(tmp_path / "d.png"), "--gif", str(tmp_path / "d.gif")]
    )
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    match = RESULT.match(lines[-1])
    assert match, lines
    scene = pw.Scene.from_svg(out.read_text())
    assert int(match.group(2)) == len(scene.shapes) and 1 <= len(scene.shapes) <= 4
    assert float(match.group(1)) > 0 and match.group(4) == str(out)
    assert Image.open(tmp_path / "d.png").size == (scene.width, scene.height)
    with Image.open(tmp_path / "d.gif") as gif:
        assert gif.n_frames >= 2


def test_cli_fit_types_and_grey(photo, tmp_path, capsys):
    out = tmp_path / "d.svg"
    args = ["fit", photo, "-o", str(out), "--shapes", "3", "--resolution", "24"]
    code = main([*args, "--colour", "grey", "--types", "circle", "--no-progress"])
    assert code == 0
    scene = pw.Scene.from_svg(out.read_text())
    assert {s.type for s in scene.shapes} == {"circle"} and scene.channels == 1


def test_cli_fit_bad_image_exits_1(tmp_path, capsys):
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8 not really a jpeg")
    assert main(["fit", str(junk), "-o", str(tmp_path / "x.svg"), "--no-progress"]) == 1
    assert f"error: {junk}: cannot read" in capsys.readouterr().err
    assert not (tmp_path / "x.svg").exists()


def test_cli_bad_arguments_exit_2(photo, tmp_path, capsys):
    for args in (
        ["fit", photo],  # no -o
        ["fit", photo, "-o", "x.svg", "--types", "hexagon"],
        ["fit", photo, "-o", "x.svg", "--colour", "blue"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        assert exit_info.value.code == 2
    for command, source in (("fit", photo), ("batch", str(tmp_path))):
        for value in ("0", "-0.5", "1.5", "nan", "half"):
            with pytest.raises(SystemExit) as exit_info:
                main([command, source, "-o", "x", "--opacity", value])
            assert exit_info.value.code == 2
            assert "opacity must be a number in (0, 1]" in capsys.readouterr().err


def test_cli_opacity_starts_new_shapes_translucent(tmp_path, capsys):
    images = tmp_path / "in"
    images.mkdir()
    image = busy_photo(images / "a.png", 5)
    options = ["--shapes", "4", "--resolution", "32", "--opacity", "0.5", "--no-progress"]
    one = tmp_path / "one.svg"
    assert main(["fit", image, "-o", str(one), *options]) == 0
    assert main(["batch", str(images), "-o", str(tmp_path / "many"), *options]) == 0
    for svg in (one, tmp_path / "many" / "a.svg"):
        scene = pw.Scene.from_svg(svg.read_text())
        assert scene.shapes and any(s.opacity < 1 for s in scene.shapes)


def test_cli_batch_bad_image_fails_alone(tmp_path, capsys):
    images = tmp_path / "in"
    images.mkdir()
    busy_photo(images / "a.png", 1)
    busy_photo(images / "b.jpg", 2)
    (images / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    (images / "notes.txt").write_text("not an image: ignored")
    out = tmp_path / "out"
    args = ["batch", images, "-o", out, "--shapes", "3", "--resolution", "24", "--jobs", "2"]
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["a.svg", "b.svg"]
    assert f"error: {images / 'broken.png'}: cannot read" in captured.err
    assert "RESULT images=3 ok=2 failed=1" in captured.out.strip().splitlines()[-1]
    for name in ("a", "b"):
        assert 1 <= len(pw.Scene.from_svg((out / f"{name}.svg").read_text()).shapes) <= 3


def test_cli_batch_all_good_exits_0_with_pngs(tmp_path, capsys):
    images = tmp_path / "in"
    images.mkdir()
    busy_photo(images / "a.png", 3)
    busy_photo(images / "a.jpg", 4)  # same stem: both kept
    out = tmp_path / "out"
    args = ["batch", images, "-o", out, "--shapes", "2", "--resolution", "16", "--png"]
    assert main([*map(str, args), "--no-progress"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["a_jpg.png", "a_jpg.svg", "a_png.png", "a_png.svg"]
    assert "RESULT images=2 ok=2 failed=0" in capsys.readouterr().out


def test_cli_batch_of_nothing_fails(tmp_path, capsys):
    assert main(["batch", str(tmp_path), "-o", str(tmp_path / "o"), "--no-progress"]) == 1
    assert "no images" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "nope"), "-o", str(tmp_path / "o")]) == 1


class _Stream:
    """Collects a pipe in a thread, so a test can wait for some text without blocking."""

    def __init__(self, pipe):
        self.text = ""
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe):
        for chunk in iter(lambda: pipe.read1(4096), b""):
            self.text += chunk.decode(errors="replace")

    def wait_for(self, predicate, what):
        deadline = time.monotonic() + WAIT_S
        while not predicate():
            assert time.monotonic() < deadline, f"no {what} within {WAIT_S} s: {self.text[-2000:]}"
            time.sleep(0.05)

    def join(self):
        self._thread.join(timeout=WAIT_S)


def _as_in_a_terminal() -> None:
    # A shell's background job (a CI script) starts with SIGINT ignored, which
    # the CLI inherits, and Python then raises no KeyboardInterrupt: a Ctrl-C
    # comes from a terminal, where SIGINT is at its default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args):
    process = subprocess.Popen(
        _command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_as_in_a_terminal,
    )
    return process, _Stream(process.stdout), _Stream(process.stderr)


def test_cli_fit_ctrl_c_writes_the_best_drawing(photo, tmp_path):
    out = tmp_path / "stopped.svg"
    process, stdout, stderr = _start(["fit", photo, "-o", out, "--shapes", "1000"])
    # the progress bar shows shapes once the search has kept its first one
    stderr.wait_for(lambda: "shapes=" in stderr.text, "progress")
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=WAIT_S) == 130
    stdout.join()
    stderr.join()
    assert "stopped: the best drawing so far is written" in stderr.text
    assert RESULT.match(stdout.text.strip().splitlines()[-1])
    shapes = pw.Scene.from_svg(out.read_text()).shapes
    assert 1 <= len(shapes) < 1000


def test_cli_batch_ctrl_c_stops_cleanly(photo, tmp_path):
    images = tmp_path / "in"
    images.mkdir()
    # a flat image ends at once (nothing to draw), the photos take long
    Image.new("RGB", (40, 30), (200, 200, 200)).save(images / "a_flat.png")
    for name in ("b_photo.jpg", "c_photo.jpg"):
        Image.open(photo).convert("RGB").save(images / name)
    out = tmp_path / "out"
    process, stdout, stderr = _start(
        ["batch", images, "-o", out, "--jobs", "1", "--shapes", "1000", "--no-progress"]
    )
    stdout.wait_for(lambda: (out / "a_flat.svg").exists(), "first SVG")
    time.sleep(1.0)  # b_photo is running
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=WAIT_S) == 130
    stdout.join()
    stderr.join()
    assert (out / "b_photo.svg").exists()  # its best drawing so far
    assert not (out / "c_photo.svg").exists()
    assert f"error: {images / 'c_photo.jpg'}: not started" in stderr.text
    assert "RESULT images=3 ok=2 failed=1" in stdout.text


def test_cli_console_script_is_installed():
    (entry,) = [e for e in entry_points(group="console_scripts") if e.name == "pelican-widget"]
    assert entry.load() is run
    script = Path(sysconfig.get_path("scripts")) / (
        "pelican-widget" + (".exe" if os.name == "nt" else "")
    )
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "batch" in result.stdout


def test_cli_fit_optimises_a_given_scene(photo, tmp_path, capsys):
    start = pw.Scene.pelican()
    as_json = tmp_path / "start.json"
    as_json.write_text(start.to_json())
    as_svg = tmp_path / "start.svg"
    start.save_svg(as_svg)
    for given in (as_json, as_svg):
        out = tmp_path / f"from_{given.suffix[1:]}.svg"
        args = ["fit", photo, "-o", out, "--scene", given, "--steps", "10", "--resolution", "24"]
        assert main([*map(str, args), "--no-progress"]) == 0
        scene = pw.Scene.from_svg(out.read_text())
        assert len(scene.shapes) == len(start.shapes) and scene.shapes != start.shapes
    capsys.readouterr()
    args = ["fit", photo, "-o", str(tmp_path / "x.svg"), "--steps", "10", "--no-progress"]
    assert main(args) == 1
    assert "plain optimisation of a given scene" in capsys.readouterr().err
