"""Turning paths, bytes, PIL images and arrays into a grey or colour target image.

numpy and pillow are imported inside the functions that need them;
:func:`default_target_png` needs neither, so the widget can use it in Pyodide.

Decisions
---------
* Grey conversion: 8-bit sources go through Pillow exactly as the reference does
  (``convert("L")``, ITU-R 601-2 luma in fixed point), then are resized as 8-bit grey
  and divided by 255. 16-bit and float sources keep their precision: luma
  ``0.299 R + 0.587 G + 0.114 B`` in float64, resized as a float image.
* Alpha is composited on white before the grey conversion.
* Colour (``colour="rgb"``, or ``"auto"`` on an image whose channels differ): 8-bit
  sources become 8-bit RGB through Pillow (``convert("RGB")``, alpha composited on
  white), are resized as 8-bit RGB and divided by 255; 16-bit and float sources are
  resized per channel as float images. The result is (H, W, 3) float32. ``"auto"``
  gives the grey result, exactly as ``"grey"``, for a grey image and for a colour
  image whose three channels are equal everywhere; ``"rgb"`` on a grey source
  repeats its grey in three channels.
* Resizing uses Pillow's default filter (bicubic); float results are clipped to
  [0, 1] because bicubic overshoots. By default the aspect ratio is kept and the
  longer side becomes ``resolution``; ``size=(width, height)`` asks for an exact size
  (``size=(128, 128)`` is the square resize of the reference project).
* A source already at the requested size is not resampled: a float32 (H, W) array
  comes back with the same values.
* Errors: a missing file raises ``FileNotFoundError``; unreadable or corrupt images,
  empty arrays, NaN/inf, float values outside [0, 1], unsupported array shapes and
  out-of-range sizes raise ``ValueError``; unsupported source types and array dtypes
  raise ``TypeError``.
"""

from __future__ import annotations

import io
import numbers
import os
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

MIN_RESOLUTION = 8
MAX_RESOLUTION = 2048
DEFAULT_TARGET_FILE = "default_target.png"
_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
_INT_MODES = {"I", "I;16", "I;16L", "I;16B", "I;16N"}


def _check_int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an integer, got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{what} must be in [{low}, {high}], got {value}")
    return int(value)


def _output_size(
    source_size: tuple[int, int], resolution: int, size: tuple[int, int] | None
) -> tuple[int, int]:
    if size is not None:
        if not isinstance(size, (tuple, list)) or len(size) != 2:
            raise TypeError(f"size must be a (width, height) pair, got {size!r}")
        return (
            _check_int(size[0], "size width", 1, MAX_RESOLUTION),
            _check_int(size[1], "size height", 1, MAX_RESOLUTION),
        )
    width, height = source_size
    if width >= height:
        return resolution, max(1, round(height * resolution / width))
    return max(1, round(width * resolution / height)), resolution


def _grey_from_pil(image: Image.Image) -> Image.Image | np.ndarray:
    """Return an 8-bit "L" image, or a float64 array for high-precision sources."""
    import numpy as np
    from PIL import Image

    if image.mode == "L" and "transparency" not in image.info:
        return image
    if image.mode in _INT_MODES:
        values = np.asarray(image).astype(np.int64)
        if values.size and (values.min() < 0 or values.max() > 65535):
            raise ValueError(f"integer image values must lie in [0, 65535] (mode {image.mode})")
        return _grey_from_array(values.astype(np.uint16))
    if image.mode == "F":
        return _grey_from_array(np.asarray(image))
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    return image.convert("RGB").convert("L")


def _check_shape(array: np.ndarray) -> None:
    """Refuse an empty target array or one of a shape no image has."""
    if array.size == 0:
        raise ValueError(f"target array is empty (shape {array.shape})")
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise ValueError(
            f"target array must have shape (H, W), (H, W, 3) or (H, W, 4), got {array.shape}"
        )


