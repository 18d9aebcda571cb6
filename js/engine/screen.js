// Cheap screening of draft shapes for the shape search (refine.js).
//
// A draft is scored without the engine: painted hard-edged and opaque over
// the current render with the fill that minimises the squared error under it
// (the target's mean there, in closed form), its gain is the drop in the
// summed squared error. With per-row prefix sums of the squared error, the
// target and its square, a shape's score costs one span per row it covers,
// not one operation per pixel, so hundreds of drafts and thousands of
// hill-climbing moves per round cost less than one optimiser step.
//
// Colour: with an RGB target (3 values per pixel, interleaved) the error of a
// pixel sums its channels, the closed-form fill is the target's mean colour
// under the shape (per channel), and the gain sums over the channels.
//
// Translucent drafts (the search's `opacity` a < 1): a pixel o becomes
// (1 - a) o + a f, so with u = t - (1 - a) o the best fill is mean(u) / a
// (clamped) and the error after is sum (a f - u)^2; the maps then also keep
// prefix sums of the render o, o^2 and o t (per channel, or summed over them).
//
// Shapes here are metric (docs/engine.md: lengths in units of the longer side
// L, x in [0, W/L], y in [0, H/L]) and carry no fill; `toScene` in
// proposals.js turns them into scene shapes.

import { KIND_BY_NAME } from "./shapes/index.js";

/** The fill range that the engine's sigmoid parameters can represent well. */
const FILL_MIN = 0.01;
const FILL_MAX = 0.99;
/** Smallest radius or half-extent of a draft, in pixels. */
const MIN_SIZE_PX = 0.5;

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

/**
 * Per-row prefix sums of the squared error of the current render, the
 * target, and the target squared (row j, pixels [0, i) at index j*(W+1)+i).
 * @typedef {object} ResidualMaps
 * @property {number} width
 * @property {number} height
 * @property {number} L       the longer side in pixels
 * @property {number} channels 1 (grey) or 3 (RGB)
 * @property {Float64Array} err  squared error (summed over the channels), width*height
 * @property {Float64Array} sumErr
 * @property {Float64Array} sumT  the grey target's (channel 0's) prefix sums
 * @property {Float64Array[]} sumTc  per channel
 * @property {Float64Array} sumT2  of the target squared, summed over the channels
 * @property {Float64Array} target  width*height*channels
 * @property {number} totalErr  the summed squared error of the render
 * @property {number} opacity  the drafts' opacity (1: opaque, and none of the sums below)
 * @property {Float64Array} [image]  with opacity < 1: the render (painted drafts included)
 * @property {Float64Array[]} [sumOc]  ... its prefix sums per channel
 * @property {Float64Array} [sumO2]  ... of its square, summed over the channels
 * @property {Float64Array} [sumOT]  ... of render times target, summed over the channels
 */

/**
 * @param {ArrayLike<number>} image the current render, laid out like the target
 * @param {ArrayLike<number>} target in [0, 1]: grey (width*height) or RGB
 *   (width*height*3, interleaved); the channel count follows from its length
 * @param {number} width
 * @param {number} height
 * @param {number} [opacity=1] the opacity drafts are scored and painted at
 * @returns {ResidualMaps}
 */
export function residualMaps(image, target, width, height, opacity = 1) {
  const n = width * height;
  const channels = target.length === 3 * n ? 3 : 1;
  const err = new Float64Array(n);
  const t = Float64Array.from(target);
  if (channels === 1) for (let p = 0; p < n; p++) err[p] = (image[p] - t[p]) ** 2;
  else for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) err[p] += (image[3 * p + c] - t[3 * p + c]) ** 2;
  const sumTc = Array.from({ length: channels }, () => new Float64Array((width + 1) * height));
  const maps = {
    width,
    height,
    L: Math.max(width, height),
    channels,
    err,
    target: t,
    sumErr: new Float64Array((width + 1) * height),
    sumT: sumTc[0],
    sumTc,
    sumT2: new Float64Array((width + 1) * height),
    totalErr: 0,
    opacity,
  };
  if (opacity < 1) {
    maps.image = Float64Array.from(image);
    maps.sumOc = Array.from({ length: channels }, () => new Float64Array((width + 1) * height));
    maps.sumO2 = new Float64Array((width + 1) * height);
    maps.sumOT = new Float64Array((width + 1) * height);
  }
  for (let j = 0; j < height; j++) updateRow(maps, j);
  maps.totalErr = err.reduce((a, b) => a + b, 0);
  return maps;
}

