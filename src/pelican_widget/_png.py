"""Small pure-Python image helpers for the widget (no numpy, no pillow).

The widget must run in Pyodide, where neither is available: there it sends the
encoded file as it is and the browser decodes it. These helpers only read the
header (to check the format and the size) and write 8-bit grey PNGs.
"""

from __future__ import annotations

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"


def image_format(data: bytes) -> str | None:
    """Return ``"png"``, ``"jpeg"`` or None for the format of encoded image bytes.

    Parameters
    ----------
    data : bytes
        The start of an encoded image file.

    Returns
    -------
    str or None
        The format name, or None when the bytes are neither PNG nor JPEG.

    """
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(JPEG_SIGNATURE):
        return "jpeg"
    return None


def image_size(data: bytes) -> tuple[int, int]:
    """Read ``(width, height)`` from a PNG or JPEG header.

    Parameters
    ----------
    data : bytes
        A complete encoded PNG or JPEG file.

    Returns
    -------
    tuple of int
        The width and height in pixels.

    Raises
    ------
    ValueError
        If the bytes are not a PNG or JPEG, or the header is truncated.

    """
    fmt = image_format(data)
    if fmt == "png":
        if len(data) < 24 or data[12:16] != b"IHDR":
            raise ValueError("corrupt PNG: no IHDR chunk after the signature")
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if fmt == "jpeg":
        return _jpeg_size(data)
    raise ValueError("not a PNG or JPEG file (unknown signature)")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    pos = 2
    # Start-of-frame markers carry the size; the others are skipped by length.
    sof = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError("corrupt JPEG: expected a marker")
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in sof:
            if pos + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    raise ValueError("corrupt JPEG: no frame header found")


def encode_grey_png(width: int, height: int, pixels: bytes) -> bytes:
    """Encode 8-bit grey pixels as a PNG file.

    Parameters
    ----------
    width, height : int
        Image size in pixels.
    pixels : bytes
        ``width * height`` grey values, row-major.

    Returns
    -------
    bytes
        The PNG file.

    """
    if len(pixels) != width * height:
        raise ValueError(f"expected {width * height} grey bytes, got {len(pixels)}")
    rows = b"".join(b"\x00" + pixels[y * width : (y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 6))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def fit_size(width: int, height: int, resolution: int) -> tuple[int, int]:
    """Scale ``(width, height)`` so the longer side is ``resolution``, keeping the aspect.

    The same rule as :func:`pelican_widget.load_target`, so the size does not
    depend on whether Pillow is there.

    Parameters
    ----------
    width, height : int
        The source size.
    resolution : int
        The wanted longer side.

    Returns
    -------
    tuple of int
        The new size, each side at least 1.

    """
    if width >= height:
        return resolution, max(1, round(height * resolution / width))
    return max(1, round(width * resolution / height)), resolution
