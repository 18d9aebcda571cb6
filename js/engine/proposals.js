// Candidate shapes ("drafts") for the greedy shape search (refine.js).
//
// "random" places a draft the way the PyTorch reference did: anywhere in the
// middle of the canvas, about 0.08 in size, with a dark fill, and lets
// gradient descent pull it into place. "error" looks where the drawing is
// most wrong over an area (the blurred signed residual target - render),
// fits a shape of the round's type to each strong blob through its moments,
// and takes the fill from the target there, so the draft starts where it
// helps. refine.js ranks the drafts of either kind by the loss.
//
// Lengths follow docs/engine.md: metric units of the longer side L; scene
// positions are fractions of the width and height.

import { KIND_BY_NAME, KIND_NAMES } from "./shapes/index.js";

/** @typedef {string} ShapeType a kind of shapes/index.js ("circle", "ellipse", "triangle", "rect", "curve") */
/** @typedef {{x: number, y: number, s: number}} Site  metric centre and size of a proposal */

/** The order in which the greedy search cycles through shape types. */
export const SHAPE_TYPES = KIND_NAMES;

/**
 * A small, fast, seedable PRNG (mulberry32), so that a seed fixes every round.
 * @param {number} seed
 * @returns {() => number} uniform numbers in [0, 1)
 */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

/**
 * A candidate placed like the reference: centre uniform in [0.15, 0.85]²,
 * size around 0.08, fill uniform in [0.05, 0.55] (the subject is dark on white).
 * @param {ShapeType} type
 * @param {() => number} rng
 * @param {number} [channels=1] 3 for a colour scene: the grey fill as [v, v, v]
 * @returns {{shape: object, site: null}}
 */
export function proposeRandom(type, rng, channels = 1) {
  const u = (lo, hi) => lo + (hi - lo) * rng();
  const base = 0.08;
  const cx = u(0.15, 0.85);
  const cy = u(0.15, 0.85);
  const grey = u(0.05, 0.55);
  const fill = channels === 3 ? [grey, grey, grey] : grey;
  if (!Object.hasOwn(KIND_BY_NAME, type)) throw new Error(`unknown shape type ${type}`);
  return { shape: { type, ...KIND_BY_NAME[type].propose(u, base, cx, cy, clamp), fill }, site: null };
}

/**
 * Separable Gaussian blur with zero padding.
 * @param {Float32Array} src
 * @param {number} width
 * @param {number} height
 * @param {number} sigma in pixels
 * @returns {Float32Array} a new image
 */
function gaussianBlur(src, width, height, sigma) {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) {
    kernel[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
    sum += kernel[k + radius];
  }
  for (let k = 0; k < kernel.length; k++) kernel[k] /= sum;
  const tmp = new Float32Array(width * height);
  const out = new Float32Array(width * height);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const x = i + k;
        if (x >= 0 && x < width) acc += kernel[k + radius] * src[j * width + x];
      }
      tmp[j * width + i] = acc;
    }
  }
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const y = j + k;
        if (y >= 0 && y < height) acc += kernel[k + radius] * tmp[y * width + i];
      }
      out[j * width + i] = acc;
    }
  }
  return out;
}

/**
 * The pixels connected (4-neighbours) to `seed` whose value is at least `threshold`.
 * @returns {Int32Array} pixel indices
 */
function connectedRegion(map, width, height, seed, threshold) {
  const seen = new Uint8Array(width * height);
  const stack = [seed];
  const region = [];
  seen[seed] = 1;
  while (stack.length > 0) {
    const p = stack.pop();
    region.push(p);
    const i = p % width;
    const j = (p - i) / width;
    const next = [i > 0 ? p - 1 : -1, i < width - 1 ? p + 1 : -1, j > 0 ? p - width : -1, j < height - 1 ? p + width : -1];
    for (const q of next) {
      if (q >= 0 && !seen[q] && map[q] >= threshold) {
        seen[q] = 1;
        stack.push(q);
      }
    }
  }
  return Int32Array.from(region);
}

