"""SVG export and import of scenes (and PNG export through the reference renderer).

:func:`to_svg` and :func:`from_svg` are pure Python (they run in Pyodide);
:func:`save_png` needs numpy and pillow.

Format written
--------------
* ``viewBox="0 0 W H"`` in pixels; ``width``/``height`` are ``W*scale``, ``H*scale``.
* A ``<rect>`` covering the canvas in the background grey, then one element per
  shape in painting order: ``<circle>``, ``<ellipse>`` with
  ``transform="rotate(deg cx cy)"``, ``<polygon>`` with 3 points, ``<rect>`` (x, y,
  width, height) with ``transform="rotate(deg cx cy)"`` about its centre, and
  ``<path d="M x0 y0 Q x1 y1 x2 y2" fill="none" stroke=... stroke-width=...
  stroke-linecap="round">`` for a curve (its colour in ``stroke``). Lengths are
  scaled by the longer side, so shapes look as the renderer draws them on
  non-square canvases.
* Fills are ``rgb(p%,q%,r%)`` with four decimals of percent (grey: three equal
  channels): standard CSS/SVG colour syntax that every browser renders, and precise
  to 1e-6, so a round trip keeps the fill (an integer ``rgb(r,g,b)`` would lose up to
  0.002).
* A shape's ``name`` goes into ``data-name``.
* A shape's ``opacity`` below 1 goes into ``fill-opacity`` (``stroke-opacity`` for a
  curve, which is a stroke); opaque shapes carry neither.

Reading
-------
:func:`from_svg` reads that format back (round trip within 1e-6) and also accepts
integer ``rgb(r,g,b)``, ``#rgb``/``#rrggbb`` and the basic CSS colour names
(``black``, ``white``, ``red``, ``grey``, ... see ``COLOUR_NAMES``). When every fill and
the background have equal channels the scene is grey (fills are numbers); otherwise it
is a colour scene and every fill and the background are ``(r, g, b)``. The parser (expat)
refuses any DOCTYPE, hence any entity declaration or external DTD, and never
fetches anything. Elements other than the ones above raise ``ValueError``, so that
nothing is dropped silently; ``<title>``, ``<desc>`` and ``<metadata>`` are skipped.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any, NoReturn
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

from .scene import Scene
from .shapes import SVG_TAGS
from .shapes._common import fmt as _num

SVG_NS = "http://www.w3.org/2000/svg"
_SKIPPED = {"title", "desc", "metadata"}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_ROTATE = re.compile(rf"^\s*rotate\(\s*({_NUMBER})[\s,]+({_NUMBER})[\s,]+({_NUMBER})\s*\)\s*$")
_RGB = re.compile(rf"^rgb\(\s*({_NUMBER})(%?)\s*,\s*({_NUMBER})(%?)\s*,\s*({_NUMBER})(%?)\s*\)$")
_HEX = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


COLOUR_NAMES: dict[str, tuple[int, int, int]] = {
    "black": (0, 0, 0),
    "silver": (192, 192, 192),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "white": (255, 255, 255),
    "maroon": (128, 0, 0),
    "red": (255, 0, 0),
    "purple": (128, 0, 128),
    "fuchsia": (255, 0, 255),
    "magenta": (255, 0, 255),
    "green": (0, 128, 0),
    "lime": (0, 255, 0),
    "olive": (128, 128, 0),
    "yellow": (255, 255, 0),
    "navy": (0, 0, 128),
    "blue": (0, 0, 255),
    "teal": (0, 128, 128),
    "aqua": (0, 255, 255),
    "cyan": (0, 255, 255),
    "orange": (255, 165, 0),
}


def _percent(value: float) -> str:
    return f"{value * 100:.4f}".rstrip("0").rstrip(".") + "%"


def _colour(value: float | tuple[float, ...]) -> str:
    channels = value if isinstance(value, tuple) else (value, value, value)
    return f"rgb({','.join(_percent(c) for c in channels)})"


def _name_attr(name: str | None) -> str:
    return "" if name is None else f" data-name={quoteattr(name)}"


def to_svg(scene: Scene, scale: float = 1.0) -> str:
    """Return the scene as a standalone SVG document.

    Parameters
    ----------
    scene
        The scene to draw.
    scale
        Factor from canvas pixels to the SVG's ``width``/``height`` (> 0).

    """
    if isinstance(scale, bool) or not isinstance(scale, (int, float)):
        raise ValueError(f"scale must be a number, got {scale!r}")
    if not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be finite and > 0, got {scale!r}")
    width, height = scene.width, scene.height
    lines = [
        f'<svg xmlns="{SVG_NS}" width="{_num(width * scale)}" height="{_num(height * scale)}" '
        f'viewBox="0 0 {width} {height}">',
        f'  <rect width="{width}" height="{height}" fill="{_colour(scene.background)}"/>',
    ]
    for shape in scene.shapes:
        colour = _colour(shape.fill)
        paint = f'fill="none" stroke="{colour}"' if _strokes(shape) else f'fill="{colour}"'
        fill = f"{paint}{_opacity_attr(shape)}{_name_attr(shape.name)}"
        lines.append(f"  {shape.svg_element(width, height)} {fill}/>")
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def _opacity_key(kind: Any) -> str:
    """Return the attribute that carries a kind's opacity (``stroke-opacity`` for strokes)."""
    return "stroke-opacity" if _strokes(kind) else "fill-opacity"


