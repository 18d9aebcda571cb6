import math

import numpy as np
import pytest

from pelican_widget import Circle, Ellipse, Scene, Triangle, loss, render
from pelican_widget.raster import image_terms, priors, render64

# ---------------------------------------------------------------------------
# An independent, slow, per-pixel implementation of DESIGN.md's math. It works in
# pixel units (pixel centre (i + 0.5, j + 0.5), positions times W or H, lengths
# times L) and converts distances back to units of L, with plain loops and the
# math module only.


def slow_sdf(shape, px, py, width, height):
    side = max(width, height)
    if isinstance(shape, Circle):
        dx, dy = (px - shape.cx * width) / side, (py - shape.cy * height) / side
        return math.sqrt(dx * dx + dy * dy + 1e-10) - shape.r
    if isinstance(shape, Ellipse):
        dx, dy = (px - shape.cx * width) / side, (py - shape.cy * height) / side
        c, s = math.cos(shape.angle), math.sin(shape.angle)
        u, v = c * dx + s * dy, -s * dx + c * dy  # rotation by -angle
        n = math.sqrt((u / (shape.rx + 1e-10)) ** 2 + (v / (shape.ry + 1e-10)) ** 2 + 1e-10)
        return (n - 1) * math.sqrt(shape.rx * shape.ry + 1e-10)
    verts = [(x * width / side, y * height / side) for x, y in shape.points]
    p = (px / side, py / side)
    best, signs = math.inf, []
    for k in range(3):
        a, b = verts[k], verts[(k + 1) % 3]
        e = (b[0] - a[0], b[1] - a[1])
        w = (p[0] - a[0], p[1] - a[1])
        t = (w[0] * e[0] + w[1] * e[1]) / (e[0] ** 2 + e[1] ** 2 + 1e-8)
        t = min(1.0, max(0.0, t))
        best = min(best, math.hypot(w[0] - t * e[0], w[1] - t * e[1]))
        signs.append(e[0] * w[1] - e[1] * w[0])
    inside = all(c > 0 for c in signs) or all(c < 0 for c in signs)
    return -best if inside else best


def slow_render(scene, tau):
    image = []
    for j in range(scene.height):
        row = []
        for i in range(scene.width):
            value = scene.background
            for shape in scene.shapes:
                z = min(10.0, max(-10.0, slow_sdf(shape, i + 0.5, j + 0.5, *_size(scene)) / tau))
                alpha = 1 / (1 + math.exp(z))
                value = (1 - alpha) * value + alpha * shape.fill
            row.append(value)
        image.append(row)
    return image


def _size(scene):
    return scene.width, scene.height


def slow_correlate(image, kernel):
    height, width, k = len(image), len(image[0]), len(kernel)
    half = k // 2
    out = [[0.0] * width for _ in range(height)]
    for j in range(height):
        for i in range(width):
            total = 0.0
            for a in range(k):
                for b in range(k):
                    y, x = j + a - half, i + b - half
                    if 0 <= y < height and 0 <= x < width:
                        total += kernel[a][b] * image[y][x]
            out[j][i] = total
    return out


def slow_terms(r, t):
    height, width = len(r), len(r[0])
    n = height * width
    cells = [(j, i) for j in range(height) for i in range(width)]
    mse = sum((r[j][i] - t[j][i]) ** 2 for j, i in cells) / n
    sx = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    sy = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]

    def magnitude(img):
        gx, gy = slow_correlate(img, sx), slow_correlate(img, sy)
        return [
            [math.sqrt(gx[j][i] ** 2 + gy[j][i] ** 2 + 1e-8) for i in range(width)]
            for j in range(height)
        ]

    mr, mt = magnitude(r), magnitude(t)
    edge = sum((mr[j][i] - mt[j][i]) ** 2 for j, i in cells) / n
    g = [math.exp(-((k - 3) ** 2) / (2 * 1.5**2)) for k in range(7)]
    total = sum(a * b for a in g for b in g)
    window = [[a * b / total for b in g] for a in g]

    def product(a, b):
        return [[a[j][i] * b[j][i] for i in range(width)] for j in range(height)]

    mu_r, mu_t = slow_correlate(r, window), slow_correlate(t, window)
    e_rr, e_tt = slow_correlate(product(r, r), window), slow_correlate(product(t, t), window)
    e_rt = slow_correlate(product(r, t), window)
    c1, c2 = 0.01**2, 0.03**2
    ssim = 0.0
    for j, i in cells:
        mr_, mt_ = mu_r[j][i], mu_t[j][i]
        var_r, var_t = e_rr[j][i] - mr_**2, e_tt[j][i] - mt_**2
        cov = e_rt[j][i] - mr_ * mt_
        ssim += ((2 * mr_ * mt_ + c1) * (2 * cov + c2)) / (
            (mr_**2 + mt_**2 + c1) * (var_r + var_t + c2)
        )
    return {"mse": mse, "edge": edge, "ssim": 1 - ssim / n}


