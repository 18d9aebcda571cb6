// The scalar reference evaluator: forward render, the image-space loss terms
// (MSE, Sobel edge, SSIM) and their analytic backward pass to the raw
// parameters, in plain JS numbers (float64). It is the oracle every other
// backend is tested against, so it favours clarity over speed.

import { FILL_SLOT, OPACITY_SLOT, STRIDE, decodeShape } from "./params.js";
import { KINDS } from "./shapes/index.js";

const SOBEL_X = [-1, 0, 1, -2, 0, 2, -1, 0, 1];
const SOBEL_Y = [-1, -2, -1, 0, 0, 0, 1, 2, 1];
const EDGE_EPS = 1e-8;
const SSIM_C1 = 0.01 ** 2;
const SSIM_C2 = 0.03 ** 2;
const SSIM_RADIUS = 3;
const CLAMP = 10;

/** The 1-D factor of the normalised 7x7 Gaussian window (sigma 1.5). */
export const GAUSS_1D = (() => {
  const g = [];
  for (let i = -SSIM_RADIUS; i <= SSIM_RADIUS; i++) g.push(Math.exp(-(i * i) / (2 * 1.5 * 1.5)));
  const sum = g.reduce((a, b) => a + b, 0);
  return Float64Array.from(g, (v) => v / sum);
})();

/**
 * Shapes in the metric of docs/engine.md: lengths in units of L = max(W, H).
 * `p` holds the metric parameters in raw slot order, `j` their derivatives
 * with respect to the raw slot (the transforms are one-to-one per slot).
 */
export function prepareShapes(raw, types, width, height, channels = 1) {
  const L = Math.max(width, height);
  const sx = width / L;
  const sy = height / L;
  const shapes = [];
  for (let i = 0; i < types.length; i++) {
    const type = types[i];
    const p = new Float64Array(STRIDE);
    const j = new Float64Array(STRIDE);
    decodeShape(raw, i, type, p, j, channels);
    // positions scale to the metric of docs/engine.md; lengths already are in it
    KINDS[type].slots.forEach((t, k) => {
      const scale = t === "x" ? sx : t === "y" ? sy : 1;
      p[k] *= scale;
      j[k] *= scale;
    });
    shapes.push({ type, p, j });
  }
  return { shapes, L };
}

// indexed by type code: each kind's SDF and its gradient (shapes/*.js)
const SDF = KINDS.map((k) => k.sdf);
const SDF_GRAD = KINDS.map((k) => k.sdfGrad);

/** Coverage and its derivative with respect to the SDF (0 where the clamp is active). */
function coverage(sdf, tau) {
  const z = sdf / tau;
  const zc = Math.min(Math.max(z, -CLAMP), CLAMP);
  const c = 1 / (1 + Math.exp(zc));
  const dc = z >= -CLAMP && z <= CLAMP ? (-c * (1 - c)) / tau : 0;
  return { c, dc };
}

/** The background as one value per channel. */
function backgroundChannels(background, channels) {
  return Array.isArray(background) ? background : Array(channels).fill(background);
}

/**
 * @param {number | number[]} [background] what compositing starts from: a grey
 *   number, or one value per channel
 * @param {number} [channels=1] 1 grey, 3 RGB (fills in slots FILL_SLOT..+2)
 * @returns {Float64Array} the image, width*height*channels (RGB interleaved)
 */
export function renderImage(shapes, width, height, L, tau, background = 1.0, channels = 1) {
  if (channels === 1) {
    const img = new Float64Array(width * height);
    for (let j = 0; j < height; j++) {
      const y = (j + 0.5) / L;
      for (let i = 0; i < width; i++) {
        const x = (i + 0.5) / L;
        let out = background;
        for (const s of shapes) {
          const c = s.p[OPACITY_SLOT] * coverage(SDF[s.type](s.p, x, y), tau).c;
          out = (1 - c) * out + c * s.p[FILL_SLOT];
        }
        img[j * width + i] = out;
      }
    }
    return img;
  }
  const bg = backgroundChannels(background, channels);
  const img = new Float64Array(width * height * channels);
  const out = new Float64Array(channels);
  for (let j = 0; j < height; j++) {
    const y = (j + 0.5) / L;
    for (let i = 0; i < width; i++) {
      const x = (i + 0.5) / L;
      out.set(bg);
      for (const s of shapes) {
        const c = s.p[OPACITY_SLOT] * coverage(SDF[s.type](s.p, x, y), tau).c;
        for (let q = 0; q < channels; q++) out[q] = (1 - c) * out[q] + c * s.p[FILL_SLOT + q];
      }
      img.set(out, (j * width + i) * channels);
    }
  }
  return img;
}