function updateRow(maps, j) {
  const { width, err, target, sumErr, sumT, sumT2, channels, sumTc } = maps;
  const o = j * (width + 1);
  const p0 = j * width;
  if (maps.image) updateRenderRow(maps, j);
  sumErr[o] = 0;
  sumT2[o] = 0;
  for (const sum of sumTc) sum[o] = 0;
  if (channels === 1) {
    for (let i = 0; i < width; i++) {
      const t = target[p0 + i];
      sumErr[o + i + 1] = sumErr[o + i] + err[p0 + i];
      sumT[o + i + 1] = sumT[o + i] + t;
      sumT2[o + i + 1] = sumT2[o + i] + t * t;
    }
    return;
  }
  for (let i = 0; i < width; i++) {
    const q = 3 * (p0 + i);
    sumErr[o + i + 1] = sumErr[o + i] + err[p0 + i];
    let t2 = 0;
    for (let c = 0; c < 3; c++) {
      const t = target[q + c];
      sumTc[c][o + i + 1] = sumTc[c][o + i] + t;
      t2 += t * t;
    }
    sumT2[o + i + 1] = sumT2[o + i] + t2;
  }
}

/** The render's prefix sums of row j (translucent drafts only). */
function updateRenderRow(maps, j) {
  const { width, target, channels, image, sumOc, sumO2, sumOT } = maps;
  const o = j * (width + 1);
  sumO2[o] = 0;
  sumOT[o] = 0;
  for (const sum of sumOc) sum[o] = 0;
  for (let i = 0; i < width; i++) {
    const q = (j * width + i) * channels;
    let o2 = 0;
    let ot = 0;
    for (let c = 0; c < channels; c++) {
      const v = image[q + c];
      sumOc[c][o + i + 1] = sumOc[c][o + i] + v;
      o2 += v * v;
      ot += v * target[q + c];
    }
    sumO2[o + i + 1] = sumO2[o + i] + o2;
    sumOT[o + i + 1] = sumOT[o + i] + ot;
  }
}

/**
 * Calls `visit(j, i0, i1)` for every pixel row j that the shape covers, with
 * the covered pixels [i0, i1] (inclusive) judged at pixel centres.
 * @param {object} shape metric shape
 * @param {number} width
 * @param {number} height
 * @param {(j: number, i0: number, i1: number) => void} visit
 */
export function forEachSpan(shape, width, height, visit) {
  const L = Math.max(width, height);
  const rowSpan = spanFunction(shape);
  const [ylo, yhi] = yRange(shape);
  const j0 = Math.max(0, Math.ceil(ylo * L - 0.5));
  const j1 = Math.min(height - 1, Math.floor(yhi * L - 0.5));
  for (let j = j0; j <= j1; j++) {
    const span = rowSpan((j + 0.5) / L);
    if (span === null) continue;
    // a stroke may meet a row in several disjoint spans (sorted, not overlapping)
    for (const [lo, hi] of Array.isArray(span[0]) ? span : [span]) {
      const i0 = Math.max(0, Math.ceil(lo * L - 0.5));
      const i1 = Math.min(width - 1, Math.floor(hi * L - 0.5));
      if (i0 <= i1) visit(j, i0, i1);
    }
  }
}

const yRange = (shape) => KIND_BY_NAME[shape.type].yRange(shape);

/** A function from a row's metric y to the [xlo, xhi] the shape covers there (or a list of them), or null. */
const spanFunction = (shape) => KIND_BY_NAME[shape.type].rowSpan(shape);

/**
 * The best opaque fill of a shape over the current render and the drop in
 * the summed squared error it gives (in colour: the mean colour under the
 * shape, channel by channel, and the drop summed over the channels).
 * @param {ResidualMaps} maps
 * @param {object} shape metric shape
 * @returns {{gain: number, fill: number | number[], pixels: number}} fill: grey, or [r, g, b]
 */
