// The WebGPU backend: the engine API of the design notes with the whole Adam
// step on the GPU. The CPU encodes many steps per submit and reads back only
// the state, the parameters and one loss per chunk, a chunk or two behind the
// GPU, so it never waits on the GPU per step.

import { OPACITY_SLOT, STRIDE, isOpaque, packScene, repackForChannels, resolveSceneArgument, sceneFromRaw } from "../params.js";
import { defaultTaus, lrAt, resolveOptimizeOptions, resolveWeights, tauAt } from "../optimizer.js";
import { computePriors } from "../priors.js";
import { MAP_READ, USAGE, bindGroup, compilePrograms, openDevice } from "./device.js";
import { TILED_MIN_SHAPES, planLayout, planTiles } from "./layout.js";
import { adapterName, describeAdapter, isSoftwareAdapter, requestAdapter } from "./probe.js";

/** Binding numbers shared by all WGSL entry files. */
const B = Object.freeze({
  dims: 0,
  state: 1,
  raw: 2,
  types: 3,
  target: 4,
  tstats: 5,
  img: 6,
  coef: 7,
  partials: 10,
  partial2: 11,
  opt: 12,
  sched: 13,
  terms: 15,
  geo: 16,
  bins: 17,
  slots: 18,
});

const DIMS_WORDS = 28;
/** vec4s of geometry per shape (common.wgsl GEO). */
const GEO = 6;
const STATE_WORDS = 8;
const FROZEN_BIT = 0x100;
/** Chunks of steps in flight before the CPU waits for the oldest readback. */
const IN_FLIGHT = 2;
/** Steps per submit when nobody listens to progress. */
const QUIET_CHUNK = 25;

const STORAGE = USAGE.STORAGE | USAGE.COPY_DST | USAGE.COPY_SRC;
const INF_BITS = 0x7f800000;

/** Interleaved RGB (the API's layout) -> channel planes (the shaders'). */
function planar(data, channels) {
  if (channels === 1) return data;
  const n = data.length / channels;
  const out = new Float32Array(data.length);
  for (let p = 0; p < n; p++) for (let c = 0; c < channels; c++) out[c * n + p] = data[p * channels + c];
  return out;
}

/** Channel planes -> interleaved. */
function interleaved(data, channels) {
  if (channels === 1) return data;
  const n = data.length / channels;
  const out = new Float32Array(data.length);
  for (let p = 0; p < n; p++) for (let c = 0; c < channels; c++) out[p * channels + c] = data[c * n + p];
  return out;
}

function fallbackError(message, scene, step) {
  const error = new Error(`WebGPU failed during the run: ${message}`);
  error.fallback = true;
  error.scene = scene;
  error.step = step;
  return error;
}

/** The programs a run binds (bind groups made once per run size), on each path. */
const STEP_PROGRAMS = {
  untiled: ["forward", "imageLoss", "backward", "reduce", "adam", "restore"],
  tiled: ["boxes", "bin", "forwardTiled", "imageLoss", "backwardTiled", "reduceTiled", "adam", "restore"],
};

/**
 * @param {{gpu?: GPU, forceAdapter?: GPUAdapter, pixelsPerThread?: number, profile?: boolean,
 *   tiling?: "auto"|"on"|"off", tileSlots?: number}} [options]
 *   forceAdapter: use this adapter instead of requesting one (software adapters included);
 *   pixelsPerThread: backward rows per invocation (benchmarks), chosen by size when absent;
 *   profile: ask for timestamp queries, for profileSteps (benchmarks);
 *   tiling: "auto" (default) bins shapes to tiles from TILED_MIN_SHAPES shapes on, "on" always,
 *   "off" never (tests and benchmarks compare the two); either way when the tile lists fit;
 *   tileSlots: a lower cap on the tiled path's (shape, tile) gradient slots (tests: shapes past it spill)
 */