/**
 * Back-propagates dLoss/dImage through compositing, coverage and the SDFs.
 * A shape of opacity a and coverage c paints with alpha = a c, so the
 * adjoint of alpha, sum_q g_q (fill_q - below_q), goes to the coverage
 * times a and to the opacity times c.
 * @param {ArrayLike<number>} gradImage dLoss/dImage, laid out like renderImage's result
 * @param {number | number[]} [background] as in renderImage
 * @param {number} [channels=1]
 * @returns {Float64Array} dLoss/d(raw), STRIDE per shape
 */
export function backwardShapes(shapes, width, height, L, tau, gradImage, background = 1.0, channels = 1) {
  const n = shapes.length;
  const bg = backgroundChannels(background, channels);
  const gMetric = shapes.map(() => new Float64Array(STRIDE));
  const cov = new Float64Array(n);
  const dcov = new Float64Array(n);
  const before = new Float64Array(n * channels);
  const out = new Float64Array(channels);
  const g = new Float64Array(channels);
  for (let j = 0; j < height; j++) {
    const y = (j + 0.5) / L;
    for (let i = 0; i < width; i++) {
      const p0 = (j * width + i) * channels;
      let any = false;
      for (let q = 0; q < channels; q++) any ||= gradImage[p0 + q] !== 0;
      if (!any) continue;
      const x = (i + 0.5) / L;
      out.set(bg);
      for (let k = 0; k < n; k++) {
        const s = shapes[k];
        const { c, dc } = coverage(SDF[s.type](s.p, x, y), tau);
        cov[k] = c;
        dcov[k] = dc;
        const alpha = s.p[OPACITY_SLOT] * c;
        for (let q = 0; q < channels; q++) {
          before[k * channels + q] = out[q];
          out[q] = (1 - alpha) * out[q] + alpha * s.p[FILL_SLOT + q];
        }
      }
      for (let q = 0; q < channels; q++) g[q] = gradImage[p0 + q];
      for (let k = n - 1; k >= 0; k--) {
        const s = shapes[k];
        const a = s.p[OPACITY_SLOT];
        const alpha = a * cov[k];
        // alpha is shared by the channels: its adjoint sums over them
        let gAlpha = 0;
        for (let q = 0; q < channels; q++) {
          gMetric[k][FILL_SLOT + q] += g[q] * alpha;
          gAlpha += g[q] * (s.p[FILL_SLOT + q] - before[k * channels + q]);
        }
        gMetric[k][OPACITY_SLOT] += gAlpha * cov[k];
        if (dcov[k] !== 0) SDF_GRAD[s.type](s.p, x, y, gAlpha * a * dcov[k], gMetric[k]);
        for (let q = 0; q < channels; q++) g[q] *= 1 - alpha;
      }
    }
  }
  const grad = new Float64Array(n * STRIDE);
  for (let k = 0; k < n; k++) {
    for (let q = 0; q < STRIDE; q++) grad[k * STRIDE + q] = gMetric[k][q] * shapes[k].j[q];
  }
  return grad;
}

/** 3x3 cross-correlation with zero padding 1. */
function correlate3(img, width, height, kernel) {
  const out = new Float64Array(width * height);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      let acc = 0;
      for (let b = -1; b <= 1; b++) {
        const jj = j + b;
        if (jj < 0 || jj >= height) continue;
        for (let a = -1; a <= 1; a++) {
          const ii = i + a;
          if (ii < 0 || ii >= width) continue;
          acc += kernel[(b + 1) * 3 + (a + 1)] * img[jj * width + ii];
        }
      }
      out[j * width + i] = acc;
    }
  }
  return out;
}