export function scoreDraft(maps, shape) {
  if (maps.opacity < 1) return scoreTranslucentDraft(maps, shape);
  if (maps.channels !== 1) return scoreColourDraft(maps, shape);
  const { width, height, sumErr, sumT, sumT2 } = maps;
  let n = 0;
  let e = 0;
  let t = 0;
  let t2 = 0;
  forEachSpan(shape, width, height, (j, i0, i1) => {
    const o = j * (width + 1);
    n += i1 - i0 + 1;
    e += sumErr[o + i1 + 1] - sumErr[o + i0];
    t += sumT[o + i1 + 1] - sumT[o + i0];
    t2 += sumT2[o + i1 + 1] - sumT2[o + i0];
  });
  if (n === 0) return { gain: -Infinity, fill: 0.5, pixels: 0 };
  const fill = clamp(t / n, FILL_MIN, FILL_MAX);
  return { gain: e - (t2 - 2 * fill * t + n * fill * fill), fill, pixels: n };
}

function scoreColourDraft(maps, shape) {
  const { width, height, sumErr, sumTc, sumT2 } = maps;
  let n = 0;
  let e = 0;
  let t2 = 0;
  const t = [0, 0, 0];
  forEachSpan(shape, width, height, (j, i0, i1) => {
    const o = j * (width + 1);
    n += i1 - i0 + 1;
    e += sumErr[o + i1 + 1] - sumErr[o + i0];
    for (let c = 0; c < 3; c++) t[c] += sumTc[c][o + i1 + 1] - sumTc[c][o + i0];
    t2 += sumT2[o + i1 + 1] - sumT2[o + i0];
  });
  if (n === 0) return { gain: -Infinity, fill: [0.5, 0.5, 0.5], pixels: 0 };
  const fill = t.map((v) => clamp(v / n, FILL_MIN, FILL_MAX));
  let after = t2;
  for (let c = 0; c < 3; c++) after += n * fill[c] * fill[c] - 2 * fill[c] * t[c];
  return { gain: e - after, fill, pixels: n };
}

/** scoreDraft at the maps' opacity a < 1 (grey or colour): fill mean(u) / a with u = t - (1 - a) o. */
function scoreTranslucentDraft(maps, shape) {
  const { width, height, channels, sumErr, sumTc, sumT2, sumOc, sumO2, sumOT, opacity: a } = maps;
  let n = 0;
  let e = 0;
  let t2 = 0;
  let o2 = 0;
  let ot = 0;
  const t = new Float64Array(channels);
  const so = new Float64Array(channels);
  forEachSpan(shape, width, height, (j, i0, i1) => {
    const o = j * (width + 1);
    n += i1 - i0 + 1;
    e += sumErr[o + i1 + 1] - sumErr[o + i0];
    t2 += sumT2[o + i1 + 1] - sumT2[o + i0];
    o2 += sumO2[o + i1 + 1] - sumO2[o + i0];
    ot += sumOT[o + i1 + 1] - sumOT[o + i0];
    for (let c = 0; c < channels; c++) {
      t[c] += sumTc[c][o + i1 + 1] - sumTc[c][o + i0];
      so[c] += sumOc[c][o + i1 + 1] - sumOc[c][o + i0];
    }
  });
  if (n === 0) return { gain: -Infinity, fill: channels === 1 ? 0.5 : [0.5, 0.5, 0.5], pixels: 0 };
  const b = 1 - a;
  // sum u^2 over the pixels and channels, then a^2 f^2 n - 2 a f sum u per channel
  let after = t2 - 2 * b * ot + b * b * o2;
  const fill = [];
  for (let c = 0; c < channels; c++) {
    const u = t[c] - b * so[c];
    const f = clamp(u / (a * n), FILL_MIN, FILL_MAX);
    after += a * a * f * f * n - 2 * a * f * u;
    fill.push(f);
  }
  return { gain: e - after, fill: channels === 1 ? fill[0] : fill, pixels: n };
}