# ---------------------------------------------------------------------------

MIXED = (
    Ellipse(0.45, 0.55, 0.3, 0.18, -0.6, 0.35),
    Circle(0.3, 0.35, 0.15, 0.8),
    Triangle(((0.5, 0.1), (0.9, 0.5), (0.55, 0.7)), 0.1),
    Triangle(((0.1, 0.9), (0.4, 0.95), (0.2, 0.6)), 0.6),
    Circle(0.7, 0.8, 0.08, 0.0),
)


def wavy_target(width, height):
    x = np.arange(width)[None, :]
    y = np.arange(height)[:, None]
    return (0.5 + 0.45 * np.sin(0.9 * x + 0.4 * y) * np.cos(0.3 * x - 0.7 * y)).astype(np.float32)


@pytest.mark.parametrize(("width", "height"), [(14, 14), (15, 9), (8, 13)])
@pytest.mark.parametrize("tau_px", [0.5, 2.0])
def test_oracle_matches_slow_per_pixel_loop(width, height, tau_px):
    scene = Scene(MIXED, width=width, height=height)
    tau = tau_px / max(width, height)
    slow = slow_render(scene, tau)
    np.testing.assert_allclose(render64(scene, tau), np.array(slow), rtol=0, atol=1e-12)
    target = wavy_target(width, height)
    got = loss(scene, target, tau=tau)
    want = slow_terms(slow, target.astype(np.float64).tolist())
    for key in ("mse", "edge", "ssim"):
        assert got[key] == pytest.approx(want[key], rel=1e-10, abs=1e-13)


def test_render_returns_float32_of_scene_size():
    image = render(Scene(MIXED, width=20, height=12))
    assert image.shape == (12, 20) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0


def test_default_tau_is_half_a_pixel_of_the_longer_side():
    scene = Scene(MIXED, width=20, height=12)
    np.testing.assert_array_equal(render(scene), render(scene, tau=0.5 / 20))
    assert not np.array_equal(render(scene), render(scene, tau=0.5 / 12))
    assert loss(scene, wavy_target(20, 12)) == loss(scene, wavy_target(20, 12), tau=0.025)


def test_empty_scene_is_the_background():
    np.testing.assert_array_equal(render(Scene(width=9, height=8)), np.ones((8, 9), np.float32))
    np.testing.assert_array_equal(render(Scene(width=9, height=9, background=0.25)), 0.25)


def test_identical_images_give_zero_image_terms():
    image = render64(Scene(MIXED, width=24, height=24))
    terms = image_terms(image, image)
    assert terms["mse"] == 0.0 and terms["edge"] == 0.0
    assert abs(terms["ssim"]) < 1e-12
    scene = Scene(MIXED, width=24, height=24)
    result = loss(scene, render(scene))
    assert result["mse"] < 1e-13 and result["edge"] < 1e-11 and abs(result["ssim"]) < 1e-9