/** Adjoint of correlate3: scatters each output gradient back over its taps. */
function correlate3Adjoint(gOut, width, height, kernel, gIn) {
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const g = gOut[j * width + i];
      if (g === 0) continue;
      for (let b = -1; b <= 1; b++) {
        const jj = j + b;
        if (jj < 0 || jj >= height) continue;
        for (let a = -1; a <= 1; a++) {
          const ii = i + a;
          if (ii < 0 || ii >= width) continue;
          gIn[jj * width + ii] += kernel[(b + 1) * 3 + (a + 1)] * g;
        }
      }
    }
  }
}

function edgeMagnitude(img, width, height) {
  const gx = correlate3(img, width, height, SOBEL_X);
  const gy = correlate3(img, width, height, SOBEL_Y);
  const mag = new Float64Array(width * height);
  for (let p = 0; p < mag.length; p++) mag[p] = Math.sqrt(gx[p] * gx[p] + gy[p] * gy[p] + EDGE_EPS);
  return { gx, gy, mag };
}

/**
 * Separable 7x7 Gaussian filter with zero padding 3. The window is symmetric,
 * so the filter is its own adjoint.
 */
export function gaussianBlur(img, width, height) {
  const tmp = new Float64Array(width * height);
  const out = new Float64Array(width * height);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      let acc = 0;
      for (let a = -SSIM_RADIUS; a <= SSIM_RADIUS; a++) {
        const ii = i + a;
        if (ii >= 0 && ii < width) acc += GAUSS_1D[a + SSIM_RADIUS] * img[j * width + ii];
      }
      tmp[j * width + i] = acc;
    }
  }
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      let acc = 0;
      for (let b = -SSIM_RADIUS; b <= SSIM_RADIUS; b++) {
        const jj = j + b;
        if (jj >= 0 && jj < height) acc += GAUSS_1D[b + SSIM_RADIUS] * tmp[jj * width + i];
      }
      out[j * width + i] = acc;
    }
  }
  return out;
}

/**
 * Target-only quantities, computed once per target; a colour target (RGB
 * interleaved) gets them per channel in `planes`.
 */
export function prepareTarget(data, width, height, channels = 1) {
  if (channels !== 1) {
    const n = width * height;
    const planes = [];
    for (let q = 0; q < channels; q++) planes.push(prepareTarget(Float64Array.from({ length: n }, (_, p) => data[p * channels + q]), width, height));
    return { width, height, channels, planes };
  }
  const y = Float64Array.from(data);
  const y2 = y.map((v) => v * v);
  return {
    width,
    height,
    channels: 1,
    y,
    edge: edgeMagnitude(y, width, height).mag,
    muY: gaussianBlur(y, width, height),
    eY2: gaussianBlur(y2, width, height),
  };
}

/**
 * The image-space terms and, if asked, d(w.mse*mse + w.edge*edge + w.ssim*ssim)/d(image).
 * `ssim` is 1 - mean SSIM. For a colour target (DESIGN.md) each term is the
 * mean of the per-channel terms (the MSE is then the mean over pixels and
 * channels), so with equal channels it equals the grey loss.
 */
