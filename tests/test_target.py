import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pelican_widget import default_target, load_target
from pelican_widget.builtin_target import DATA_FILE, draw_default_target
from pelican_widget.target import default_target_png


def gradient_rgb(width=40, height=20):
    """A deterministic RGB uint8 image with distinct channels."""
    x = np.arange(width)[None, :]
    y = np.arange(height)[:, None]
    r = (x * 255 // (width - 1)) + 0 * y
    g = (y * 255 // (height - 1)) + 0 * x
    b = ((x + y) * 7) % 256
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def png_bytes(image, **kwargs):
    buffer = io.BytesIO()
    image.save(buffer, format=kwargs.pop("format", "PNG"), **kwargs)
    return buffer.getvalue()


def pil_reference(image, size):
    """What the reference project does: grey with Pillow, resize, divide by 255."""
    return (np.asarray(image.convert("L").resize(size), dtype=np.float64) / 255).astype(np.float32)


def test_rgb_uint8_array_matches_pillow_grey_and_keeps_aspect():
    rgb = gradient_rgb(40, 20)
    target = load_target(rgb, resolution=16, colour="grey")
    assert target.dtype == np.float32 and target.shape == (8, 16)
    np.testing.assert_array_equal(target, pil_reference(Image.fromarray(rgb), (16, 8)))


def test_portrait_aspect_keeps_longer_side():
    target = load_target(np.zeros((30, 10), np.uint8), resolution=12)
    assert target.shape == (12, 4)


def test_square_size_resize_as_the_reference():
    rgb = gradient_rgb(40, 20)
    target = load_target(rgb, size=(16, 16), colour="grey")
    np.testing.assert_array_equal(target, pil_reference(Image.fromarray(rgb), (16, 16)))


def test_path_str_and_pathlib(tmp_path):
    rgb = gradient_rgb()
    path = tmp_path / "t.png"
    Image.fromarray(rgb).save(path)
    expected = load_target(rgb, resolution=32)
    np.testing.assert_array_equal(load_target(path, resolution=32), expected)
    np.testing.assert_array_equal(load_target(str(path), resolution=32), expected)


def test_png_and_jpeg_bytes():
    rgb = gradient_rgb()
    image = Image.fromarray(rgb)
    np.testing.assert_array_equal(
        load_target(png_bytes(image), resolution=32), load_target(rgb, resolution=32)
    )
    jpeg = png_bytes(image, format="JPEG", quality=95)
    decoded = np.asarray(Image.open(io.BytesIO(jpeg)))
    np.testing.assert_array_equal(
        load_target(jpeg, resolution=32), load_target(decoded, resolution=32)
    )
    np.testing.assert_array_equal(
        load_target(bytearray(jpeg), resolution=32), load_target(memoryview(jpeg), resolution=32)
    )


def test_pil_images_of_several_modes():
    rgb = gradient_rgb()
    image = Image.fromarray(rgb)
    grey = pil_reference(image, (40, 20))
    for mode in ("RGB", "L", "CMYK", "YCbCr"):
        converted = image.convert(mode)
        assert load_target(converted, resolution=40, colour="grey").shape == (20, 40)
    np.testing.assert_array_equal(load_target(image, resolution=40, colour="grey"), grey)
    np.testing.assert_array_equal(load_target(image.convert("L"), resolution=40), grey)


def test_grey_uint8_array_at_size_is_exact():
    values = np.arange(256, dtype=np.uint8).reshape(16, 16)
    target = load_target(values, resolution=16)
    np.testing.assert_array_equal(target, (values / 255).astype(np.float32))


def test_uint16_arrays_and_16_bit_png_keep_precision():
    values = np.array([[0, 1, 32768, 65535]] * 4, dtype=np.uint16)
    values = np.tile(values, (2, 2))
    expected = (values / 65535).astype(np.float32)
    np.testing.assert_array_equal(load_target(values, resolution=8), expected)
    png = png_bytes(Image.fromarray(values))
    np.testing.assert_array_equal(load_target(png, resolution=8), expected)


def test_uint16_rgb_uses_luma_weights():
    pixel = np.array([65535, 0, 0], dtype=np.uint16)
    image = np.broadcast_to(pixel, (8, 8, 3)).copy()
    np.testing.assert_allclose(load_target(image, resolution=8, colour="grey"), 0.299, rtol=1e-6)


def test_float_array_at_size_is_used_unchanged():
    rng = np.random.default_rng(1)
    values = rng.random((10, 12)).astype(np.float32)
    target = load_target(values, resolution=12)
    np.testing.assert_array_equal(target, values)
    assert target.dtype == np.float32


def test_float_array_is_resized_and_clipped():
    values = np.zeros((16, 16))
    values[:, 8:] = 1.0
    target = load_target(values, resolution=8)
    assert target.shape == (8, 8)
    assert target.min() >= 0.0 and target.max() <= 1.0
    assert target[:, 0].max() == 0.0 and target[:, -1].min() == 1.0


def test_float_rgb_uses_luma_weights():
    values = np.zeros((8, 8, 3))
    values[..., 1] = 1.0
    np.testing.assert_allclose(load_target(values, resolution=8, colour="grey"), 0.587, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_alpha_is_composited_on_white(dtype):
    top = np.iinfo(dtype).max if dtype != np.float32 else 1.0
    rgba = np.zeros((8, 8, 4), dtype=dtype)
    rgba[:4, :, 3] = top  # opaque black on top, transparent black below
    rgba[4:, :4, 3] = top // 2 if dtype != np.float32 else 0.5
    target = load_target(rgba, resolution=8)
    assert np.all(target[:4] == 0.0)
    np.testing.assert_allclose(target[4:, 4:], 1.0)
    np.testing.assert_allclose(target[4:, :4], 0.5, atol=3 / 255)


def test_pil_alpha_modes_are_composited_on_white():
    la = Image.new("LA", (8, 8), (0, 0))
    np.testing.assert_array_equal(load_target(la, resolution=8), 1.0)
    palette = Image.new("P", (8, 8), 0)
    palette.putpalette([0, 0, 0] * 256)
    palette.info["transparency"] = 0
    np.testing.assert_array_equal(load_target(png_bytes(palette), resolution=8), 1.0)


def test_resolution_limits():
    image = np.zeros((8, 8), np.uint8)
    assert load_target(image, resolution=8).shape == (8, 8)
    assert load_target(image, resolution=2048).shape == (2048, 2048)
    with pytest.raises(ValueError, match=r"resolution must be in \[8, 2048\], got 7"):
        load_target(image, resolution=7)
    with pytest.raises(ValueError, match=r"resolution must be in \[8, 2048\], got 2049"):
        load_target(image, resolution=2049)
    with pytest.raises(TypeError, match="resolution must be an integer"):
        load_target(image, resolution=64.0)
    with pytest.raises(ValueError, match=r"size width must be in \[1, 2048\]"):
        load_target(image, size=(0, 8))
    with pytest.raises(TypeError, match="size must be a"):
        load_target(image, size=8)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="target image not found"):
        load_target(tmp_path / "nope.png")


def test_corrupt_file(tmp_path):
    path = tmp_path / "bad.png"
    path.write_bytes(b"this is not an image")
    with pytest.raises(ValueError, match="cannot read file .* as an image"):
        load_target(path)


def test_truncated_png_and_jpeg_bytes():
    image = Image.fromarray(gradient_rgb(64, 64))
    for data in (png_bytes(image), png_bytes(image, format="JPEG")):
        with pytest.raises(ValueError, match="cannot read the target bytes as an image"):
            load_target(data[: len(data) // 2])
    with pytest.raises(ValueError, match="target bytes are empty"):
        load_target(b"")


@pytest.mark.parametrize(
    ("array", "error", "message"),
    [
        (np.zeros((0, 5), np.uint8), ValueError, "empty"),
        (np.zeros((4, 4, 0), np.float32), ValueError, "empty"),
        (np.full((8, 8), np.nan), ValueError, "NaN or infinite"),
        (np.full((8, 8, 3), np.inf, np.float32), ValueError, "NaN or infinite"),
        (np.full((8, 8), 2.0), ValueError, r"must lie in \[0, 1\]"),
        (np.full((8, 8), -0.5), ValueError, r"must lie in \[0, 1\]"),
        (np.zeros((8, 8), np.int32), TypeError, "unsupported target array dtype int32"),
        (np.zeros((8, 8), bool), TypeError, "unsupported target array dtype bool"),
        (np.zeros((8, 8), np.complex64), TypeError, "unsupported target array dtype"),
        (np.zeros((8, 8, 2), np.uint8), ValueError, r"must have shape \(H, W\)"),
        (np.zeros(8, np.uint8), ValueError, r"must have shape \(H, W\)"),
        (np.zeros((2, 8, 8, 3), np.uint8), ValueError, r"must have shape \(H, W\)"),
    ],
)
def test_array_errors(array, error, message):
    with pytest.raises(error, match=message):
        load_target(array)


@pytest.mark.parametrize("source", [None, [[0.0, 1.0]], 3.5, {"data": []}])
def test_unsupported_source_types(source):
    with pytest.raises(TypeError, match="unsupported target type"):
        load_target(source)


def test_default_target_is_a_grey_picture():
    target = default_target()
    assert target.shape == (128, 128) and target.dtype == np.float32
    assert target.max() == 1.0 and target.min() < 0.2
    assert 0.05 < np.mean(target < 0.5) < 0.5
    assert default_target(64).shape == (64, 64)
    np.testing.assert_array_equal(load_target(target), target)


def test_shipped_default_target_matches_the_drawing():
    """If this fails, run `python -m pelican_widget.builtin_target` and commit the PNG."""
    shipped = Image.open(io.BytesIO(default_target_png()))
    assert shipped.mode == "L" and shipped.size == (256, 256)
    assert Path(DATA_FILE).read_bytes() == default_target_png()
    np.testing.assert_array_equal(np.asarray(shipped), np.asarray(draw_default_target()))


def test_write_default_target_produces_the_shipped_picture(tmp_path):
    from pelican_widget.builtin_target import write_default_target

    path = tmp_path / "data" / "t.png"
    write_default_target(path)
    written = np.asarray(Image.open(path))
    np.testing.assert_array_equal(written, np.asarray(Image.open(io.BytesIO(default_target_png()))))