def _opacity_attr(shape: Any) -> str:
    if shape.opacity >= 1.0:
        return ""
    return f' {_opacity_key(shape)}="{shape.opacity:.9g}"'


def _strokes(kind: Any) -> bool:
    """Whether a kind (or shape) is painted as a stroke (its colour in ``stroke``)."""
    return getattr(kind, "paint", "fill") == "stroke"


def _refuse(*_: Any) -> NoReturn:
    raise ValueError("SVG with a DOCTYPE, entity declarations or external references is refused")


def _parse_elements(text: str) -> tuple[dict[str, str], list[tuple[str, dict[str, str]]]]:
    """Return the root's attributes and its children as (local name, attributes)."""
    root: dict[str, str] = {}
    children: list[tuple[str, dict[str, str]]] = []
    depth = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        namespace, _, local = tag.rpartition(" ")
        if depth == 0:
            if local != "svg" or namespace not in ("", SVG_NS):
                raise ValueError(f"the root element must be <svg>, got <{local}>")
            root.update(attrs)
        elif depth == 1:
            children.append((local, attrs))
        elif children[-1][0] not in _SKIPPED:
            raise ValueError(
                f"nested element <{local}> inside <{children[-1][0]}> is not supported"
            )
        depth += 1

    def end(_tag: str) -> None:
        nonlocal depth
        depth -= 1

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(text, True)
    except expat.ExpatError as err:
        raise ValueError(f"not well-formed SVG: {err}") from None
    return root, children


def _float(attrs: dict[str, str], key: str, where: str) -> float:
    if key not in attrs:
        raise ValueError(f"{where}: missing attribute '{key}'")
    try:
        value = float(attrs[key])
    except ValueError:
        raise ValueError(f"{where}: attribute '{key}' is not a number: {attrs[key]!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: attribute '{key}' must be finite")
    return value


def _parse_colour(
    attrs: dict[str, str], where: str, key: str = "fill"
) -> tuple[float, float, float]:
    if key not in attrs:
        raise ValueError(f"{where}: missing attribute '{key}'")
    text = attrs[key].strip()
    if match := _RGB.match(text):
        channels = [
            float(match.group(k)) / (100.0 if match.group(k + 1) else 255.0) for k in (1, 3, 5)
        ]
    elif match := _HEX.match(text):
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        channels = [int(digits[k : k + 2], 16) / 255.0 for k in (0, 2, 4)]
    elif text.lower() in COLOUR_NAMES:
        channels = [v / 255.0 for v in COLOUR_NAMES[text.lower()]]
    else:
        raise ValueError(
            f"{where}: unsupported {key} {text!r} (expected rgb(...), #rrggbb, #rgb or a "
            "basic colour name)"
        )
    return (channels[0], channels[1], channels[2])


def _grey_or_colour(colours: list[tuple[float, float, float]]) -> list[Any]:
    """Grey numbers when every colour has equal channels (a grey scene), else the triples."""
    if all(max(c) - min(c) <= 1e-9 for c in colours):
        return [c[0] for c in colours]
    return list(colours)