export function imageLoss(img, target, weights, wantGrad) {
  if (target.channels > 1) {
    const C = target.channels;
    const n = target.width * target.height;
    const w = { mse: weights.mse / C, edge: weights.edge / C, ssim: weights.ssim / C };
    const terms = { mse: 0, edge: 0, ssim: 0 };
    const grad = wantGrad ? new Float64Array(n * C) : null;
    for (let q = 0; q < C; q++) {
      const plane = Float64Array.from({ length: n }, (_, p) => img[p * C + q]);
      const part = imageLoss(plane, target.planes[q], w, wantGrad);
      for (const key of ["mse", "edge", "ssim"]) terms[key] += part.terms[key] / C;
      if (grad) for (let p = 0; p < n; p++) grad[p * C + q] = part.grad[p];
    }
    return { terms, grad };
  }
  const { width, height, y } = target;
  const N = width * height;
  const grad = wantGrad ? new Float64Array(N) : null;

  let mse = 0;
  for (let p = 0; p < N; p++) mse += (img[p] - y[p]) ** 2;
  mse /= N;
  if (grad) for (let p = 0; p < N; p++) grad[p] += (weights.mse * 2 * (img[p] - y[p])) / N;

  const { gx, gy, mag } = edgeMagnitude(img, width, height);
  let edge = 0;
  for (let p = 0; p < N; p++) edge += (mag[p] - target.edge[p]) ** 2;
  edge /= N;
  if (grad && weights.edge !== 0) {
    const dgx = new Float64Array(N);
    const dgy = new Float64Array(N);
    for (let p = 0; p < N; p++) {
      const dm = (weights.edge * 2 * (mag[p] - target.edge[p])) / N;
      dgx[p] = (dm * gx[p]) / mag[p];
      dgy[p] = (dm * gy[p]) / mag[p];
    }
    correlate3Adjoint(dgx, width, height, SOBEL_X, grad);
    correlate3Adjoint(dgy, width, height, SOBEL_Y, grad);
  }

  const x2 = new Float64Array(N);
  const xy = new Float64Array(N);
  for (let p = 0; p < N; p++) {
    x2[p] = img[p] * img[p];
    xy[p] = img[p] * y[p];
  }
  const muX = gaussianBlur(img, width, height);
  const eX2 = gaussianBlur(x2, width, height);
  const eXY = gaussianBlur(xy, width, height);
  const { muY, eY2 } = target;
  let ssimSum = 0;
  const gMu = grad ? new Float64Array(N) : null;
  const gX2 = grad ? new Float64Array(N) : null;
  const gXY = grad ? new Float64Array(N) : null;
  const scale = grad ? -weights.ssim / N : 0;
  for (let p = 0; p < N; p++) {
    const mx = muX[p];
    const my = muY[p];
    const a1 = 2 * mx * my + SSIM_C1;
    const a2 = 2 * (eXY[p] - mx * my) + SSIM_C2;
    const b1 = mx * mx + my * my + SSIM_C1;
    const b2 = eX2[p] - mx * mx + eY2[p] - my * my + SSIM_C2;
    const s = (a1 * a2) / (b1 * b2);
    ssimSum += s;
    if (grad) {
      const inv = 1 / (b1 * b2);
      gMu[p] = scale * (2 * my * (a2 - a1) * inv - (2 * mx * s) / b1 + (2 * mx * s) / b2);
      gX2[p] = scale * (-s / b2);
      gXY[p] = scale * 2 * a1 * inv;
    }
  }
  const ssim = 1 - ssimSum / N;
  if (grad && weights.ssim !== 0) {
    const bMu = gaussianBlur(gMu, width, height);
    const bX2 = gaussianBlur(gX2, width, height);
    const bXY = gaussianBlur(gXY, width, height);
    for (let p = 0; p < N; p++) grad[p] += bMu[p] + 2 * img[p] * bX2[p] + y[p] * bXY[p];
  }
  return { terms: { mse, edge, ssim }, grad };
}

/**
 * The scalar reference Evaluator of docs/engine.md. `raw` may be a
 * Float64Array: the whole computation runs in float64.
 */
export function createReferenceEvaluator() {
  let target = null;
  let types = new Uint8Array(0);
  let background = 1.0;
  const needTarget = () => {
    if (!target) throw new Error("reference evaluator: setTarget() has not been called");
    return target;
  };
  return {
    name: "reference",
    /**
     * @param {ArrayLike<number>} data width*height*channels values, RGB interleaved
     * @param {number} [channels=1] 1 grey or 3 RGB
     */
    async setTarget(data, width, height, channels = 1) {
      target = prepareTarget(data, width, height, channels);
    },
    async setTypes(t) {
      types = Uint8Array.from(t);
    },
    /** @param {number | number[]} value a grey number, or one value per channel */
    async setBackground(value) {
      background = value;
    },
    async evaluate(raw, tau, weights, wantGrad) {
      const t = needTarget();
      const C = t.channels;
      const { shapes, L } = prepareShapes(raw, types, t.width, t.height, C);
      const img = renderImage(shapes, t.width, t.height, L, tau, background, C);
      const { terms, grad } = imageLoss(img, t, weights, wantGrad);
      if (!wantGrad) return { terms };
      return { terms, grad: backwardShapes(shapes, t.width, t.height, L, tau, grad, background, C) };
    },
    async render(raw, tau) {
      const t = needTarget();
      const { shapes, L } = prepareShapes(raw, types, t.width, t.height, t.channels);
      return Float32Array.from(renderImage(shapes, t.width, t.height, L, tau, background, t.channels));
    },
    dispose() {
      target = null;
    },
  };
}
