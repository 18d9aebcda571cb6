// Adam over the raw parameters with the schedules of the design notes: cosine
// LR from lr to lr/20, geometric tau annealing, global gradient-norm clipping,
// skipped non-finite steps, frozen shapes and best-state tracking. Shared by
// every CPU backend; the WebGPU backend reuses the schedule functions and
// the option checks (resolveOptimizeOptions).

import { computePriors } from "./priors.js";
import { STRIDE } from "./params.js";

/** Loss weights of the design notes. */
export const DEFAULT_WEIGHTS = Object.freeze({
  mse: 1,
  edge: 0.1,
  ssim: 0.05,
  perimeter: 0.001,
  degeneracy: 0.1,
  canvas: 1,
});

const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPS = 1e-8;
const CLIP_NORM = 1.0;
/** How long an in-process loop may run before it lets the event loop in (abort, UI). */
const YIELD_MS = 8;

/**
 * @param {Partial<typeof DEFAULT_WEIGHTS>} [weights]
 * @returns {typeof DEFAULT_WEIGHTS}
 */
export function resolveWeights(weights) {
  const merged = { ...DEFAULT_WEIGHTS, ...(weights ?? {}) };
  for (const [key, value] of Object.entries(merged)) {
    if (!(key in DEFAULT_WEIGHTS)) throw new Error(`unknown loss weight "${key}"`);
    if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`loss weight "${key}" must be a finite number`);
  }
  return merged;
}

