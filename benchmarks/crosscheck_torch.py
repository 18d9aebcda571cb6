"""Cross-check of the NumPy oracle and the JS reference evaluator against PyTorch.

A PyTorch implementation written from the math of DESIGN.md (pixel centres, SDFs,
clamped sigmoid coverage, alpha-over from white, MSE, Sobel edge, SSIM and the
priors), with PyTorch's own conv2d and autograd and the raw-parameter transforms of
docs/engine.md (sigmoid positions and fills, softplus radii, raw angle), is compared
with

* ``pelican_widget.loss`` (the NumPy oracle), every term, in float64 and float32;
* the scalar JS reference evaluator and JS priors of ``js/build/engine.mjs``:
  their analytic gradient with respect to the raw parameters against autograd
  (float64), for each term alone and for the weighted total.

Cases: the 9 start shapes on the pelican photo (grey, square 128 x 128 bicubic
resize) at tau 0.5 px and 1 px, and 20 seeded random scenes with every shape
type on random and structured 32-64 px targets (six of them non-square, in the
metric of docs/engine.md), where every prior is active somewhere.

Differences are relative to the reference (absolute where the reference is 0);
gradient differences are ``max |g - g_ref| / max |g_ref|`` over a case's raw
vector. PyTorch is not a project dependency; run it from its own environment::

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch numpy pillow anywidget
    cd js && npm run build && cd ..
    PYTHONPATH=src /tmp/torchenv/bin/python benchmarks/crosscheck_torch.py
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import pelican_widget as pw
from pelican_widget.scene import Circle, Ellipse, Triangle

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.exit(
        "crosscheck_torch.py needs PyTorch, which is not a pelican-widget dependency: "
        "install it in a separate environment (see the docstring of this file)."
    )

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
BUNDLE = REPO / "js" / "build" / "engine.mjs"
STRIDE = 11
FILL_SLOT = 7
# the raw opacity of an opaque shape (params.js OPAQUE): exactly 1, never optimised
OPACITY_SLOT, OPAQUE = 10, 16.0
TYPE_CODES = {Circle: 0, Ellipse: 1, Triangle: 2}
IMAGE_TERMS = ("mse", "edge", "ssim")
PRIOR_TERMS = ("perimeter", "degeneracy", "canvas")
TERMS = IMAGE_TERMS + PRIOR_TERMS
WEIGHTS = {"mse": 1.0, "edge": 0.1, "ssim": 0.05, "perimeter": 0.001, "degeneracy": 0.1}
WEIGHTS["canvas"] = 1.0
MARGIN = 0.05
MIN_EDGE = 0.01
RANDOM_CASES = 20
SEED = 20261121


@dataclass(frozen=True)
class Case:
    name: str
    scene: pw.Scene
    target: np.ndarray
    tau: float


# --- raw parameters (docs/engine.md) -------------------------------------------------


def _logit(v: float) -> float:
    c = min(max(v, 1e-6), 1 - 1e-6)
    return math.log(c / (1 - c))


def _softplus_inverse(r: float) -> float:
    return r if r > 20 else math.log(math.expm1(r))


def scene_to_raw(scene: pw.Scene) -> tuple[np.ndarray, list[int]]:
    raw = np.zeros((len(scene.shapes), STRIDE))
    types = []
    for i, shape in enumerate(scene.shapes):
        types.append(TYPE_CODES[type(shape)])
        if isinstance(shape, Triangle):
            raw[i, :6] = [_logit(c) for point in shape.points for c in point]
        else:
            raw[i, 0], raw[i, 1] = _logit(shape.cx), _logit(shape.cy)
            if isinstance(shape, Circle):
                raw[i, 2] = _softplus_inverse(shape.r)
            else:
                raw[i, 2] = _softplus_inverse(shape.rx)
                raw[i, 3] = _softplus_inverse(shape.ry)
                raw[i, 4] = shape.angle
        raw[i, FILL_SLOT] = _logit(shape.fill)
        raw[i, OPACITY_SLOT] = OPAQUE
    return raw, types


# --- the PyTorch model, from DESIGN.md -----------------------------------------------


def _circle_sdf(px, py, cx, cy, r):
    return torch.sqrt((px - cx) ** 2 + (py - cy) ** 2 + 1e-10) - r


def _ellipse_sdf(px, py, cx, cy, rx, ry, angle):
    dx, dy = px - cx, py - cy
    cos, sin = torch.cos(-angle), torch.sin(-angle)
    xr = dx * cos - dy * sin
    yr = dx * sin + dy * cos
    norm = torch.sqrt((xr / (rx + 1e-10)) ** 2 + (yr / (ry + 1e-10)) ** 2 + 1e-10)
    return (norm - 1.0) * torch.sqrt(rx * ry + 1e-10)


def _triangle_sdf(px, py, vertices):
    distances, crosses = [], []
    for k in range(3):
        (ax, ay), (bx, by) = vertices[k], vertices[(k + 1) % 3]
        ex, ey = bx - ax, by - ay
        wx, wy = px - ax, py - ay
        t = torch.clamp((wx * ex + wy * ey) / (ex * ex + ey * ey + 1e-8), 0.0, 1.0)
        rx, ry = torch.broadcast_tensors(wx - t * ex, wy - t * ey)
        # vector_norm has a zero subgradient at 0, like the original's torch.norm.
        distances.append(torch.linalg.vector_norm(torch.stack([rx, ry], dim=-1), dim=-1))
        crosses.append(ex * wy - ey * wx)
    nearest = torch.minimum(torch.minimum(distances[0], distances[1]), distances[2])
    c0, c1, c2 = crosses
    inside = ((c0 > 0) & (c1 > 0) & (c2 > 0)) | ((c0 < 0) & (c1 < 0) & (c2 < 0))
    return torch.where(inside, -nearest, nearest)


def decode(raw: torch.Tensor, types: list[int]) -> list[dict]:
    """Constrained scene values of every shape, as tensors."""
    shapes = []
    for i, kind in enumerate(types):
        row = raw[i]
        shape = {"type": kind, "fill": torch.sigmoid(row[FILL_SLOT])}
        if kind == 2:
            shape["points"] = [
                (torch.sigmoid(row[2 * k]), torch.sigmoid(row[2 * k + 1])) for k in range(3)
            ]
        else:
            shape["cx"], shape["cy"] = torch.sigmoid(row[0]), torch.sigmoid(row[1])
            if kind == 0:
                shape["r"] = F.softplus(row[2])
            else:
                shape["rx"], shape["ry"] = F.softplus(row[2]), F.softplus(row[3])
                shape["angle"] = row[4]
        shapes.append(shape)
    return shapes


def render(shapes: list[dict], width: int, height: int, tau: float, dtype) -> torch.Tensor:
    side = max(width, height)
    sx, sy = width / side, height / side
    px = ((torch.arange(width, dtype=dtype) + 0.5) / side)[None, :]
    py = ((torch.arange(height, dtype=dtype) + 0.5) / side)[:, None]
    out = torch.ones((height, width), dtype=dtype)
    for s in shapes:
        if s["type"] == 0:
            sdf = _circle_sdf(px, py, s["cx"] * sx, s["cy"] * sy, s["r"])
        elif s["type"] == 1:
            sdf = _ellipse_sdf(px, py, s["cx"] * sx, s["cy"] * sy, s["rx"], s["ry"], s["angle"])
        else:
            sdf = _triangle_sdf(px, py, [(x * sx, y * sy) for x, y in s["points"]])
        alpha = torch.sigmoid(-torch.clamp(sdf / tau, -10.0, 10.0))
        out = (1 - alpha) * out + alpha * s["fill"]
    return out


def _conv(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    size = kernel.shape[-1]
    return F.conv2d(image[None, None], kernel[None, None], padding=size // 2)[0, 0]


def image_terms(rendered: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    dtype = rendered.dtype
    sobel_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=dtype)

    def magnitude(image):
        gx, gy = _conv(image, sobel_x), _conv(image, sobel_x.T.contiguous())
        return torch.sqrt(gx**2 + gy**2 + 1e-8)

    offsets = torch.arange(7, dtype=dtype) - 3
    g = torch.exp(-(offsets**2) / (2 * 1.5**2))
    window = torch.outer(g, g)
    window = window / window.sum()
    mu_r, mu_t = _conv(rendered, window), _conv(target, window)
    var_r = _conv(rendered * rendered, window) - mu_r**2
    var_t = _conv(target * target, window) - mu_t**2
    cov = _conv(rendered * target, window) - mu_r * mu_t
    c1, c2 = 0.01**2, 0.03**2
    ssim_map = ((2 * mu_r * mu_t + c1) * (2 * cov + c2)) / (
        (mu_r**2 + mu_t**2 + c1) * (var_r + var_t + c2)
    )
    return {
        "mse": torch.mean((rendered - target) ** 2),
        "edge": torch.mean((magnitude(rendered) - magnitude(target)) ** 2),
        "ssim": 1.0 - ssim_map.mean(),
    }


def priors(shapes: list[dict], zero: torch.Tensor) -> dict[str, torch.Tensor]:
    perimeter, degeneracy, canvas = zero, zero, zero

    def outside(lo, hi):
        return torch.relu(hi - (1 - MARGIN)) + torch.relu(MARGIN - lo)

    for s in shapes:
        if s["type"] == 0:
            perimeter = perimeter + 2 * math.pi * s["r"]
            reach = s["r"]
        elif s["type"] == 1:
            a, b = s["rx"], s["ry"]
            h = (a - b) ** 2 / ((a + b) ** 2 + 1e-8)
            perimeter = perimeter + math.pi * (a + b) * (1 + 3 * h / (10 + torch.sqrt(4 - 3 * h)))
            reach = torch.maximum(a, b)
        else:
            points = s["points"]
            for k in range(3):
                (ax, ay), (bx, by) = points[k], points[(k + 1) % 3]
                length = torch.linalg.vector_norm(torch.stack([bx - ax, by - ay]))
                perimeter = perimeter + length
                degeneracy = degeneracy + torch.relu(MIN_EDGE - length)
            for x, y in points:
                canvas = canvas + outside(x, x) + outside(y, y)
            continue
        canvas = canvas + outside(s["cx"] - reach, s["cx"] + reach)
        canvas = canvas + outside(s["cy"] - reach, s["cy"] + reach)
    return {"perimeter": perimeter, "degeneracy": degeneracy, "canvas": canvas}


def torch_loss(case: Case, raw: np.ndarray, types: list[int], dtype, want_grad: bool):
    """Terms (and ``total``) as floats; with ``want_grad`` also d term / d raw per term."""
    raw_t = torch.tensor(raw, dtype=dtype, requires_grad=want_grad)
    target = torch.tensor(case.target, dtype=dtype)
    shapes = decode(raw_t, types)
    rendered = render(shapes, case.scene.width, case.scene.height, case.tau, dtype)
    terms = image_terms(rendered, target)
    terms.update(priors(shapes, torch.zeros((), dtype=dtype)))
    terms["total"] = sum(WEIGHTS[key] * terms[key] for key in TERMS)
    values = {key: value.detach().item() for key, value in terms.items()}
    if not want_grad:
        return values, None
    grads = {}
    for key, value in terms.items():
        (grad,) = torch.autograd.grad(value, raw_t, retain_graph=True, allow_unused=True)
        grads[key] = np.zeros(raw.shape) if grad is None else grad.double().numpy()
    return values, grads


# --- the JS reference evaluator --------------------------------------------------------

NODE_SCRIPT = r"""
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString());
const engine = await import(process.env.ENGINE_BUNDLE);
const image = ["mse", "edge", "ssim"];
const prior = ["perimeter", "degeneracy", "canvas"];
const W = { mse: 1, edge: 0.1, ssim: 0.05, perimeter: 0.001, degeneracy: 0.1, canvas: 1 };
const oneHot = (keys, key) => Object.fromEntries(keys.map((k) => [k, k === key ? 1 : 0]));
const out = [];
for (const c of cases) {
  const ev = engine.createReferenceEvaluator();
  await ev.setTarget(Float64Array.from(c.target), c.width, c.height);
  const types = Uint8Array.from(c.types);
  await ev.setTypes(types);
  const raw = Float64Array.from(c.raw);
  const grads = {};
  let terms = {};
  for (const key of image) {
    const r = await ev.evaluate(raw, c.tau, oneHot(image, key), true);
    terms = r.terms;
    grads[key] = Array.from(r.grad);
  }
  for (const key of prior) {
    const p = engine.computePriors(raw, types, oneHot(prior, key), true);
    terms = { ...terms, ...p.terms };
    grads[key] = Array.from(p.grad);
  }
  const img = await ev.evaluate(raw, c.tau, { mse: W.mse, edge: W.edge, ssim: W.ssim }, true);
  const pri = engine.computePriors(raw, types, W, true);
  grads.total = Array.from(img.grad, (g, k) => g + pri.grad[k]);
  terms.total = Object.keys(W).reduce((sum, k) => sum + W[k] * terms[k], 0);
  out.push({ terms, grads });
  ev.dispose();
}
process.stdout.write(JSON.stringify(out));
"""


def js_reference(cases: list[Case]) -> list[dict] | None:
    """Terms and raw gradients of the JS reference, or None where it cannot run."""
    node = shutil.which("node")
    if node is None or not BUNDLE.exists():
        print(
            f"note: no node or no {BUNDLE.relative_to(REPO)} (cd js && npm run build): no JS check"
        )
        return None
    payload = []
    for case in cases:
        raw, types = scene_to_raw(case.scene)
        payload.append(
            {
                "width": case.scene.width,
                "height": case.scene.height,
                "target": case.target.astype(np.float64).ravel().tolist(),
                "types": types,
                "raw": raw.ravel().tolist(),
                "tau": case.tau,
            }
        )
    result = subprocess.run(
        [node, "--input-type=module", "-e", NODE_SCRIPT],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env={**os.environ, "ENGINE_BUNDLE": BUNDLE.as_uri()},
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"the JS reference run failed:\n{result.stderr}")
    answers = json.loads(result.stdout)
    for answer, case in zip(answers, cases, strict=True):
        shape = (len(case.scene.shapes), STRIDE)
        answer["grads"] = {k: np.reshape(v, shape) for k, v in answer["grads"].items()}
    return answers


# --- cases -----------------------------------------------------------------------------


def pelican_cases() -> list[Case]:
    scene = pw.Scene.pelican()
    target = pw.load_target(DATA / "pelican.jpg", size=(128, 128), colour="grey")
    return [Case(f"pelican tau={px}px", scene, target, px / 128) for px in (0.5, 1.0)]


def _random_shape(rng: np.random.Generator, kind: int):
    fill = float(rng.uniform(0.02, 0.98))
    if kind == 2:
        if rng.random() < 0.3:
            # A sliver with edges under MIN_EDGE, so the degeneracy prior is active.
            centre = rng.uniform(0.1, 0.9, size=2)
            points = centre + rng.uniform(-0.006, 0.006, size=(3, 2))
        else:
            points = rng.uniform(0.005, 0.995, size=(3, 2))
        return Triangle(tuple(map(tuple, points.tolist())), fill)
    cx, cy = rng.uniform(0.02, 0.98, size=2).tolist()
    if kind == 0:
        return Circle(cx, cy, float(rng.uniform(0.03, 0.3)), fill)
    rx, ry = rng.uniform(0.02, 0.35, size=2).tolist()
    return Ellipse(cx, cy, rx, ry, float(rng.uniform(-3.5, 3.5)), fill)


def _blur(image: np.ndarray, passes: int) -> np.ndarray:
    kernel = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
    for _ in range(passes):
        image = np.apply_along_axis(np.convolve, 0, image, kernel, mode="same")
        image = np.apply_along_axis(np.convolve, 1, image, kernel, mode="same")
    return image


def _random_target(rng: np.random.Generator, kind: int, width: int, height: int) -> np.ndarray:
    if kind == 0:
        image = rng.random((height, width))
    elif kind == 1:
        image = _blur(rng.random((height, width)), 3)
        image = (image - image.min()) / (np.ptp(image) + 1e-12)
    elif kind == 2:
        y, x = np.mgrid[0:height, 0:width] / max(width, height)
        image = 0.2 + 0.6 * x
        image[(x - 0.4) ** 2 + (y - 0.5) ** 2 < 0.07] = 0.1
        image[(x > 0.6) & (y < 0.3)] = 0.9
    else:
        other = pw.Scene([_random_shape(rng, k % 3) for k in range(6)], width, height)
        image = np.round(pw.render(other, 0.7 / max(width, height)) * 255) / 255
    return np.clip(image, 0, 1).astype(np.float32)


def random_cases() -> list[Case]:
    rng = np.random.default_rng(SEED)
    cases = []
    for n in range(RANDOM_CASES):
        width = int(rng.integers(32, 65))
        height = width if n < RANDOM_CASES - 6 else int(rng.integers(32, 65))
        start = int(rng.integers(3))
        shapes = [_random_shape(rng, (start + k) % 3) for k in range(int(rng.integers(3, 9)))]
        scene = pw.Scene(shapes, width, height)
        target = _random_target(rng, n % 4, width, height)
        px = (0.5, 1.0, 0.2)[n % 3]
        name = f"random {n:2d} {width}x{height} {len(shapes)} shapes tau={px}px"
        cases.append(Case(name, scene, target, px / max(width, height)))
    return cases


# --- comparison ------------------------------------------------------------------------


def rel(value: float, reference: float) -> float:
    diff = abs(value - reference)
    return diff / abs(reference) if reference != 0 else diff


def grad_rel(grad: np.ndarray, reference: np.ndarray) -> float:
    scale = np.max(np.abs(reference))
    diff = np.max(np.abs(grad - reference))
    return float(diff / scale) if scale > 0 else float(diff)


def main() -> None:
    torch.set_num_threads(1)
    cases = pelican_cases() + random_cases()
    js = js_reference(cases)
    keys = (*TERMS, "total")
    columns = ["f32/oracle", "f64/oracle", "js/oracle", "grad js/f64", "grad f32/f64"]
    worst = {key: dict.fromkeys(columns, 0.0) for key in keys}
    worst_f32_case = dict.fromkeys(keys, "")
    print(f"{'case':<40} {'oracle total':>13} {'f32':>9} {'f64':>9} {'js':>9} {'grad js':>9}")
    for n, case in enumerate(cases):
        raw, types = scene_to_raw(case.scene)
        oracle = pw.loss(case.scene, case.target, tau=case.tau)
        f32, g32 = torch_loss(case, raw, types, torch.float32, want_grad=True)
        f64, g64 = torch_loss(case, raw, types, torch.float64, want_grad=True)
        row = {}
        for key in keys:
            row[key] = {
                "f32/oracle": rel(f32[key], oracle[key]),
                "f64/oracle": rel(f64[key], oracle[key]),
                "grad f32/f64": grad_rel(g32[key], g64[key]),
            }
            if js is not None:
                row[key]["js/oracle"] = rel(js[n]["terms"][key], oracle[key])
                row[key]["grad js/f64"] = grad_rel(js[n]["grads"][key], g64[key])
            if row[key]["f32/oracle"] > worst[key]["f32/oracle"]:
                worst_f32_case[key] = case.name
            for column, value in row[key].items():
                worst[key][column] = max(worst[key][column], value)
        total = row["total"]
        cells = [
            f"{total[c]:9.1e}" if c in total else f"{'-':>9}"
            for c in ("f32/oracle", "f64/oracle", "js/oracle", "grad js/f64")
        ]
        print(f"{case.name:<40} {oracle['total']:13.6f} " + " ".join(cells))

    print()
    print("max relative difference over all cases, per term")
    print(f"{'term':<11}" + "".join(f"{c:>14}" for c in columns) + "  worst f32 case")
    for key in keys:
        cells = [
            f"{worst[key][c]:14.2e}" if js is not None or "js" not in c else f"{'-':>14}"
            for c in columns
        ]
        print(f"{key:<11}" + "".join(cells) + f"  {worst_f32_case[key]}")

    max_f32 = max(worst[key]["f32/oracle"] for key in keys)
    max_f64 = max(worst[key]["f64/oracle"] for key in keys)
    max_grad = max(worst[key]["grad js/f64"] for key in keys) if js is not None else float("nan")
    print(
        f"RESULT max_rel_loss_f32={max_f32:.2e} max_rel_loss_f64={max_f64:.2e} "
        f"max_rel_grad={max_grad:.2e} cases={len(cases)}"
    )


if __name__ == "__main__":
    main()