def _unit_values(array: np.ndarray) -> np.ndarray:
    """Float64 values in [0, 1] of a uint16 or float target array, validated."""
    import numpy as np

    if array.dtype == np.uint16:
        return array.astype(np.float64) / 65535.0
    if np.issubdtype(array.dtype, np.floating):
        values = array.astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise ValueError("target array contains NaN or infinite values")
        if values.min() < 0.0 or values.max() > 1.0:
            raise ValueError(
                f"float target values must lie in [0, 1], got [{values.min()}, {values.max()}]"
            )
        return values
    raise TypeError(
        f"unsupported target array dtype {array.dtype}; expected uint8, uint16 or float"
    )


def _grey_from_array(array: np.ndarray) -> Image.Image | np.ndarray:
    import numpy as np
    from PIL import Image

    _check_shape(array)
    if array.dtype == np.uint8:
        return _grey_from_pil(Image.fromarray(np.ascontiguousarray(array)))
    values = _unit_values(array)
    if values.ndim == 2:
        return values
    grey = 0.299 * values[..., 0] + 0.587 * values[..., 1] + 0.114 * values[..., 2]
    if values.shape[2] == 4:
        alpha = values[..., 3]
        grey = alpha * grey + (1.0 - alpha)
    return grey


COLOURS = ("auto", "grey", "rgb")


def _rgb_from_pil(image: Image.Image) -> Image.Image | None:
    """Return an 8-bit "RGB" image, or None for grey sources (decoded by the grey path)."""
    from PIL import Image

    if image.mode in ("L", "1", "I", "F", "LA", "La") or image.mode in _INT_MODES:
        return None
    if image.mode == "P" and image.palette is not None and image.palette.mode in ("L", "LA"):
        return None
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _rgb_from_array(array: np.ndarray) -> Image.Image | np.ndarray | None:
    """Colour counterpart of ``_grey_from_array``; None for (H, W) arrays."""
    import numpy as np
    from PIL import Image

    _check_shape(array)
    if array.ndim == 2:
        return None
    if array.dtype == np.uint8:
        return _rgb_from_pil(Image.fromarray(np.ascontiguousarray(array)))
    values = _unit_values(array)
    rgb = values[..., :3]
    if values.shape[2] == 4:
        alpha = values[..., 3:4]
        rgb = alpha * rgb + (1.0 - alpha)
    return rgb


def _decode_rgb(source: Any) -> Image.Image | np.ndarray | None:
    """Return the source as RGB (8-bit image or float array), or None when it is grey."""
    import numpy as np
    from PIL import Image

    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"target image not found: {path}")
        return _rgb_from_pil(_open_image(path, f"file {path!r}"))
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise ValueError("target bytes are empty")
        return _rgb_from_pil(_open_image(io.BytesIO(bytes(source)), "the target bytes"))
    if isinstance(source, Image.Image):
        return _rgb_from_pil(source)
    if isinstance(source, np.ndarray):
        return _rgb_from_array(source)
    return None  # _decode raises the TypeError


def _resize_rgb(
    rgb: Image.Image | np.ndarray, resolution: int, size: tuple[int, int] | None
) -> np.ndarray:
    import numpy as np
    from PIL import Image

    if isinstance(rgb, Image.Image):
        width, height = _output_size(rgb.size, resolution, size)
        if rgb.size != (width, height):
            rgb = rgb.resize((width, height), Image.Resampling.BICUBIC)
        return (np.asarray(rgb, dtype=np.float64) / 255.0).astype(np.float32)
    width, height = _output_size((rgb.shape[1], rgb.shape[0]), resolution, size)
    if rgb.shape[:2] != (height, width):
        planes = []
        for c in range(3):
            image = Image.fromarray(np.ascontiguousarray(rgb[..., c], dtype=np.float32))
            resized = np.asarray(image.resize((width, height), Image.Resampling.BICUBIC))
            planes.append(np.clip(resized, 0, 1))
        rgb = np.stack(planes, axis=-1)
    return np.ascontiguousarray(rgb, dtype=np.float32)


def _channels_equal(rgb: Image.Image | np.ndarray) -> bool:
    import numpy as np

    values = np.asarray(rgb)
    return bool(np.array_equal(values[..., 0], values[..., 1])) and bool(
        np.array_equal(values[..., 0], values[..., 2])
    )