function positive(value, name) {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${value}`);
  return value;
}

function checkFrozen(frozen, count) {
  if (!Array.isArray(frozen) && !(frozen instanceof Set)) throw new Error("optimize: frozen must be an array of shape indices");
  const set = new Set(frozen);
  for (const i of set) {
    if (!Number.isInteger(i) || i < 0 || i >= count) throw new Error(`optimize: frozen index ${i} is not a shape index (0..${count - 1})`);
  }
  return set;
}

/**
 * Checks the options of Engine.optimize and fills in the defaults, the same
 * way for every backend (docs/engine.md).
 * @param {object} options see OptimizeOptions in index.js
 * @param {number} shapeCount shapes in the current scene (bounds the frozen indices)
 * @param {{tau0: number, tau1: number}} taus the target's default taus (defaultTaus)
 * @returns {{steps: number, lr: number, tau0: number, tau1: number, weights: typeof DEFAULT_WEIGHTS,
 *   frozen: Set<number>, signal?: AbortSignal, onProgress?: Function, progressEvery: number,
 *   scheduleOffset: number, scheduleTotal: number}}
 */
export function resolveOptimizeOptions(options, shapeCount, taus) {
  const {
    steps = 500,
    lr = 0.02,
    tauStart,
    tauEnd,
    weights,
    frozen = [],
    signal,
    onProgress,
    progressEvery = 10,
    scheduleOffset = 0,
    scheduleTotal,
  } = options;
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`optimize: steps must be a non-negative integer, got ${steps}`);
  if (!Number.isInteger(progressEvery) || progressEvery < 1) throw new Error("optimize: progressEvery must be a positive integer");
  return {
    steps,
    weights: resolveWeights(weights),
    frozen: checkFrozen(frozen, shapeCount),
    lr: positive(lr, "optimize: lr"),
    tau0: positive(tauStart ?? taus.tau0, "optimize: tauStart"),
    tau1: positive(tauEnd ?? taus.tau1, "optimize: tauEnd"),
    signal,
    onProgress,
    progressEvery,
    scheduleOffset,
    scheduleTotal: scheduleTotal ?? steps,
  };
}

/** Default taus for a width x height target, in units of the longer side. */
export function defaultTaus(width, height) {
  const L = Math.max(width, height);
  return { tau0: 1 / L, tau1: 0.5 / L, tauEval: 0.5 / L };
}

/** tau0 * (tau1/tau0)^(k/N) */
export function tauAt(k, total, tau0, tau1) {
  return total > 0 ? tau0 * (tau1 / tau0) ** (k / total) : tau0;
}

/** Cosine annealing from lr (k = 0) to lr/20 (k = total). */
export function lrAt(k, total, lr) {
  const min = lr / 20;
  return total > 0 ? min + ((lr - min) * (1 + Math.cos((Math.PI * k) / total))) / 2 : lr;
}

/** Resolves after pending macrotasks (timers, messages, abort events) had a turn. */
export function yieldToEventLoop() {
  if (typeof setImmediate === "function") return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * The full loss (image terms from the evaluator + priors) and its gradient.
 * @returns {Promise<{breakdown: Record<string, number>, grad?: Float64Array}>}
 */
export async function evaluateLoss(evaluator, raw, types, tau, weights, wantGrad) {
  const image = await evaluator.evaluate(raw, tau, weights, wantGrad);
  const priors = computePriors(raw, types, weights, wantGrad);
  const t = { ...image.terms, ...priors.terms };
  const total =
    weights.mse * t.mse +
    weights.edge * t.edge +
    weights.ssim * t.ssim +
    weights.perimeter * t.perimeter +
    weights.degeneracy * t.degeneracy +
    weights.canvas * t.canvas;
  const breakdown = {
    mse: t.mse,
    edge: t.edge,
    ssim: t.ssim,
    perimeter: t.perimeter,
    degeneracy: t.degeneracy,
    canvas: t.canvas,
    total,
  };
  if (!wantGrad) return { breakdown };
  const grad = Float64Array.from(priors.grad);
  for (let k = 0; k < grad.length; k++) grad[k] += image.grad[k];
  return { breakdown, grad };
}

/**
 * Runs Adam from `raw` (left untouched) and returns the lowest-loss parameters seen.
 *
 * @param {object} o
 * @param {(raw: Float32Array, tau: number, wantGrad: boolean) => Promise<{breakdown: Record<string, number>, grad?: ArrayLike<number>}>} o.evaluate
 * @param {Float32Array} o.raw start parameters
 * @param {number} o.steps Adam steps to run
 * @param {number} o.lr
 * @param {number} o.tau0
 * @param {number} o.tau1
 * @param {Set<number>} o.frozen shape indices that must not move
 * @param {AbortSignal} [o.signal]
 * @param {(info: object) => void} [o.onProgress] gets {step, steps, loss, breakdown, tau, lr, stepsPerSecond, raw}
 * @param {number} o.progressEvery
 * @param {number} [o.scheduleOffset] steps of the schedule already done elsewhere (0)
 * @param {number} [o.scheduleTotal] length of the whole schedule (steps)
 * @returns {Promise<{raw: Float32Array, bestLoss: number, bestStep: number, steps: number, skipped: number, aborted: boolean}>}
 */
export async function runAdam(o) {
  const { evaluate, steps, lr, tau0, tau1, frozen, signal, onProgress, progressEvery } = o;
  const offset = o.scheduleOffset ?? 0;
  const total = o.scheduleTotal ?? steps;
  const params = Float32Array.from(o.raw);
  const n = params.length;
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const movable = new Uint8Array(n).fill(1);
  for (const i of frozen) movable.fill(0, i * STRIDE, (i + 1) * STRIDE);

  let best = { loss: Infinity, raw: Float32Array.from(params), step: 0 };
  const consider = (loss, step) => {
    if (Number.isFinite(loss) && loss < best.loss) best = { loss, raw: Float32Array.from(params), step };
  };

  let adamSteps = 0;
  let skipped = 0;
  let done = 0;
  let aborted = false;
  const started = performance.now();
  let lastYield = started;

  for (let k = 0; k < steps; k++) {
    if (signal?.aborted) {
      aborted = true;
      break;
    }
    const tau = tauAt(offset + k, total, tau0, tau1);
    const lrK = lrAt(offset + k, total, lr);
    const { breakdown, grad } = await evaluate(params, tau, true);
    const loss = breakdown.total;
    consider(loss, k);
    const report = onProgress && ((k + 1) % progressEvery === 0 || k + 1 === steps);
    const evaluated = report ? Float32Array.from(params) : null;

    let sq = 0;
    for (let q = 0; q < n; q++) if (movable[q]) sq += grad[q] * grad[q];
    const norm = Math.sqrt(sq);
    if (!Number.isFinite(loss) || !Number.isFinite(norm)) {
      skipped++;
    } else {
      adamSteps++;
      const clip = Math.min(1, CLIP_NORM / (norm + 1e-6));
      const c1 = 1 - BETA1 ** adamSteps;
      const c2 = 1 - BETA2 ** adamSteps;
      for (let q = 0; q < n; q++) {
        if (!movable[q]) continue;
        const g = grad[q] * clip;
        m[q] = BETA1 * m[q] + (1 - BETA1) * g;
        v[q] = BETA2 * v[q] + (1 - BETA2) * g * g;
        params[q] -= (lrK * (m[q] / c1)) / (Math.sqrt(v[q] / c2) + ADAM_EPS);
      }
    }
    done = k + 1;

    if (report) {
      const elapsed = (performance.now() - started) / 1000;
      onProgress({
        step: done,
        steps,
        loss,
        breakdown,
        tau,
        lr: lrK,
        stepsPerSecond: elapsed > 0 ? done / elapsed : 0,
        raw: evaluated,
      });
    }
    if (performance.now() - lastYield > YIELD_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  if (signal?.aborted) aborted = true;

  // The last update has not been evaluated yet: score it at the schedule's next tau.
  if (!aborted && done > 0) {
    const { breakdown } = await evaluate(params, tauAt(offset + done, total, tau0, tau1), false);
    consider(breakdown.total, done);
  }
  return { raw: best.raw, bestLoss: best.loss, bestStep: best.step, steps: done, skipped, aborted };
}
