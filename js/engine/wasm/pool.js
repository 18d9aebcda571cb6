// A pool of module Workers, each running the kernel on one band of rows.
// The target rows (with their halo) go to each Worker once per setTarget; a
// step posts only the raw parameters and gets back the band's loss sums and
// partial gradient, so messages stay small and no SharedArrayBuffer is needed.
// Each Worker reports its kernel time; when one band keeps taking longer
// (shapes crowd into its rows) the rows are re-split and the moved target
// rows are sent again.

import workerSource from "virtual:wasm-worker-source";
import { balanceRows, splitRows } from "./bands.js";
import { combineBands, haloRange } from "./kernel.js";

/** Gradient evaluations between checks of the band balance. */
const BALANCE_WINDOW = 16;
/** Re-split when the slowest band takes this much longer than the mean. */
const BALANCE_SLACK = 0.1;

/** Module Workers from one Blob URL; `release` revokes it once they all started. */
function moduleWorkerSpawner() {
  let url = null;
  return {
    spawn(source) {
      url ??= URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      return new Worker(url, { type: "module", name: "pelican-wasm" });
    },
    release() {
      if (url) URL.revokeObjectURL(url);
      url = null;
    },
  };
}

/** One Worker with request/response matching by id. */
class Channel {
  constructor(worker) {
    this.worker = worker;
    this.next = 1;
    this.pending = new Map();
    this.failure = null;
    worker.onmessage = (event) => {
      const { id, ok, result, error } = event.data;
      const call = this.pending.get(id);
      if (!call) return;
      this.pending.delete(id);
      if (ok) call.resolve(result);
      else call.reject(new Error(`wasm worker: ${error}`));
    };
    worker.onerror = (event) => {
      event?.preventDefault?.();
      this.fail(new Error(`wasm worker failed: ${event?.message ?? event}`));
    };
  }

  fail(error) {
    this.failure = error;
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }

  call(op, args, transfer = []) {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  terminate() {
    this.fail(new Error("wasm worker pool disposed"));
    this.worker.terminate();
  }
}

/**
 * Starts n Workers and waits until each has its kernel compiled, so that a
 * Worker that cannot start (blocked Blob URLs, no Wasm SIMD) fails here with
 * a clear error rather than at the first step.
 * @param {number} n Workers to start
 * @param {(source: string) => any} [spawn] makes one Worker from the bundled source
 * @returns {Promise<object>} an Evaluator of docs/engine.md
 */
export async function createPool(n, spawn) {
  const spawner = spawn ? { spawn, release() {} } : moduleWorkerSpawner();
  const channels = [];
  try {
    while (channels.length < n) channels.push(new Channel(spawner.spawn(workerSource)));
    await Promise.all(channels.map((channel) => channel.call("ping", {})));
  } catch (error) {
    for (const channel of channels) channel.terminate();
    throw new Error(`wasm evaluator: could not start ${n} Worker${n === 1 ? "" : "s"}: ${error.message}`);
  } finally {
    spawner.release();
  }
  let layout = null; // {width, height, channels, bands, data}
  let types = new Uint8Array(0);
  let spent = new Float64Array(n);
  let counted = 0;

  const active = () => {
    if (!layout) throw new Error("wasm evaluator: setTarget() has not been called");
    return layout.bands.map((band, b) => ({ band, channel: channels[b] }));
  };

  /** Gives each Worker whose band changed its new rows (with their halo). */
  const assign = async (bands, previous) => {
    const { data, width, height, channels: nc } = layout;
    await Promise.all(
      bands.map(([y0, y1], b) => {
        if (previous && previous[b][0] === y0 && previous[b][1] === y1) return null;
        const [r0, r1] = haloRange(height, y0, y1);
        const rows = Float32Array.from(data.subarray(r0 * width * nc, r1 * width * nc));
        return channels[b].call("setTarget", { rows, width, height, y0, y1, types, channels: nc }, [rows.buffer]);
      }),
    );
    layout.bands = bands;
    spent = new Float64Array(n);
    counted = 0;
  };

  const rebalance = async () => {
    const costs = spent.subarray(0, layout.bands.length);
    const mean = costs.reduce((a, b) => a + b, 0) / costs.length;
    if (!(mean > 0) || Math.max(...costs) <= mean * (1 + BALANCE_SLACK)) {
      spent = new Float64Array(n);
      counted = 0;
      return;
    }
    const next = balanceRows(layout.bands, costs);
    const moved = next.some(([y0], b) => Math.abs(y0 - layout.bands[b][0]) >= 2);
    if (moved) await assign(next, layout.bands);
    else {
      spent = new Float64Array(n);
      counted = 0;
    }
  };

  return {
    name: `wasm-workers-${n}`,
    /** the current row bands, [y0, y1) per Worker in use */
    get bands() {
      return layout ? layout.bands.map(([y0, y1]) => [y0, y1]) : [];
    },
    /** @param {number} [nc=1] colour channels, 1 grey or 3 RGB (data interleaved) */
    async setTarget(data, width, height, nc = 1) {
      layout = { width, height, channels: nc, bands: [], data: Float32Array.from(data) };
      try {
        await assign(splitRows(height, n), null);
      } catch (error) {
        layout = null;
        throw error;
      }
    },
    async setTypes(t) {
      types = Uint8Array.from(t);
      if (layout) await Promise.all(active().map(({ channel }) => channel.call("setTypes", { types })));
    },
    async setBackground(value) {
      // every Worker, in use or not: a re-split may give rows to any of them
      await Promise.all(channels.map((channel) => channel.call("setBackground", { value })));
    },
    async evaluate(raw, tau, weights, wantGrad) {
      const parts = await Promise.all(
        active().map(({ channel }) => {
          const r = Float64Array.from(raw);
          return channel.call("evaluate", { raw: r, tau, weights, wantGrad }, [r.buffer]);
        }),
      );
      const result = combineBands(parts, layout.width, layout.height, types.length, wantGrad, layout.channels);
      if (wantGrad && parts.length > 1) {
        parts.forEach((part, b) => (spent[b] += part.ms));
        if (++counted >= BALANCE_WINDOW) await rebalance();
      }
      return result;
    },
    async render(raw, tau) {
      const slices = await Promise.all(active().map(({ channel }) => channel.call("render", { raw: Float64Array.from(raw), tau })));
      const { width, height, channels: nc } = layout;
      const image = new Float32Array(width * height * nc);
      layout.bands.forEach(([y0], b) => image.set(slices[b], y0 * width * nc));
      return image;
    },
    dispose() {
      layout = null;
      for (const channel of channels) channel.terminate();
    },
  };
}