def _open_image(data: io.BytesIO | os.PathLike[str] | str, what: str) -> Image.Image:
    from PIL import Image

    try:
        with Image.open(data) as image:
            image.load()
            copied: Image.Image = image.copy()
            return copied
    except Image.DecompressionBombError as err:
        # Pillow's guard against huge images is not an OSError; say what to do
        raise ValueError(
            f"{what} is too large to decode safely ({err}); reduce it below "
            f"{Image.MAX_IMAGE_PIXELS} pixels first"
        ) from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ValueError(f"cannot read {what} as an image: {err}") from None


def _decode(source: Any) -> Image.Image | np.ndarray:
    import numpy as np
    from PIL import Image

    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"target image not found: {path}")
        return _grey_from_pil(_open_image(path, f"file {path!r}"))
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise ValueError("target bytes are empty")
        return _grey_from_pil(_open_image(io.BytesIO(bytes(source)), "the target bytes"))
    if isinstance(source, Image.Image):
        return _grey_from_pil(source)
    if isinstance(source, np.ndarray):
        return _grey_from_array(source)
    raise TypeError(
        f"unsupported target type {type(source).__name__}; expected a path, PNG/JPEG "
        "bytes, a PIL image or a numpy array"
    )


def load_target(
    source: Any,
    resolution: int = 128,
    *,
    size: tuple[int, int] | None = None,
    colour: str = "auto",
) -> np.ndarray:
    """Load a target image as grey or colour float32 in [0, 1].

    Parameters
    ----------
    source
        A path (``str`` or ``os.PathLike``), PNG/JPEG ``bytes``, a PIL image, or a numpy
        array of shape (H, W), (H, W, 3) or (H, W, 4) with dtype uint8, uint16 or
        float (floats in [0, 1]).
    resolution
        The longer side of the result, in [8, 2048]; the aspect ratio is kept.
    size
        ``(width, height)`` to resize to exactly instead (each in [1, 2048]); e.g.
        ``size=(128, 128)`` for the square resize of the reference project.
    colour
        ``"auto"`` (the default): RGB for an image whose channels differ, grey
        otherwise; ``"grey"`` or ``"rgb"`` to choose.

    Returns
    -------
    numpy.ndarray
        float32 array of shape (height, width), or (height, width, 3) in colour.

    """
    import numpy as np
    from PIL import Image

    resolution = _check_int(resolution, "resolution", MIN_RESOLUTION, MAX_RESOLUTION)
    if colour not in COLOURS:
        raise ValueError(f"colour must be one of {', '.join(COLOURS)}, got {colour!r}")
    if colour != "grey":
        rgb = _decode_rgb(source)
        if rgb is not None and not (colour == "auto" and _channels_equal(rgb)):
            return _resize_rgb(rgb, resolution, size)
        if colour == "rgb":
            flat = load_target(source, resolution, size=size, colour="grey")
            return np.ascontiguousarray(np.repeat(flat[..., None], 3, axis=-1))
    grey = _decode(source)
    if isinstance(grey, Image.Image):
        width, height = _output_size(grey.size, resolution, size)
        if grey.size != (width, height):
            grey = grey.resize((width, height), Image.Resampling.BICUBIC)
        return (np.asarray(grey, dtype=np.float64) / 255.0).astype(np.float32)
    width, height = _output_size((grey.shape[1], grey.shape[0]), resolution, size)
    if grey.shape != (height, width):
        image = Image.fromarray(grey.astype(np.float32))
        grey = np.clip(np.asarray(image.resize((width, height), Image.Resampling.BICUBIC)), 0, 1)
    return np.ascontiguousarray(grey, dtype=np.float32)


def default_target_png() -> bytes:
    """Return the built-in target as PNG bytes (pure Python, works in Pyodide).

    The picture is a stylised pelican drawn by :mod:`pelican_widget.builtin_target`
    (256 x 256 grey); ``python -m pelican_widget.builtin_target`` regenerates it.
    """
    data = resources.files(__package__).joinpath("data").joinpath(DEFAULT_TARGET_FILE)
    return data.read_bytes()


def default_target(resolution: int = 128) -> np.ndarray:
    """Return the built-in target as a float32 (resolution, resolution) grey array."""
    return load_target(default_target_png(), resolution, colour="grey")