def test_one_black_circle_on_white_target():
    # At tiny tau every pixel is either clamped inside (coverage sigmoid(10)) or
    # clamped outside (sigmoid(-10)), so the MSE is a count of pixel centres.
    size, r = 32, 0.25
    scene = Scene((Circle(0.5, 0.5, r, 0.0),), width=size, height=size)
    inside = sum(
        (i + 0.5 - 16) ** 2 + (j + 0.5 - 16) ** 2 < (r * size) ** 2
        for i in range(size)
        for j in range(size)
    )
    assert inside == 208
    c_in, c_out = 1 / (1 + math.exp(-10)), 1 / (1 + math.exp(10))
    expected = (inside * c_in**2 + (size * size - inside) * c_out**2) / size**2
    result = loss(scene, np.ones((size, size), np.float32), tau=1e-6)
    assert result["mse"] == pytest.approx(expected, rel=1e-12)
    assert result["perimeter"] == pytest.approx(2 * math.pi * r)
    assert result["canvas"] == 0.0 and result["degeneracy"] == 0.0


def test_coverage_follows_the_sigmoid_of_the_distance():
    # Circle centred on the centre of pixel (8, 8) of a 16 x 16 canvas.
    centre = 8.5 / 16
    on_edge = Scene((Circle(centre, centre, 4 / 16, 0.0),), width=16, height=16)
    assert render64(on_edge, tau=1 / 16)[8, 12] == pytest.approx(0.5, abs=1e-9)
    distance = (math.hypot(12 - 8, 7 - 8) - 4) / 16
    expected = 1 - 1 / (1 + math.exp(distance * 16 / 2))  # white minus black coverage
    assert render64(on_edge, tau=2 / 16)[7, 12] == pytest.approx(expected, rel=1e-9)


def test_compositing_order_paints_later_shapes_on_top():
    big = Circle(0.5, 0.5, 0.4, 0.2)
    small = Circle(0.5, 0.5, 0.2, 0.9)
    a = render64(Scene((big, small), width=16, height=16), tau=1e-4)
    b = render64(Scene((small, big), width=16, height=16), tau=1e-4)
    c_in = 1 / (1 + math.exp(-10))
    assert a[8, 8] == pytest.approx((1 - c_in) * ((1 - c_in) * 1 + c_in * 0.2) + c_in * 0.9)
    assert b[8, 8] == pytest.approx((1 - c_in) * ((1 - c_in) * 1 + c_in * 0.9) + c_in * 0.2)
    assert a[8, 8] > 0.89 and b[8, 8] < 0.21


def test_triangle_winding_does_not_matter():
    ccw = Triangle(((0.2, 0.2), (0.8, 0.3), (0.4, 0.9)), 0.1)
    cw = Triangle(((0.4, 0.9), (0.8, 0.3), (0.2, 0.2)), 0.1)
    np.testing.assert_allclose(
        render64(Scene((ccw,), width=20, height=20)), render64(Scene((cw,), width=20, height=20))
    )
    assert render64(Scene((ccw,), width=20, height=20))[10, 9] < 0.2


def test_non_square_canvas_is_a_crop_of_the_square_one():
    # Pixel centres of a W x H canvas are those of the L x L canvas (L = max(W, H))
    # cropped to the top-left, once scene positions are rescaled by W/L and H/L.
    width, height = 30, 18
    side = max(width, height)

    def squeeze(x, y):
        return x * width / side, y * height / side

    wide = Scene(MIXED, width=width, height=height)
    square_shapes = []
    for s in MIXED:
        if isinstance(s, Triangle):
            square_shapes.append(Triangle(tuple(squeeze(*p) for p in s.points), s.fill))
        else:
            cx, cy = squeeze(s.cx, s.cy)
            square_shapes.append(s.__class__(**{**s.__dict__, "cx": cx, "cy": cy}))
    square = Scene(tuple(square_shapes), width=side, height=side)
    # atol: a pixel centre lying exactly on a triangle edge gets an SDF of about
    # +-1e-8 (the 1e-8 in the projection) whose sign depends on rounding.
    np.testing.assert_allclose(render64(wide), render64(square)[:height, :width], atol=1e-6)


def test_circles_stay_round_on_non_square_canvas():
    scene = Scene((Circle(0.5, 0.5, 0.25, 0.0),), width=40, height=20)
    dark = render64(scene, tau=1e-4) < 0.5
    assert dark.sum(axis=1).max() == 20  # diameter 0.5 * 40 pixels across
    assert dark.sum(axis=0).max() == 20  # and the same height