class _Reader:
    """Attribute access for a kind's ``from_svg``, with errors naming the element."""

    def __init__(self, attrs: dict[str, str], where: str, kind: str) -> None:
        self.attrs = attrs
        self.where = where
        self.kind = kind

    def number(self, key: str) -> float:
        """Return a finite number attribute."""
        return _float(self.attrs, key, self.where)

    def points(self, key: str, count: int, what: str) -> list[list[float]]:
        """Return ``count`` (x, y) pairs from a points attribute."""
        try:
            numbers = [float(v) for v in re.split(r"[\s,]+", self.attrs.get(key, "").strip()) if v]
        except ValueError:
            raise ValueError(f"{self.where}: attribute '{key}' is not a list of numbers") from None
        if len(numbers) != 2 * count:
            raise ValueError(
                f"{self.where}: {what} needs exactly {count} points, got {len(numbers) / 2:g}"
            )
        return [[numbers[k], numbers[k + 1]] for k in range(0, 2 * count, 2)]

    def path_quadratic(self, key: str) -> list[float]:
        """Return the six numbers of a path ``M x0 y0 Q x1 y1 x2 y2`` (absolute commands)."""
        text = self.attrs.get(key, "").strip()
        match = re.fullmatch(
            rf"M[\s,]*({_NUMBER})[\s,]+({_NUMBER})[\s,]*Q[\s,]*({_NUMBER})[\s,]+({_NUMBER})"
            rf"[\s,]+({_NUMBER})[\s,]+({_NUMBER})",
            text,
        )
        if match is None:
            raise ValueError(
                f"{self.where}: a curve's path must be 'M x y Q x y x y', got {text!r}"
            )
        return [float(match.group(k)) for k in range(1, 7)]

    def rotation(self, cx: float, cy: float) -> float:
        """Return the angle (radians) of ``transform="rotate(deg cx cy)"``, 0 when absent."""
        attrs, where = self.attrs, self.where
        if "transform" not in attrs:
            return 0.0
        match = _ROTATE.match(attrs["transform"])
        if match is None:
            raise ValueError(f"{where}: unsupported transform {attrs['transform']!r}")
        degrees, rx, ry = (float(match.group(k)) for k in (1, 2, 3))
        if abs(rx - cx) > 1e-6 * max(1.0, abs(cx)) or abs(ry - cy) > 1e-6 * max(1.0, abs(cy)):
            raise ValueError(f"{where}: the rotation must be about the {self.kind} centre")
        return math.radians(degrees)


def _viewbox(root: dict[str, str]) -> tuple[int, int]:
    parts = re.split(r"[\s,]+", root.get("viewBox", "").strip())
    try:
        values = [float(v) for v in parts]
    except ValueError:
        values = []
    if len(values) != 4 or values[0] != 0 or values[1] != 0:
        raise ValueError(f"<svg> needs viewBox='0 0 W H', got {root.get('viewBox')!r}")
    if not (values[2].is_integer() and values[3].is_integer()):
        raise ValueError(f"viewBox width and height must be whole pixels, got {values[2:]}")
    return int(values[2]), int(values[3])


def from_svg(text: str) -> Scene:
    """Read a scene back from SVG text written by :func:`to_svg`.

    Raises
    ------
    ValueError
        For malformed XML, a DOCTYPE or entity declaration, unsupported elements,
        transforms or colours, and every scene validation error.

    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")
    if not isinstance(text, str):
        raise TypeError(f"SVG must be text, got {type(text).__name__}")
    root, children = _parse_elements(text)
    width, height = _viewbox(root)
    background: tuple[float, float, float] = (1.0, 1.0, 1.0)
    has_background = False
    shapes: list[dict[str, Any]] = []
    fills: list[tuple[float, float, float]] = []
    for index, (tag, attrs) in enumerate(children):
        where = f"element {index} <{tag}>"
        if tag in _SKIPPED:
            continue
        if tag == "rect" and not shapes and not has_background:
            background = _parse_colour(attrs, where)
            has_background = True
            continue
        kind = SVG_TAGS.get(tag)
        if kind is None:
            raise ValueError(f"{where}: unsupported element")
        shape: dict[str, Any] = kind.from_svg(_Reader(attrs, where, kind.type), width, height)
        fills.append(_parse_colour(attrs, where, "stroke" if _strokes(kind) else "fill"))
        if _opacity_key(kind) in attrs:
            shape["opacity"] = _float(attrs, _opacity_key(kind), where)
        if "data-name" in attrs:
            shape["name"] = attrs["data-name"]
        shapes.append(shape)
    colours = _grey_or_colour([background, *fills])
    for shape, fill in zip(shapes, colours[1:], strict=True):
        shape["fill"] = fill
    return Scene.from_dict(
        {"width": width, "height": height, "background": colours[0], "shapes": shapes}
    )


def save_svg(scene: Scene, path: str | os.PathLike[str], scale: float = 1.0) -> None:
    """Write :func:`to_svg` to ``path`` as UTF-8."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(to_svg(scene, scale))


def save_png(scene: Scene, path: str | os.PathLike[str], size: int | None = None) -> None:
    """Render with the reference renderer and write an 8-bit PNG: grey, or RGB in colour.

    Parameters
    ----------
    scene
        The scene to render (at the default evaluation tau of the output size).
    path
        Where to write the PNG.
    size
        Longer side of the PNG in pixels, in [1, 2048]; default the scene's own size.
        The aspect ratio is kept.

    """
    import numpy as np
    from PIL import Image

    from .raster import render

    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 2048:
            raise ValueError(f"size must be an integer in [1, 2048], got {size!r}")
        side = max(scene.width, scene.height)
        scene = scene.copy(
            width=max(1, round(scene.width * size / side)),
            height=max(1, round(scene.height * size / side)),
        )
    pixels = np.round(render(scene).astype(np.float64) * 255.0).astype(np.uint8)
    Image.fromarray(pixels).save(path, format="PNG")