/** Metric centre of pixel p (docs/engine.md). */
const pixelX = (p, width, L) => ((p % width) + 0.5) / L;
const pixelY = (p, width, L) => (Math.floor(p / width) + 0.5) / L;

/**
 * Weighted centre and principal axes of a blob; a uniform ellipse with
 * semi-axis a has variance a²/4 along that axis.
 */
function blobMoments(region, weight, width, L) {
  let w = 0;
  let mx = 0;
  let my = 0;
  for (const p of region) {
    w += weight[p];
    mx += weight[p] * pixelX(p, width, L);
    my += weight[p] * pixelY(p, width, L);
  }
  mx /= w;
  my /= w;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (const p of region) {
    const dx = pixelX(p, width, L) - mx;
    const dy = pixelY(p, width, L) - my;
    sxx += weight[p] * dx * dx;
    syy += weight[p] * dy * dy;
    sxy += weight[p] * dx * dy;
  }
  sxx /= w;
  syy /= w;
  sxy /= w;
  const mean = 0.5 * (sxx + syy);
  const diff = Math.sqrt(0.25 * (sxx - syy) ** 2 + sxy * sxy);
  const minSize = 1.5 / L;
  const a = clamp(2 * Math.sqrt(mean + diff), minSize, 0.3);
  const b = clamp(2 * Math.sqrt(Math.max(mean - diff, 0)), minSize, a);
  return { x: mx, y: my, a, b, angle: 0.5 * Math.atan2(2 * sxy, sxx - syy) };
}

/** The region's extreme points: farthest from the centre, farthest from that, farthest from their line. */
function extremeTriangle(region, blob, width, L) {
  const pts = Array.from(region, (p) => [pixelX(p, width, L), pixelY(p, width, L)]);
  const argmax = (f) => pts.reduce((best, q) => (f(q) > f(best) ? q : best), pts[0]);
  const v0 = argmax(([x, y]) => (x - blob.x) ** 2 + (y - blob.y) ** 2);
  const v1 = argmax(([x, y]) => (x - v0[0]) ** 2 + (y - v0[1]) ** 2);
  const v2 = argmax(([x, y]) => Math.abs((v1[0] - v0[0]) * (y - v0[1]) - (v1[1] - v0[1]) * (x - v0[0])));
  return [v0, v1, v2];
}

/** A triangle inscribed in the blob's ellipse, grown so that its area matches the ellipse's. */
function ellipseTriangle(blob) {
  const grow = Math.sqrt((4 * Math.PI) / (3 * Math.sqrt(3)));
  const c = Math.cos(blob.angle);
  const s = Math.sin(blob.angle);
  return [0, 1, 2].map((k) => {
    const u = grow * blob.a * Math.cos((2 * Math.PI * k) / 3);
    const v = grow * blob.b * Math.sin((2 * Math.PI * k) / 3);
    return [blob.x + c * u - s * v, blob.y + s * u + c * v];
  });
}

/** A metric shape grown by `k` about its centre. */
const scaled = (shape, k) => KIND_BY_NAME[shape.type].scaled(shape, k);

/** Moment sizes are only a guess at the size that helps most: a smaller and a larger variant are scored too. */
const SCALES = [0.7, 1, 1.4];

/**
 * Shapes of the given type fitted to a blob, in metric units, without fill.
 * Triangles get two fits (the region's corners, and the moment ellipse's
 * inscribed triangle); each fit comes in the sizes of SCALES. The caller
 * keeps the best.
 */
function fitShapes(type, region, blob, width, L) {
  if (!Object.hasOwn(KIND_BY_NAME, type)) throw new Error(`unknown shape type ${type}`);
  const fits = KIND_BY_NAME[type].fits(blob, {
    extremeTriangle: () => extremeTriangle(region, blob, width, L),
    ellipseTriangle: () => ellipseTriangle(blob),
  });
  return fits.flatMap((fit) => SCALES.map((k) => scaled(fit, k)));
}

/**
 * A hard inside test for a shape in metric units, and its bounding box.
 * @returns {{inside: (x: number, y: number) => boolean, box: number[]}}
 */
function insideTest(shape) {
  return KIND_BY_NAME[shape.type].inside(shape);
}

