"""Interface faults of issue 16 that Python can show: titles, shape names, huge images, samples."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

import pelican_widget as pw


def _png_header_only(width: int, height: int) -> bytes:
    """A grey PNG that claims ``width`` x ``height`` pixels but holds one row."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" + bytes(width))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_huge_png_raises_the_documented_value_error(tmp_path: Path) -> None:
    data = _png_header_only(20000, 20000)
    with pytest.raises(ValueError, match="too large"):
        pw.load_target(data)
    path = tmp_path / "huge.png"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="too large"):
        pw.load_target(path)
    with pytest.raises(ValueError, match="too large"):
        pw.PelicanWidget(data)


def test_the_title_follows_the_target(tmp_path: Path) -> None:
    assert pw.PelicanWidget().title == "pelican"
    assert pw.PelicanWidget(pw.sample("pelican")).title == "pelican"
    assert pw.PelicanWidget(pw.sample("bird")).title == "bird"
    photo = tmp_path / "harbour.png"
    from PIL import Image

    Image.new("L", (40, 30), 90).save(photo)
    assert pw.PelicanWidget(photo).title == "harbour"
    assert pw.PelicanWidget(np.full((20, 30), 0.5, np.float32)).title == "drawing"
    w = pw.PelicanWidget()
    w.set_target(str(photo))
    assert w.title == "harbour"
    w.title = "my bird"  # the user's own title stays while the picture does
    w.resolution = 64
    assert w.title == "my bird"


def test_svgs_of_another_picture_carry_no_pelican_part_names() -> None:
    w = pw.PelicanWidget()
    assert 'data-name="body"' in w.to_svg()
    w.set_target(np.full((32, 48), 0.3, np.float32))
    assert len(w.scene.shapes) == 9  # the shapes stay, their names go
    assert "data-name" not in w.to_svg()
    w.reset()
    assert "data-name" not in w.to_svg()
    # the engraving is a pelican: the start shapes keep their part names
    engraving = pw.PelicanWidget(pw.sample("pelican"), scene=pw.Scene.pelican())
    assert 'data-name="neck"' in engraving.to_svg()


def test_the_pelican_sample_is_the_small_public_domain_engraving() -> None:
    path = pw.sample("pelican")
    assert path.is_file() and path.stat().st_size <= 60_000
    assert path.read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG
    target = pw.load_target(path, 128)
    assert target.shape == (114, 128)
    assert 0.5 < float(target.mean()) < 0.95  # a dark bird on a light page
    licence = (path.parent / "README.md").read_text()
    assert "pelican.jpg" in licence and "public domain" in licence
    assert pw.sample("bird").read_bytes() == pw.target.default_target_png()
    with pytest.raises(ValueError, match="unknown sample"):
        pw.sample("heron")