/**
 * Paints a shape hard-edged into the maps (the error under it becomes that of
 * `fill`, over the render at the maps' opacity), so that the next draft is
 * scored against the drawing with it.
 * @param {ResidualMaps} maps
 * @param {object} shape metric shape
 * @param {number | number[]} fill grey, or [r, g, b] on colour maps
 */
export function paintDraft(maps, shape, fill) {
  const { width, height, err, target, channels, image, opacity: a } = maps;
  const rgb = Array.isArray(fill) ? fill : [fill, fill, fill];
  forEachSpan(shape, width, height, (j, i0, i1) => {
    for (let i = i0; i <= i1; i++) {
      const p = j * width + i;
      if (image) {
        let e = 0;
        for (let c = 0; c < channels; c++) {
          const q = p * channels + c;
          image[q] = (1 - a) * image[q] + a * rgb[c];
          e += (image[q] - target[q]) ** 2;
        }
        maps.totalErr += e - err[p];
        err[p] = e;
        continue;
      }
      let e = 0;
      if (channels === 1) e = (fill - target[p]) ** 2;
      else for (let c = 0; c < 3; c++) e += (rgb[c] - target[3 * p + c]) ** 2;
      maps.totalErr += e - err[p];
      err[p] = e;
    }
    updateRow(maps, j);
  });
}

/**
 * A sampler of pixel positions with probability proportional to the squared
 * error there: drafts go where the drawing is wrong.
 * @param {ResidualMaps} maps
 * @returns {(rng: () => number) => {x: number, y: number}} metric positions
 */
export function errorSampler(maps) {
  const { width, err, L } = maps;
  const cdf = new Float64Array(err.length);
  let acc = 0;
  for (let p = 0; p < err.length; p++) {
    acc += err[p];
    cdf[p] = acc;
  }
  return (rng) => {
    const u = rng() * acc;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return { x: ((lo % width) + rng()) / L, y: (Math.floor(lo / width) + rng()) / L };
  };
}

/** Keeps a metric shape inside the canvas (centres and vertices) and above the minimum size. */
export function confine(shape, width, height) {
  const L = Math.max(width, height);
  const xMax = width / L;
  const yMax = height / L;
  const eps = 1e-4;
  const minSize = MIN_SIZE_PX / L;
  const cx = (x) => clamp(x, eps, xMax - eps);
  const cy = (y) => clamp(y, eps, yMax - eps);
  return KIND_BY_NAME[shape.type].confine(shape, cx, cy, (r) => clamp(r, minSize, 1));
}

/**
 * A random draft of the given type around a metric position, of a size drawn
 * log-uniformly between 1 px and `maxSize`.
 * @param {string} type a kind of shapes/index.js
 * @param {{x: number, y: number}} at
 * @param {() => number} rng
 * @param {number} L
 * @param {number} maxSize metric
 */
export function randomDraft(type, at, rng, L, maxSize) {
  const lo = Math.log(1 / L);
  const size = () => Math.exp(lo + (Math.log(maxSize) - lo) * rng());
  return KIND_BY_NAME[type].draft(at, size, rng);
}

/**
 * One random change of one parameter, in the spirit of a hill climber's
 * moves: positions and sizes step by a normal amount proportional to the
 * shape's size (at least a pixel), angles by about 0.3 rad.
 * @param {object} shape metric shape
 * @param {() => number} rng
 * @param {number} L
 */
export function mutate(shape, rng, L) {
  return KIND_BY_NAME[shape.type].mutate(shape, rng, 1 / L);
}

/**
 * Greedy hill climbing of a draft on its screening score.
 * @param {ResidualMaps} maps
 * @param {{shape: object, score: number}} start
 * @param {(shape: object) => number} scoreOf the score to raise (gain less the draft's prior cost)
 * @param {() => number} rng
 * @param {number} moves
 * @returns {{shape: object, score: number}}
 */
export function climb(maps, start, scoreOf, rng, moves) {
  let best = start;
  for (let m = 0; m < moves; m++) {
    const shape = confine(mutate(best.shape, rng, maps.L), maps.width, maps.height);
    const score = scoreOf(shape);
    if (score > best.score) best = { shape, score };
  }
  return best;
}