export async function createWebGPUBackend({ gpu = globalThis.navigator?.gpu, forceAdapter, pixelsPerThread, profile = false, tiling = "auto", tileSlots } = {}) {
  if (!["auto", "on", "off"].includes(tiling)) throw new Error(`WebGPU: tiling must be "auto", "on" or "off", not ${tiling}`);
  const adapter = forceAdapter ?? (gpu ? await requestAdapter(gpu) : null);
  if (!adapter) throw new Error("WebGPU: no adapter");
  if (!adapter.features.has("subgroups")) throw new Error("WebGPU: the adapter lacks the subgroups feature");
  const adapterInfo = describeAdapter(adapter);
  const software = isSoftwareAdapter(adapter);
  const gpuDevice = await openDevice(adapter, { timestamps: profile && adapter.features.has("timestamp-query") });
  const { device } = gpuDevice;
  let programs;
  try {
    // compiled now so that a WGSL error shows at creation; other variants on first use
    programs = await compilePrograms(device, { pixelsPerThread: pixelsPerThread ?? 1 });
  } catch (error) {
    gpuDevice.close();
    throw error;
  }
  const minSubgroup = adapterInfo.subgroupMinSize || 4;
  const maxBinding = device.limits.maxStorageBufferBindingSize;
  const programsByPix = new Map([[pixelsPerThread ?? 1, programs]]);
  const programsFor = async (pix) => {
    if (!programsByPix.has(pix)) programsByPix.set(pix, await compilePrograms(device, { pixelsPerThread: pix }));
    return programsByPix.get(pix);
  };

  let target = null;
  let base = null;
  let raw = new Float32Array(0);
  let types = new Uint8Array(0);
  /** the current scene's background: grey, or [r, g, b] on a colour target */
  let background = 1.0;
  let running = false;
  let disposed = false;
  /** GPU resources of the current target and shape count */
  let ctx = null;
  let evalQueue = Promise.resolve();
  /** the passes the last optimisation's steps and the last render/loss ran: "tiled" or "untiled" */
  const paths = { step: null, evaluation: null };

  const buffer = (size, usage, label) => device.createBuffer({ label, size: Math.max(16, Math.ceil(size / 16) * 16), usage });
  const taus = () => defaultTaus(target.width, target.height);

  /**
   * The Dims uniform (common.wgsl); `background` is what compositing starts
   * from (grey, or [r, g, b]). invN is 1 / (pixels * channels): every image
   * term is a mean over pixels and channels.
   */
  function dimsWords(layout, { nSteps = 0, weights, background: bg }) {
    const words = new ArrayBuffer(DIMS_WORDS * 4);
    const u = new Uint32Array(words);
    const f = new Float32Array(words);
    const L = Math.max(layout.width, layout.height);
    const nc = layout.channels ?? 1;
    const rgb = Array.isArray(bg) ? bg : [bg, bg, bg];
    u.set([layout.width, layout.height, layout.nShapes, layout.width * layout.height, layout.gx, layout.backGroups, layout.cols, layout.rowsPerChunk, layout.chunks, nSteps, nc, layout.shapeCols]);
    f.set([layout.width / L, layout.height / L, 1 / L, 1 / (layout.width * layout.height * nc)], 12);
    f.set([weights.mse, weights.edge, weights.ssim, weights.perimeter, weights.degeneracy, weights.canvas, ...rgb], 16);
    u.set([layout.tiled ? 1 : 0, layout.slotCap ?? 0, layout.translucent ? 1 : 0], 25);
    return words;
  }

  function destroyContext() {
    if (!ctx) return;
    for (const b of Object.values(ctx.buffers)) b.destroy();
    for (const b of ctx.extra) b.destroy();
    ctx = null;
  }

  /**
   * The work sizes of a step: the tiled path's (tiles.wgsl) where `tiling`
   * asks for it and its buffers fit, else the untiled one's. The tiled
   * layout has one chunk of reduced columns, shapeCols = its slot columns.
   * translucent: some shape has opacity < 1 (an opacity column; the tiled
   * passes read the opacities only then, through Dims.translucent).
   */
  function stepLayout(S, translucent) {
    const { width, height, channels } = target;
    const wanted = tiling === "on" || (tiling === "auto" && S >= TILED_MIN_SHAPES);
    const tiles = wanted && S + 1 <= device.limits.maxComputeWorkgroupsPerDimension ? planTiles(width, height, S, channels, maxBinding, translucent) : null;
    if (tiles) {
      if (tileSlots !== undefined) tiles.slotCap = Math.min(tiles.slotCap, tileSlots);
      return { width, height, nShapes: S, channels, translucent, ...tiles, shapeCols: tiles.slotCols, tiled: true, pix: 1, backGroups: 0, rowsPerChunk: 0, chunks: 1, bytes: 16 };
    }
    return { ...planLayout(width, height, S, minSubgroup, maxBinding, pixelsPerThread, channels, translucent), translucent };
  }

  /** (Re)allocates the buffers for the current target and shape count. */
  async function ensureContext() {
    if (!target) throw new Error("setTarget() must be called before rendering or optimising");
    const S = types.length;
    // a translucent shape needs the third partial-sum column (its opacity's gradient)
    let translucent = false;
    for (let i = 0; i < S && !translucent; i++) translucent = !isOpaque(raw[i * STRIDE + OPACITY_SLOT]);
    if (ctx && ctx.target === target && ctx.nShapes === S && ctx.translucent === translucent) return ctx;
    destroyContext();
    let layout;
    try {
      layout = stepLayout(S, translucent);
    } catch (error) {
      throw fallbackError(error.message, makeScene(raw), 0);
    }
    const progs = await programsFor(layout.pix);
    const C = target.channels;
    const N = target.width * target.height;
    const n = S * STRIDE;
    const largest = Math.max(N * C * 32, layout.bytes, layout.binsBytes ?? 0, layout.slotsBytes ?? 0);
    if (largest > Math.min(maxBinding, device.limits.maxBufferSize)) {
      // a run on Wasm can still handle it
      throw fallbackError(`a ${target.width}x${target.height} target needs ${largest}-byte buffers, over this adapter's limit`, makeScene(raw), 0);
    }
    const bufs = {
      [B.dims]: buffer(DIMS_WORDS * 4, USAGE.UNIFORM | USAGE.COPY_DST, "dims"),
      [B.state]: buffer(STATE_WORDS * 4, STORAGE, "state"),
      [B.raw]: buffer(n * 4, STORAGE, "raw"),
      [B.types]: buffer(S * 4, STORAGE, "types"),
      [B.target]: buffer(N * C * 4, STORAGE, "target"),
      [B.tstats]: buffer(N * C * 16, STORAGE, "tstats"),
      [B.img]: buffer(N * C * 4, STORAGE, "img"),
      [B.coef]: buffer(N * C * 32, STORAGE, "coef"),
      [B.partials]: buffer(layout.bytes, STORAGE, "partials"),
      [B.partial2]: buffer(layout.chunks * layout.cols * 16, STORAGE, "partial2"),
      [B.opt]: buffer(5 * n * 4, STORAGE, "opt"),
      [B.terms]: buffer((S + 1) * 16, STORAGE, "terms"),
      [B.geo]: buffer(S * GEO * 16, STORAGE, "geo"),
      [B.bins]: buffer(layout.binsBytes ?? 16, STORAGE, "bins"),
      [B.slots]: buffer(layout.slotsBytes ?? 16, STORAGE, "slots"),
    };
    ctx = { target, nShapes: S, translucent, layout, progs, buffers: bufs, extra: [], schedSteps: -1, groups: null };
    device.queue.writeBuffer(bufs[B.dims], 0, dimsWords(layout, { weights: resolveWeights(), background }));
    device.queue.writeBuffer(bufs[B.target], 0, planar(target.data, C));
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(progs.targetStats.pipeline);
    pass.setBindGroup(0, bindGroup(device, progs.targetStats, bufs, "targetStats"));
    pass.dispatchWorkgroups(layout.gx, layout.gy, C);
    pass.end();
    device.queue.submit([enc.finish()]);
    uploadScene();
    return ctx;
  }

  /** Writes the current raw parameters and type codes to the main buffers and decodes them. */
  function uploadScene(frozen = new Set()) {
    const b = ctx.buffers;
    device.queue.writeBuffer(b[B.raw], 0, raw);
    device.queue.writeBuffer(b[B.types], 0, Uint32Array.from(types, (t, i) => t | (frozen.has(i) ? FROZEN_BIT : 0)));
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(ctx.progs.decode.pipeline);
    pass.setBindGroup(0, bindGroup(device, ctx.progs.decode, b, "decode"));
    pass.dispatchWorkgroups(Math.max(1, Math.ceil(types.length / 64)));
    pass.end();
    device.queue.submit([enc.finish()]);
  }

  /** Sized for `steps`: the schedule, loss history and the bind groups that use them. */
  function prepareRun(steps) {
    if (ctx.schedSteps < steps) {
      for (const b of ctx.extra) b.destroy();
      const cap = Math.max(steps, 64);
      // per step: lr, tau, and the loss the step wrote
      ctx.sched = buffer((cap + 1) * 16, STORAGE, "sched");
      ctx.extra = [ctx.sched];
      ctx.schedSteps = cap;
      const all = { ...ctx.buffers, [B.sched]: ctx.sched };
      ctx.groups = {};
      for (const name of STEP_PROGRAMS[ctx.layout.tiled ? "tiled" : "untiled"]) {
        ctx.groups[name] = bindGroup(device, ctx.progs[name], all, name);
      }
    }
  }

  /** Uploads parameters, schedule and fresh Adam/best state for a run of `steps`. */
  function startRun({ steps, lr, tau0, tau1, weights, frozen, scheduleOffset, total }) {
    prepareRun(steps);
    const b = ctx.buffers;
    const n = types.length * STRIDE;
    uploadScene(frozen);
    device.queue.writeBuffer(b[B.dims], 0, dimsWords(ctx.layout, { nSteps: steps, weights, background }));
    const sched = new Float32Array(4 * (steps + 1));
    for (let k = 0; k <= steps; k++) {
      sched[4 * k] = k < steps ? lrAt(scheduleOffset + k, total, lr) : 0;
      sched[4 * k + 1] = tauAt(scheduleOffset + k, total, tau0, tau1);
    }
    device.queue.writeBuffer(ctx.sched, 0, sched);
    device.queue.writeBuffer(b[B.state], 0, new Uint32Array([0, 0, INF_BITS, 0, 0, 0, 0, 0]));
    const enc = device.createCommandEncoder();
    if (n > 0) {
      enc.clearBuffer(b[B.opt], 0, 2 * n * 4);
      enc.copyBufferToBuffer(b[B.raw], 0, b[B.opt], 2 * n * 4, n * 4);
    }
    device.queue.submit([enc.finish()]);
  }

  function dispatch(pass, name, x, y = 1, z = 1) {
    pass.setPipeline(ctx.progs[name].pipeline);
    pass.setBindGroup(0, ctx.groups[name]);
    pass.dispatchWorkgroups(x, y, z);
  }

  /** The dispatches of one step, in order: [program, workgroups x, y (, z)]; the image loss runs per channel along z. */
  function stepDispatches() {
    const l = ctx.layout;
    if (l.tiled) {
      return [
        ["boxes", 1],
        ["bin", l.gx, l.gy],
        ["forwardTiled", l.gx, l.gy],
        ["imageLoss", l.gx, l.gy, l.channels],
        ["backwardTiled", l.gx, l.gy],
        ["reduceTiled", l.nShapes + 1],
        ["adam", 1],
      ];
    }
    return [
      ["forward", l.gx, l.gy],
      ["imageLoss", l.gx, l.gy, l.channels],
      ["backward", l.gx, l.backY],
      ["reduce", Math.ceil(l.cols / 64), l.chunks],
      ["adam", 1, 1],
    ];
  }

  function encodeStep(pass) {
    for (const [name, x, y, z] of stepDispatches()) dispatch(pass, name, x, y, z);
  }

  /**
   * Benchmarks only: GPU time of each dispatch of a step (median over
   * `steps` steps of a run from the current scene, one compute pass per
   * dispatch with timestamps). Needs the adapter's "timestamp-query" feature
   * (asked for with the `profile` option).
   * @returns {Promise<Record<string, number>>} microseconds per dispatch name
   */
  async function profileSteps(steps = 50) {
    if (!device.features.has("timestamp-query")) throw new Error("profileSteps: the device has no timestamp-query feature");
    notBusy("profileSteps");
    await ensureContext();
    const d = taus();
    startRun({ steps, lr: 0.02, tau0: d.tau0, tau1: d.tau1, weights: resolveWeights(), frozen: new Set(), scheduleOffset: 0, total: steps });
    const names = stepDispatches().map((e) => e[0]);
    const count = 2 * names.length * steps;
    const querySet = device.createQuerySet({ type: "timestamp", count });
    const resolved = buffer(count * 8, USAGE.COPY_SRC | USAGE.QUERY_RESOLVE, "timestamps");
    const staging = buffer(count * 8, USAGE.MAP_READ | USAGE.COPY_DST, "timestampsRead");
    const enc = device.createCommandEncoder();
    let q = 0;
    for (let k = 0; k < steps; k++) {
      for (const [name, x, y, z] of stepDispatches()) {
        const pass = enc.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: q, endOfPassWriteIndex: q + 1 } });
        dispatch(pass, name, x, y, z);
        pass.end();
        q += 2;
      }
    }
    enc.resolveQuerySet(querySet, 0, count, resolved, 0);
    enc.copyBufferToBuffer(resolved, 0, staging, 0, count * 8);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(MAP_READ);
    const t = new BigUint64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    for (const x of [staging, resolved]) x.destroy();
    querySet.destroy();
    const out = {};
    names.forEach((name, i) => {
      const us = [];
      for (let k = 0; k < steps; k++) {
        const at = 2 * (k * names.length + i);
        us.push(Number(t[at + 1] - t[at]) / 1000);
      }
      us.sort((a, b) => a - b);
      out[name] = us[Math.floor(us.length / 2)];
    });
    uploadScene();
    return out;
  }

  /**
   * Copies state, the loss step `lossIndex` wrote, the loss terms and parameters (the
   * current ones, or with `evaluated` those the last step scored) into a fresh
   * staging buffer. Returns `start`, to call once the encoder is submitted: it
   * maps the buffer and resolves to the values read.
   */
  function encodeReadback(enc, lossIndex, evaluated) {
    const S = ctx.nShapes;
    const n = S * STRIDE;
    const termsAt = STATE_WORDS * 4 + 16;
    const rawAt = termsAt + (S + 1) * 16;
    const staging = buffer(rawAt + n * 4, USAGE.MAP_READ | USAGE.COPY_DST, "readback");
    enc.copyBufferToBuffer(ctx.buffers[B.state], 0, staging, 0, STATE_WORDS * 4);
    if (lossIndex >= 0) enc.copyBufferToBuffer(ctx.sched, lossIndex * 16 + 8, staging, STATE_WORDS * 4, 4);
    enc.copyBufferToBuffer(ctx.buffers[B.terms], 0, staging, termsAt, (S + 1) * 16);
    if (n > 0) {
      if (evaluated) enc.copyBufferToBuffer(ctx.buffers[B.opt], 4 * n * 4, staging, rawAt, n * 4);
      else enc.copyBufferToBuffer(ctx.buffers[B.raw], 0, staging, rawAt, n * 4);
    }
    return async () => {
      await staging.mapAsync(MAP_READ);
      const bytes = staging.getMappedRange().slice(0);
      staging.unmap();
      staging.destroy();
      const state = new Uint32Array(bytes, 0, STATE_WORDS);
      const terms = new Float32Array(bytes, termsAt, 4 * (S + 1));
      return {
        step: state[0],
        bestStep: state[3],
        skipped: state[4],
        loss: new Float32Array(bytes, STATE_WORDS * 4, 1)[0],
        terms,
        raw: new Float32Array(bytes, rawAt, n).slice(),
      };
    };
  }

  /** The loss breakdown of a step from the terms buffer (image sums, then priors per shape). */
  function breakdownOf(terms, total) {
    const N = target.width * target.height * target.channels;
    let perimeter = 0;
    let degeneracy = 0;
    let canvas = 0;
    for (let k = 1; k < terms.length / 4; k++) {
      perimeter += terms[4 * k];
      degeneracy += terms[4 * k + 1];
      canvas += terms[4 * k + 2];
    }
    return { mse: terms[0] / N, edge: terms[1] / N, ssim: 1 - terms[2] / N, perimeter, degeneracy, canvas, total };
  }

  /** Starts a readback; a run that stops early must not leave its rejection unhandled. */
  const launch = (start) => {
    const promise = start();
    promise.catch(() => {});
    return promise;
  };

  /** Runs `fn` after earlier render/loss calls (they share the evaluation buffers). */
  const queued = (fn) => {
    const task = evalQueue.then(fn);
    evalQueue = task.catch(() => {});
    return task;
  };

  /**
   * Forward (and the image loss terms if asked) of arbitrary parameters over
   * the background grey `bg` at `tau`, in buffers of its own so that a
   * running optimisation is untouched.
   */
  function evaluateRaw(r, t, bg, tau, wantLoss) {
    return queued(async () => {
      if (disposed) throw new Error("engine disposed");
      const c = await ensureContext();
      const S = t.length;
      const C = target.channels;
      const N = target.width * target.height;
      // Dims.translucent of this scene, not the step's: the tiled forward reads opacities under it
      let translucent = false;
      for (let i = 0; i < S && !translucent; i++) translucent = !isOpaque(r[i * STRIDE + OPACITY_SLOT]);
      const layout = { ...c.layout, nShapes: S, cols: c.layout.shapeCols * S + (c.layout.tiled ? 2 : 1), translucent };
      const own = [];
      const mk = (size, usage, label) => {
        const b = buffer(size, usage, label);
        own.push(b);
        return b;
      };
      const bufs = {
        ...c.buffers,
        [B.dims]: mk(DIMS_WORDS * 4, USAGE.UNIFORM | USAGE.COPY_DST, "evalDims"),
        [B.state]: mk(STATE_WORDS * 4, STORAGE, "evalState"),
        [B.sched]: mk(16, STORAGE, "evalSched"),
        [B.raw]: mk(S * STRIDE * 4, STORAGE, "evalRaw"),
        [B.types]: mk(S * 4, STORAGE, "evalTypes"),
        [B.geo]: mk(S * GEO * 16, STORAGE, "evalGeo"),
        [B.img]: mk(N * C * 4, STORAGE, "evalImg"),
        [B.coef]: mk(N * C * 32, STORAGE, "evalCoef"),
      };
      // the tile lists are rebuilt before every use, so a scene of the step's
      // shape count shares the step's buffer; others get their own or go untiled
      let tiled = c.layout.tiled;
      if (tiled && S !== c.nShapes) {
        const plan = planTiles(target.width, target.height, S, C, maxBinding);
        if (plan) bufs[B.bins] = mk(plan.binsBytes, STORAGE, "evalBins");
        else tiled = false;
      }
      paths.evaluation = tiled ? "tiled" : "untiled";
      try {
        device.queue.writeBuffer(bufs[B.dims], 0, dimsWords(layout, { weights: resolveWeights(), background: bg }));
        device.queue.writeBuffer(bufs[B.sched], 0, new Float32Array([0, tau, 0, 0]));
        device.queue.writeBuffer(bufs[B.raw], 0, Float32Array.from(r));
        device.queue.writeBuffer(bufs[B.types], 0, Uint32Array.from(t));
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        const run = (name, x, y = 1, z = 1) => {
          pass.setPipeline(c.progs[name].pipeline);
          pass.setBindGroup(0, bindGroup(device, c.progs[name], bufs, name));
          pass.dispatchWorkgroups(x, y, z);
        };
        run("decode", Math.max(1, Math.ceil(S / 64)));
        if (tiled) {
          run("boxes", 1);
          run("bin", c.layout.gx, c.layout.gy);
          run("forwardTiled", c.layout.gx, c.layout.gy);
        } else {
          run("forward", c.layout.gx, c.layout.gy);
        }
        if (wantLoss) run("imageLoss", c.layout.gx, c.layout.gy, C);
        pass.end();
        const src = wantLoss ? bufs[B.coef] : bufs[B.img];
        const size = wantLoss ? N * C * 32 : N * C * 4;
        const staging = mk(size, USAGE.MAP_READ | USAGE.COPY_DST, "evalReadback");
        enc.copyBufferToBuffer(src, 0, staging, 0, size);
        device.queue.submit([enc.finish()]);
        await staging.mapAsync(MAP_READ);
        // the staging buffer is rounded up to 16 bytes
        const out = new Float32Array(staging.getMappedRange().slice(0, size));
        staging.unmap();
        const failed = gpuDevice.failure();
        if (failed) throw fallbackError(failed, makeScene(raw), 0);
        // the image comes back planar; the API gives the channels of a pixel together
        return wantLoss ? out : interleaved(out, C);
      } finally {
        for (const b of own) b.destroy();
      }
    });
  }

  async function lossBreakdown(r, t, bg, tau, weights) {
    // coef per pixel: (., ., squared error, edge error, ., ., ., ssim)
    const coef = await evaluateRaw(r, t, bg, tau, true);
    const N = coef.length / 8;
    let mse = 0;
    let edge = 0;
    let ssim = 0;
    for (let p = 0; p < N; p++) {
      mse += coef[8 * p + 2];
      edge += coef[8 * p + 3];
      ssim += coef[8 * p + 7];
    }
    const image = { mse: mse / N, edge: edge / N, ssim: 1 - ssim / N };
    const priors = computePriors(r, t, weights, false).terms;
    const terms = { ...image, ...priors };
    let total = 0;
    for (const key of Object.keys(weights)) total += weights[key] * terms[key];
    return { ...terms, total };
  }

  function makeScene(r) {
    return sceneFromRaw(r, types, base, target);
  }

  const resolveScene = (scene) => resolveSceneArgument(scene, { raw, types, background }, target?.channels ?? null);

  const notBusy = (what) => {
    if (running) throw new Error(`${what}: an optimisation is running; abort it first`);
  };

  async function optimize(options = {}) {
    notBusy("optimize");
    if (disposed) throw new Error("engine disposed");
    if (!target) throw new Error("optimize: setTarget() must be called first");
    if (!base) throw new Error("optimize: setScene() must be called first");
    const defaults = taus();
    const { steps, lr, tau0, tau1, weights: w, frozen: frozenSet, signal, onProgress, progressEvery, scheduleOffset, scheduleTotal: total } =
      resolveOptimizeOptions(options, types.length, defaults);
    const runTypes = types;
    const runBackground = background;
    running = true;
    let lastGood = { raw: Float32Array.from(raw), step: 0 };
    try {
      await ensureContext();
      paths.step = ctx.layout.tiled ? "tiled" : "untiled";
      startRun({ steps, lr, tau0, tau1, weights: w, frozen: frozenSet, scheduleOffset, total });

      const chunk = onProgress ? progressEvery : QUIET_CHUNK;
      const started = performance.now();
      const pending = [];
      let done = 0;
      let aborted = false;
      const check = () => {
        const failed = gpuDevice.failure();
        if (failed) throw fallbackError(failed, makeScene(lastGood.raw), lastGood.step);
      };
      const settle = async (p) => {
        let r;
        try {
          r = await p.read;
        } catch (error) {
          throw fallbackError(gpuDevice.failure() ?? error.message, makeScene(lastGood.raw), lastGood.step);
        }
        check();
        if (!p.report) return r;
        // r.raw: the parameters step p.step - 1 scored, after p.step - 1 updates
        lastGood = { raw: r.raw, step: p.step - 1 };
        if (onProgress) {
          const elapsed = (performance.now() - started) / 1000;
          const at = r.raw;
          onProgress({
            step: p.step,
            steps,
            loss: r.loss,
            breakdown: breakdownOf(r.terms, r.loss),
            tau: tauAt(scheduleOffset + p.step - 1, total, tau0, tau1),
            lr: lrAt(scheduleOffset + p.step - 1, total, lr),
            stepsPerSecond: elapsed > 0 ? p.step / elapsed : 0,
            getScene: () => makeScene(at),
            getFrame: () => evaluateRaw(at, runTypes, runBackground, defaults.tauEval, false),
          });
        }
        return r;
      };

      while (done < steps) {
        if (signal?.aborted) {
          aborted = true;
          break;
        }
        const k = Math.min(chunk, steps - done);
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        for (let i = 0; i < k; i++) encodeStep(pass);
        pass.end();
        const start = encodeReadback(enc, done + k - 1, true);
        device.queue.submit([enc.finish()]);
        done += k;
        pending.push({ read: launch(start), step: done, report: true });
        while (pending.length > IN_FLIGHT) await settle(pending.shift());
        check();
      }
      while (pending.length > 0) await settle(pending.shift());
      if (signal?.aborted) aborted = true;

      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      // The last update has not been scored yet: one evaluation-only step at the schedule's next tau.
      if (!aborted && done > 0) encodeStep(pass);
      dispatch(pass, "restore", 1);
      pass.end();
      const start = encodeReadback(enc, -1, false);
      device.queue.submit([enc.finish()]);
      const final = await settle({ read: launch(start), step: done, report: false });
      raw = final.raw;
      uploadScene();
      const loss = await lossBreakdown(raw, types, runBackground, defaults.tauEval, w);
      return {
        scene: makeScene(raw),
        loss,
        steps: done,
        bestStep: final.bestStep,
        aborted,
        skipped: final.skipped,
      };
    } finally {
      running = false;
    }
  }

  return {
    backend: "webgpu",
    backendReason: `WebGPU on ${software ? "a software adapter, " : ""}${adapterName(adapterInfo)}`,
    adapterInfo,

    /**
     * @param {{data: Float32Array, width: number, height: number, channels?: 1 | 3}} t grey or RGB
     *   target (interleaved, as target.js gives it); when the channel count changes the current
     *   scene is packed again (params.js, repackForChannels)
     */
    setTarget(t) {
      notBusy("setTarget");
      const channels = t.channels ?? 1;
      ({ raw, types, background, base } = repackForChannels({ raw, types, background, base }, channels, makeScene));
      target = { ...t, channels };
    },

    setScene(scene) {
      notBusy("setScene");
      ({ raw, types, background, base } = packScene(scene, target?.channels ?? null));
    },

    getScene() {
      return makeScene(raw);
    },

    async render(scene, { tau } = {}) {
      if (!target) throw new Error("setTarget() must be called before rendering or optimising");
      const s = resolveScene(scene);
      return evaluateRaw(s.raw, s.types, s.background, tau ?? taus().tauEval, false);
    },

    async loss(scene, { tau, weights } = {}) {
      if (!target) throw new Error("setTarget() must be called before rendering or optimising");
      const s = resolveScene(scene);
      return lossBreakdown(s.raw, s.types, s.background, tau ?? taus().tauEval, resolveWeights(weights));
    },

    optimize,
    profileSteps,

    /**
     * Tests and benchmarks: which passes ran, "tiled" or "untiled" (null before any).
     * @returns {{step: string|null, evaluation: string|null}} the last optimisation's
     *   steps and the last render/loss/getFrame
     */
    paths() {
      return { ...paths };
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      destroyContext();
      gpuDevice.close();
    },
  };
}