def test_priors_by_hand():
    circle = Circle(0.5, 0.5, 0.1, 0.5)
    ellipse_round = Ellipse(0.5, 0.5, 0.1, 0.1, 1.0, 0.5)
    triangle = Triangle(((0.2, 0.2), (0.32, 0.2), (0.32, 0.36)), 0.5)
    assert priors(Scene((circle,)))["perimeter"] == pytest.approx(2 * math.pi * 0.1)
    assert priors(Scene((ellipse_round,)))["perimeter"] == pytest.approx(2 * math.pi * 0.1)
    assert priors(Scene((triangle,)))["perimeter"] == pytest.approx(0.12 + 0.16 + 0.2)
    a, b = 0.3, 0.1
    h = (a - b) ** 2 / ((a + b) ** 2 + 1e-8)
    ramanujan = math.pi * (a + b) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))
    assert priors(Scene((Ellipse(0.5, 0.5, a, b, 0.0, 0.5),)))["perimeter"] == ramanujan
    assert priors(Scene((circle, ellipse_round, triangle))) == {
        "perimeter": pytest.approx(4 * math.pi * 0.1 + 0.48),
        "degeneracy": 0.0,
        "canvas": 0.0,
    }


def test_small_triangle_raises_degeneracy():
    tiny = Triangle(((0.5, 0.5), (0.504, 0.5), (0.5, 0.503)), 0.5)
    # edges 0.004, 0.005 and 0.003: each short of 0.01
    assert priors(Scene((tiny,)))["degeneracy"] == pytest.approx(0.006 + 0.005 + 0.007)
    assert priors(Scene((tiny,)))["canvas"] == 0.0


def test_shapes_off_canvas_raise_canvas():
    assert priors(Scene((Circle(0.9, 0.5, 0.1, 0.5),)))["canvas"] == pytest.approx(0.05)
    assert priors(Scene((Circle(0.1, 0.1, 0.1, 0.5),)))["canvas"] == pytest.approx(0.05 + 0.05)
    ellipse = Ellipse(0.5, 0.5, 0.5, 0.1, 0.0, 0.5)  # max(rx, ry) counts on both axes
    assert priors(Scene((ellipse,)))["canvas"] == pytest.approx(4 * 0.05)
    triangle = Triangle(((-0.1, 0.5), (0.5, 1.2), (0.5, 0.5)), 0.5)
    assert priors(Scene((triangle,)))["canvas"] == pytest.approx(0.15 + 0.25)


def test_total_is_the_weighted_sum():
    scene = Scene(MIXED + (Circle(0.98, 0.5, 0.1, 0.3),), width=16, height=16)
    target = wavy_target(16, 16)
    result = loss(scene, target)
    assert list(result) == ["mse", "edge", "ssim", "perimeter", "degeneracy", "canvas", "total"]
    assert result["canvas"] > 0
    weights = {
        "mse": 1,
        "edge": 0.1,
        "ssim": 0.05,
        "perimeter": 0.001,
        "degeneracy": 0.1,
        "canvas": 1,
    }
    assert result["total"] == pytest.approx(sum(w * result[k] for k, w in weights.items()))
    custom = loss(scene, target, weights={"canvas": 0.0, "edge": 2.0})
    assert custom["total"] == pytest.approx(
        result["total"] - result["canvas"] + 1.9 * result["edge"]
    )


def test_loss_resizes_targets_to_the_scene():
    scene = Scene(MIXED, width=16, height=16)
    target = wavy_target(32, 32)
    from pelican_widget import load_target

    assert loss(scene, target) == loss(scene, load_target(target, size=(16, 16)))


def test_argument_errors():
    scene = Scene(MIXED, width=16, height=16)
    target = wavy_target(16, 16)
    for tau in (0.0, -1.0, float("nan"), "0.1"):
        with pytest.raises(ValueError, match="tau must be"):
            loss(scene, target, tau=tau)
    with pytest.raises(ValueError, match="unknown loss weights"):
        loss(scene, target, weights={"area": 1.0})
    with pytest.raises(ValueError, match="image shapes differ"):
        image_terms(np.zeros((4, 4)), np.zeros((4, 5)))
