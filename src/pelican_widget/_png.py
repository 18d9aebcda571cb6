"""Small pure-Python image helpers for the widget (no numpy, no pillow).

The widget must run in Pyodide, where neither is available: there it sends the
encoded file as it is and the browser decodes it. These helpers only read the
header (to check the format, the size and whether it holds colour) and write
8-bit grey and RGB PNGs.
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


def _jpeg_frame(data: bytes) -> tuple[int, int, int]:
    """Return ``(width, height, components)`` from a JPEG's start-of-frame header."""
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
            if pos + 10 > len(data):
                break
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height, data[pos + 9]
        pos += 2 + length
    raise ValueError("corrupt JPEG: no frame header found")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    width, height, _ = _jpeg_frame(data)
    return width, height


def image_channels(data: bytes) -> int:
    """Tell from the header whether an encoded image holds colour: 3, or 1 for grey.

    Without a decoder (Pyodide) this is all Python can know: a PNG of colour type
    grey (or grey with alpha), a PNG whose palette is all grey, and a one-component
    JPEG are grey; every other PNG or JPEG counts as colour, even when its pixels
    happen to be grey.

    Parameters
    ----------
    data : bytes
        A complete encoded PNG or JPEG file.

    Returns
    -------
    int
        1 (grey) or 3 (colour).

    Raises
    ------
    ValueError
        If the bytes are not a PNG or JPEG, or the header is truncated.

    """
    fmt = image_format(data)
    if fmt == "jpeg":
        return 1 if _jpeg_frame(data)[2] == 1 else 3
    image_size(data)  # checks the signature and the IHDR chunk
    colour_type = data[25] if len(data) > 25 else -1
    if colour_type in (0, 4):
        return 1
    if colour_type == 3:
        palette = _png_chunk(data, b"PLTE")
        greys = all(
            palette[k] == palette[k + 1] == palette[k + 2] for k in range(0, len(palette) - 2, 3)
        )
        return 1 if palette and greys else 3
    return 3


def _png_chunk(data: bytes, kind: bytes) -> bytes:
    """Return the body of the first chunk of ``kind`` before the image data (b"" if none)."""
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        name = data[pos + 4 : pos + 8]
        if name == kind:
            return data[pos + 8 : pos + 8 + length]
        if name == b"IDAT":
            break
        pos += 12 + length
    return b""


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
    return _encode_png(width, height, pixels, 1)


def encode_rgb_png(width: int, height: int, pixels: bytes) -> bytes:
    """Encode 8-bit RGB pixels as a PNG file.

    Parameters
    ----------
    width, height : int
        Image size in pixels.
    pixels : bytes
        ``3 * width * height`` values, row-major, the R, G, B of a pixel together.

    Returns
    -------
    bytes
        The PNG file.

    """
    if len(pixels) != 3 * width * height:
        raise ValueError(f"expected {3 * width * height} RGB bytes, got {len(pixels)}")
    return _encode_png(width, height, pixels, 3)


def _encode_png(width: int, height: int, pixels: bytes, channels: int) -> bytes:
    stride = channels * width
    rows = b"".join(b"\x00" + pixels[y * stride : (y + 1) * stride] for y in range(height))
    colour_type = 0 if channels == 1 else 2
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
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