/**
 * Paints a metric shape onto the image with the fill that minimises the
 * squared error under it (the target's mean there), and returns the drop in
 * the summed squared error and that fill.
 */
function scoreShape(shape, image, target, width, height, L) {
  if (target.length === 3 * width * height) return scoreColourShape(shape, image, target, width, height, L);
  const { inside, box } = insideTest(shape);
  const i0 = Math.max(0, Math.floor(box[0] * L));
  const j0 = Math.max(0, Math.floor(box[1] * L));
  const i1 = Math.min(width - 1, Math.ceil(box[2] * L));
  const j1 = Math.min(height - 1, Math.ceil(box[3] * L));
  const covered = [];
  let sum = 0;
  for (let j = j0; j <= j1; j++) {
    for (let i = i0; i <= i1; i++) {
      if (inside((i + 0.5) / L, (j + 0.5) / L)) {
        covered.push(j * width + i);
        sum += target[j * width + i];
      }
    }
  }
  if (covered.length === 0) return { gain: -Infinity, fill: 0.5 };
  const fill = clamp(sum / covered.length, 0.01, 0.99);
  let gain = 0;
  for (const p of covered) gain += (image[p] - target[p]) ** 2 - (fill - target[p]) ** 2;
  return { gain, fill };
}

/** scoreShape on an RGB target (interleaved): the mean colour under the shape, the drop summed over channels. */
function scoreColourShape(shape, image, target, width, height, L) {
  const { inside, box } = insideTest(shape);
  const i0 = Math.max(0, Math.floor(box[0] * L));
  const j0 = Math.max(0, Math.floor(box[1] * L));
  const i1 = Math.min(width - 1, Math.ceil(box[2] * L));
  const j1 = Math.min(height - 1, Math.ceil(box[3] * L));
  const covered = [];
  const sum = [0, 0, 0];
  for (let j = j0; j <= j1; j++) {
    for (let i = i0; i <= i1; i++) {
      if (inside((i + 0.5) / L, (j + 0.5) / L)) {
        const p = j * width + i;
        covered.push(p);
        for (let c = 0; c < 3; c++) sum[c] += target[3 * p + c];
      }
    }
  }
  if (covered.length === 0) return { gain: -Infinity, fill: [0.5, 0.5, 0.5] };
  const fill = sum.map((v) => clamp(v / covered.length, 0.01, 0.99));
  let gain = 0;
  for (const p of covered) {
    for (let c = 0; c < 3; c++) gain += (image[3 * p + c] - target[3 * p + c]) ** 2 - (fill[c] - target[3 * p + c]) ** 2;
  }
  return { gain, fill };
}

/** Perimeter of a metric shape (the perimeter prior of DESIGN.md; Ramanujan for ellipses). */
export function perimeter(shape) {
  return KIND_BY_NAME[shape.type].perimeter(shape);
}

/** A metric shape in scene units (positions as fractions of the width and height, kept inside the canvas). */
export function toScene(shape, width, height, fill) {
  const L = Math.max(width, height);
  const toX = (mx) => clamp((mx * L) / width, 0.001, 0.999);
  const toY = (my) => clamp((my * L) / height, 0.001, 0.999);
  return { ...KIND_BY_NAME[shape.type].toScene(shape, toX, toY), fill };
}

/**
 * Candidates at the strong blobs of |blur(target - render)|, best first.
 *
 * The strongest blobs (threshold: half their peak) are each fitted with a
 * shape of the requested type (centre and axes from the moments, triangle
 * corners also from the blob's extreme points; each at three sizes) and
 * painted with the target's mean grey under it. The best fit per blob is
 * kept, and blobs are ranked by the squared error the fit would remove, as a
 * share of the MSE, less the perimeter prior it would add. Sites of earlier
 * rejected candidates are damped (`tabu`), so a rejection moves the next
 * proposal elsewhere instead of retrying the same spot.
 *
 * @param {ShapeType} type
 * @param {{image: Float32Array, target: Float32Array, width: number, height: number,
 *   tabu?: Site[], blobs?: number, perimeterWeight?: number}} input
 *   image: the current render at evaluation tau; target in [0, 1], grey or RGB (interleaved,
 *   then image too): fills are the target's mean (colour) under the shape;
 *   blobs: how many blobs to try at least (default 6); perimeterWeight: the loss weight of the perimeter prior
 * @param {number} [count=1] how many candidates to return at most (one per blob)
 * @returns {{shape: object, site: Site}[]}
 */
