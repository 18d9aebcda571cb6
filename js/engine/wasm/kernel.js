// One Wasm kernel instance working on one band of rows: turns raw parameters
// into the kernel's shape records, runs it, and maps its gradient (natural
// parameters, metric units) back to the raw parameters. Used in-process and
// inside each pool Worker, so both run the same code.

import kernelBytes from "../../build/kernel.wasm";
import { FILL_SLOT, OPACITY_SLOT, STRIDE } from "../params.js";
import { prepareShapes } from "../reference.js";
import { KINDS } from "../shapes/index.js";

/** Rows of image a band renders beyond its own on each side (kernel.c HALO). */
export const HALO = 6;
/** Floats per shape record (shapes.h REC), the record's fill and opacity slots. */
const REC = 20;
const REC_FILL = 16;
const REC_OPACITY = 19;
/** Doubles per shape in the kernel's gradient output (shapes.h GRAD: raw slots 0..10). */
const GRAD = 11;

let compiled = null;

/** Compiles the inlined kernel once per realm (page, Worker or Node process). */
export function compileKernel() {
  compiled ??= WebAssembly.compile(kernelBytes);
  return compiled;
}

/** Rows [r0, r1) of the image a band [y0, y1) needs: its own rows plus the halo. */
export function haloRange(height, y0, y1) {
  return [Math.max(0, y0 - HALO), Math.min(height, y1 + HALO)];
}

/** One shape's record: the kind's own slots (shapes.h, its section), the fill channels, the opacity. */
function writeRecord(rec, type, p, channels) {
  rec.fill(0);
  KINDS[type].wasmRecord(rec, p);
  for (let c = 0; c < channels; c++) rec[REC_FILL + c] = p[FILL_SLOT + c];
  rec[REC_OPACITY] = p[OPACITY_SLOT];
}

export class KernelBand {
  /** @param {WebAssembly.Instance} instance */
  constructor(instance) {
    this.k = instance.exports;
    this.width = 0;
    this.height = 0;
    this.y0 = 0;
    this.y1 = 0;
    this.types = new Uint8Array(0);
    this.recs = 0;
    this.channels = 1;
  }

  static async create() {
    return new KernelBand(await WebAssembly.instantiate(await compileKernel(), {}));
  }

  get memory() {
    return this.k.memory.buffer;
  }

  /**
   * @param {ArrayLike<number>} rows target rows haloRange(height, y0, y1), width*channels floats
   *   each (the channels of a pixel together)
   * @param {number} [channels=1] 1 grey or 3 RGB
   */
  setTarget(rows, width, height, y0, y1, channels = 1) {
    const [r0, r1] = haloRange(height, y0, y1);
    const count = (r1 - r0) * width * channels;
    if (rows.length !== count) throw new Error(`kernel band: expected ${count} target values, got ${rows.length}`);
    const staging = this.k.band_setup(width, height, y0, y1, channels);
    if (!staging) throw new Error(`kernel band: out of memory for a ${width}x${height}x${channels} target`);
    new Float32Array(this.memory, staging, rows.length).set(rows);
    this.k.band_set_target();
    Object.assign(this, { width, height, y0, y1, channels });
    this.reserve(this.types);
  }

  /** @param {number | number[]} value what compositing starts from: grey, or one value per channel (kernel default 1.0) */
  setBackground(value) {
    const values = Array.isArray(value) ? value : [value, value, value];
    values.forEach((v, c) => this.k.set_background(c, v));
  }

  /** @param {ArrayLike<number>} types */
  setTypes(types) {
    this.types = Uint8Array.from(types);
    if (this.width) this.reserve(this.types);
  }

  reserve(types) {
    this.recs = this.k.shapes_reserve(types.length);
    if (!this.recs) throw new Error(`kernel band: out of memory for ${types.length} shapes`);
    new Int32Array(this.memory, this.k.shape_types(), types.length).set(types);
  }

  writeShapes(raw) {
    if (!this.width) throw new Error("kernel band: setTarget() has not been called");
    const n = this.types.length;
    if (raw.length < n * STRIDE) throw new Error(`kernel band: ${n} shapes need ${n * STRIDE} raw values, got ${raw.length}`);
    const { shapes } = prepareShapes(raw, this.types, this.width, this.height, this.channels);
    const recs = new Float32Array(this.memory, this.recs, n * REC);
    for (let i = 0; i < n; i++) writeRecord(recs.subarray(i * REC, (i + 1) * REC), shapes[i].type, shapes[i].p, this.channels);
    return shapes;
  }

  /**
   * Partial results of this band: sums over its pixels and, with wantGrad,
   * its share of d(weighted image loss)/d(raw).
   * @returns {{sums: Float64Array, grad: Float64Array | null}} sums: [sum (x-y)^2, sum edge^2, sum SSIM]
   */
  evaluate(raw, tau, weights, wantGrad) {
    const shapes = this.writeShapes(raw);
    const n = shapes.length;
    const ptr = this.k.evaluate(tau, weights.mse, weights.edge, weights.ssim, wantGrad ? 1 : 0);
    if (!ptr) throw new Error(`kernel band: out of memory for ${n} shapes on ${this.width}x${this.height}`);
    const out = new Float64Array(this.memory, ptr, 3 + n * GRAD);
    const sums = out.slice(0, 3);
    if (!wantGrad) return { sums, grad: null };
    const grad = new Float64Array(n * STRIDE);
    for (let i = 0; i < n; i++) {
      const jac = shapes[i].j;
      for (let q = 0; q < GRAD; q++) grad[i * STRIDE + q] = out[3 + i * GRAD + q] * jac[q];
    }
    return { sums, grad };
  }

  /** @returns {Float32Array} rows [y0, y1) of the render, width*channels floats each */
  render(raw, tau) {
    this.writeShapes(raw);
    const ptr = this.k.band_render(tau);
    if (!ptr) throw new Error(`kernel band: out of memory for ${this.types.length} shapes on ${this.width}x${this.height}`);
    return new Float32Array(this.memory, ptr, (this.y1 - this.y0) * this.width * this.channels).slice();
  }
}

/**
 * Sums band results (float64) into the Evaluator answer of docs/engine.md.
 * @param {number} [channels=1]
 * @param {{sums: ArrayLike<number>, grad: ArrayLike<number> | null}[]} parts
 */
export function combineBands(parts, width, height, count, wantGrad, channels = 1) {
  // colour: every term is a mean over pixels and channels (DESIGN.md)
  const n = width * height * channels;
  let mse = 0;
  let edge = 0;
  let ssim = 0;
  for (const p of parts) {
    mse += p.sums[0];
    edge += p.sums[1];
    ssim += p.sums[2];
  }
  const terms = { mse: mse / n, edge: edge / n, ssim: 1 - ssim / n };
  if (!wantGrad) return { terms };
  const grad = new Float64Array(count * STRIDE);
  for (const p of parts) for (let q = 0; q < grad.length; q++) grad[q] += p.grad[q];
  return { terms, grad };
}
