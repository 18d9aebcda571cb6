// The Wasm Evaluator of docs/engine.md: the kernel in-process (workers = 0,
// Node and tests) or a pool of module Workers, one row band each.

import { combineBands, haloRange, KernelBand } from "./kernel.js";
import { splitRows } from "./bands.js";
import { createPool } from "./pool.js";

/**
 * The kernel on the calling thread. `bandCount` > 1 splits the rows exactly as
 * the pool does, one Wasm instance per band, so the band arithmetic can be
 * checked without Workers.
 */
async function createInProcessEvaluator(bandCount) {
  const instances = [];
  let layout = null; // {width, height, channels, bands}
  let types = new Uint8Array(0);
  let background = 1.0;
  const need = () => {
    if (!layout) throw new Error("wasm evaluator: setTarget() has not been called");
    return layout;
  };
  return {
    name: bandCount === 1 ? "wasm" : `wasm-bands-${bandCount}`,
    /** @param {number} [channels=1] 1 grey or 3 RGB (data interleaved) */
    async setTarget(data, width, height, channels = 1) {
      const bands = splitRows(height, bandCount);
      while (instances.length < bands.length) {
        const band = await KernelBand.create();
        band.setBackground(background);
        instances.push(band);
      }
      bands.forEach(([y0, y1], b) => {
        const [r0, r1] = haloRange(height, y0, y1);
        instances[b].setTypes(types);
        const rows = Float32Array.from(data.slice(r0 * width * channels, r1 * width * channels));
        instances[b].setTarget(rows, width, height, y0, y1, channels);
      });
      layout = { width, height, channels, bands };
    },
    async setTypes(t) {
      types = Uint8Array.from(t);
      for (const band of instances) band.setTypes(types);
    },
    async setBackground(value) {
      background = value;
      for (const band of instances) band.setBackground(value);
    },
    async evaluate(raw, tau, weights, wantGrad) {
      const { width, height, channels, bands } = need();
      const parts = bands.map((_, b) => instances[b].evaluate(raw, tau, weights, wantGrad));
      return combineBands(parts, width, height, types.length, wantGrad, channels);
    },
    /** Bytes of Wasm linear memory its kernel instances hold (docs/engine.md, "Memory"). */
    memoryBytes() {
      return instances.reduce((sum, band) => sum + band.memory.byteLength, 0);
    },
    async render(raw, tau) {
      const { width, height, channels, bands } = need();
      const image = new Float32Array(width * height * channels);
      bands.forEach(([y0], b) => image.set(instances[b].render(raw, tau), y0 * width * channels));
      return image;
    },
    dispose() {
      layout = null;
      // the instances hold the band buffers: let them go with the evaluator
      instances.length = 0;
    },
  };
}

/**
 * @param {{workers?: number, bands?: number, spawnWorker?: (source: string) => any}} [options]
 *   workers: 0 runs the kernel on this thread (in `bands` row bands, 1 by
 *   default); n >= 1 splits the rows over n module Workers. spawnWorker
 *   makes a Worker-like object (postMessage, onmessage, onerror, terminate)
 *   from the bundled Worker source; the default starts a module Worker from
 *   a Blob URL.
 * @returns {Promise<object>} an Evaluator
 */
export async function createWasmEvaluator({ workers = 0, bands = 1, spawnWorker } = {}) {
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`wasm evaluator: workers must be a non-negative integer, got ${workers}`);
  if (!Number.isInteger(bands) || bands < 1) throw new Error(`wasm evaluator: bands must be a positive integer, got ${bands}`);
  if (workers === 0) return createInProcessEvaluator(bands);
  return createPool(workers, spawnWorker);
}