export function rankErrorProposals(type, input, count = 1) {
  const { width, height } = input;
  return blobDrafts(type, input, count).map(({ shape, fill, site }) => ({ shape: toScene(shape, width, height, fill), site }));
}

/**
 * The drafts of {@link rankErrorProposals} as metric shapes (docs/engine.md)
 * with their fill, for the screening of refine.js.
 * @param {ShapeType} type
 * @param {Parameters<typeof rankErrorProposals>[1]} input
 * @param {number} [count=1]
 * @returns {{shape: object, fill: number, site: Site}[]}
 */
export function blobDrafts(
  type,
  { image, target, width, height, tabu = [], blobs = 6, perimeterWeight = 0.001 },
  count = 1,
) {
  if (!SHAPE_TYPES.includes(type)) throw new Error(`unknown shape type ${type}`);
  const L = Math.max(width, height);
  const n = width * height;
  // Blurring the signed residual keeps what one flat-filled shape can fix (the
  // drawing too light or too dark over an area) and cancels fine texture.
  const signed = new Float32Array(n);
  let residual;
  if (target.length === 3 * n) {
    // colour: the length of the blurred residual colour
    residual = new Float32Array(n);
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < n; p++) signed[p] = target[3 * p + c] - image[3 * p + c];
      const blurred = gaussianBlur(signed, width, height, Math.max(1, L / 64));
      for (let p = 0; p < n; p++) residual[p] += blurred[p] * blurred[p];
    }
    for (let p = 0; p < n; p++) residual[p] = Math.sqrt(residual[p]) + 1e-6;
  } else {
    for (let p = 0; p < n; p++) signed[p] = target[p] - image[p];
    residual = gaussianBlur(signed, width, height, Math.max(1, L / 64));
    for (let p = 0; p < n; p++) residual[p] = Math.abs(residual[p]) + 1e-6;
  }
  const work = Float32Array.from(residual);
  const keep = (x, y) =>
    tabu.reduce((k, t) => k * (1 - Math.exp(-((x - t.x) ** 2 + (y - t.y) ** 2) / (2 * Math.max(t.s, 2 / L) ** 2))), 1);
  if (tabu.length > 0) for (let p = 0; p < n; p++) work[p] *= keep(pixelX(p, width, L), pixelY(p, width, L));

  const ranked = [];
  for (let k = 0; k < Math.max(blobs, count); k++) {
    let peak = 0;
    for (let p = 1; p < n; p++) if (work[p] > work[peak]) peak = p;
    if (k > 0 && work[peak] <= 0) break;
    const region = connectedRegion(work, width, height, peak, 0.5 * work[peak]);
    const blob = blobMoments(region, residual, width, L);
    let best = null;
    for (const shape of fitShapes(type, region, blob, width, L)) {
      const { gain, fill } = scoreShape(shape, image, target, width, height, L);
      // A blob next to a rejected site must not win on the error it still shares with that site.
      const score = (gain / n - perimeterWeight * perimeter(shape)) * keep(blob.x, blob.y);
      if (best === null || score > best.score) best = { score, fill, shape };
    }
    ranked.push({ ...best, blob });
    for (const p of region) work[p] = 0;
  }
  ranked.sort((a, b) => b.score - a.score);
  return ranked.slice(0, count).map(({ shape, fill, blob }) => ({
    shape,
    fill,
    site: { x: blob.x, y: blob.y, s: Math.sqrt(blob.a * blob.b) },
  }));
}

/**
 * The best candidate of {@link rankErrorProposals}.
 * @param {ShapeType} type
 * @param {Parameters<typeof rankErrorProposals>[1]} input
 * @returns {{shape: object, site: Site}}
 */
export function proposeFromError(type, input) {
  return rankErrorProposals(type, input, 1)[0];
}
