// Engine entry point: picks a backend and wraps it in the public Engine API of
// the design notes. Also re-exports the pieces the Node tests and the other
// engine modules (refine, WebGPU) build on.

import { createCpuEngine } from "./cpu.js";
import { createReferenceEvaluator } from "./reference.js";
import { refine } from "./refine.js";
import { toTarget } from "./target.js";
import { createWasmEvaluator } from "./wasm/evaluator.js";
import { createWebGPUBackend, probeWebGPU } from "./webgpu/index.js";

export { createReferenceEvaluator } from "./reference.js";
export { computePriors } from "./priors.js";
export { KINDS, KIND_NAMES } from "./shapes/index.js";
export { mulberry32 } from "./proposals.js";
export { toGreyTarget, toTarget } from "./target.js";
export { createWasmEvaluator } from "./wasm/evaluator.js";
export { createCpuEngine } from "./cpu.js";
export {
  CIRCLE,
  ELLIPSE,
  FILL_SLOT,
  OPACITY_SLOT,
  OPAQUE,
  STRIDE,
  TRIANGLE,
  TYPE_CODES,
  TYPE_NAMES,
  USED_SLOTS,
  asColourScene,
  decodeOpacity,
  encodeOpacity,
  fillSlots,
  isOpaque,
  packScene,
  rawToShapes,
  sceneBackground,
  sceneChannels,
  usedSlots,
  representable,
  sceneToRaw,
  validateScene,
} from "./params.js";
export {
  DEFAULT_WEIGHTS,
  defaultTaus,
  evaluateLoss,
  lrAt,
  resolveWeights,
  runAdam,
  tauAt,
} from "./optimizer.js";

/**
 * @typedef {object} OptimizeOptions
 * @property {number} [steps=500]
 * @property {number} [lr=0.02] Adam's learning rate, annealed (cosine) to lr/20
 * @property {number} [tauStart] default 1/L (L = the target's longer side)
 * @property {number} [tauEnd] default 0.2/L
 * @property {Partial<Record<"mse"|"edge"|"ssim"|"perimeter"|"degeneracy"|"canvas", number>>} [weights]
 * @property {number[]} [frozen=[]] indices of shapes that must not move
 * @property {AbortSignal} [signal] stops before the next step; the best scene is kept
 * @property {(p: {step: number, steps: number, loss: number, breakdown: Record<string, number>, tau: number, lr: number, stepsPerSecond: number, getScene: () => object, getFrame: () => Promise<Float32Array>}) => void} [onProgress]
 * @property {number} [progressEvery=10]
 */

/**
 * @typedef {object} Engine
 * @property {string} backend "webgpu" | "wasm" | "reference"
 * @property {string} backendReason why this backend runs, for people
 * @property {(target: {data: ArrayLike<number>, width: number, height: number, channels?: 1 | 3 | "auto"}) => void | Promise<void>} setTarget
 *   grey or RGB target (target.js toTarget); render() then returns width*height*channels values, RGB interleaved
 * @property {(scene: object) => void | Promise<void>} setScene
 * @property {() => object} getScene
 * @property {(options?: OptimizeOptions) => Promise<{scene: object, loss: Record<string, number>, steps: number, bestStep: number, aborted: boolean, skipped: number}>} optimize
 * @property {(scene?: object, options?: {tau?: number}) => Promise<Float32Array>} render
 * @property {(scene?: object, options?: {tau?: number, weights?: object}) => Promise<Record<string, number>>} loss
 * @property {() => {data: Float32Array, width: number, height: number, channels: 1 | 3} | null} getTarget
 * @property {(options?: object) => Promise<object>} refine greedy shape search (refine.js)
 * @property {() => void} dispose
 */

/** Workers for the Wasm pool when the caller does not say: leave a core to the page. */
function defaultWorkers() {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 2;
  return Math.max(1, Math.min(4, cores - 1));
}

async function createWasmEngine(workers, why) {
  const inProcess = workers === 0 || typeof Worker === "undefined";
  const count = inProcess ? 0 : (workers ?? defaultWorkers());
  if (count > 0) {
    try {
      const evaluator = await createWasmEvaluator({ workers: count });
      const where = `in ${count} Worker${count === 1 ? "" : "s"}`;
      return createCpuEngine(evaluator, { backend: "wasm", backendReason: `Wasm SIMD kernel ${where} (${why})` });
    } catch (error) {
      // e.g. a page whose content security policy forbids blob: Workers
      const evaluator = await createWasmEvaluator({ workers: 0 });
      const reason = `Wasm SIMD kernel on this thread: Workers failed to start (${error.message}) (${why})`;
      return createCpuEngine(evaluator, { backend: "wasm", backendReason: reason });
    }
  }
  const evaluator = await createWasmEvaluator({ workers: 0 });
  return createCpuEngine(evaluator, { backend: "wasm", backendReason: `Wasm SIMD kernel on this thread (${why})` });
}

function createReferenceEngine() {
  return createCpuEngine(createReferenceEvaluator(), {
    backend: "reference",
    backendReason: "scalar JS reference (asked for)",
  });
}

/**
 * Wraps a backend: converts targets, and moves a run that the WebGPU backend
 * gives up on (error with `.fallback`) to the Wasm engine, from the scene it
 * reached. Exported for the tests.
 * @param {object} first the backend to start on
 * @param {((why: string) => Promise<object>) | null} makeFallback makes the engine to fall back to
 * @returns {Engine}
 */
export function wrapBackend(first, makeFallback) {
  let current = first;
  let target = null;

  const fallBack = async (error) => {
    const next = await makeFallback(`WebGPU failed during the run (${error.message})`);
    if (target) next.setTarget(target);
    next.setScene(error.scene ?? current.getScene());
    try {
      current.dispose();
    } catch {
      // the failed device may refuse to clean up; it is dropped either way
    }
    current = next;
    makeFallback = null;
  };
  const guarded = async (fn) => {
    try {
      return await fn();
    } catch (error) {
      if (!error?.fallback || !makeFallback) throw error;
      await fallBack(error);
      return fn();
    }
  };

  /** @type {Engine} */
  const engine = {
    get backend() {
      return current.backend;
    },
    get backendReason() {
      return current.backendReason;
    },
    setTarget(t) {
      target = toTarget(t);
      try {
        return current.setTarget(target);
      } catch (error) {
        if (!error?.fallback || !makeFallback) throw error;
        // a target the backend cannot hold (a fallback error): Wasm for good, same scene
        return (async () => {
          const next = await makeFallback(error.message);
          next.setTarget(target);
          try {
            next.setScene(current.getScene());
          } catch {
            // no scene yet, or one the new target cannot hold: the caller sets one
          }
          current.dispose();
          current = next;
          makeFallback = null;
        })();
      }
    },
    /** @returns {{data: Float32Array, width: number, height: number, channels: 1 | 3} | null} the target as converted by toTarget (do not mutate) */
    getTarget() {
      return target;
    },
    setScene(scene) {
      return current.setScene(scene);
    },
    getScene() {
      return current.getScene();
    },
    render(scene, options) {
      return guarded(() => current.render(scene, options));
    },
    loss(scene, options) {
      return guarded(() => current.loss(scene, options));
    },
    async optimize(options = {}) {
      try {
        return await current.optimize(options);
      } catch (error) {
        if (!error?.fallback || !makeFallback) throw error;
        await fallBack(error);
        const total = options.steps ?? 500;
        const done = Math.min(error.step ?? 0, total);
        const { onProgress } = options;
        const rest = await current.optimize({
          ...options,
          steps: total - done,
          scheduleOffset: done,
          scheduleTotal: total,
          onProgress: onProgress && ((p) => onProgress({ ...p, step: done + p.step, steps: total })),
        });
        return { ...rest, steps: done + rest.steps, bestStep: done + rest.bestStep };
      }
    },
    refine(options) {
      return refine(engine, options);
    },
    dispose() {
      current.dispose();
    },
  };
  return engine;
}

/** How long "auto" waits for a WebGPU adapter before it runs on Wasm instead. */
const ADAPTER_WAIT_MS = 10_000;

/**
 * The WebGPU probe, or a failed probe when the adapter request does not answer
 * in time: some drivers never settle `requestAdapter`, and "auto" must still run.
 */
function probeWithin(gpu, ms) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, reason: `the adapter request did not answer within ${Math.round(ms / 100) / 10} s` }),
      ms,
    );
  });
  return Promise.race([probeWebGPU(gpu), late]).finally(() => clearTimeout(timer));
}

/**
 * @param {{backend?: "auto"|"wasm"|"webgpu"|"reference", workers?: number, gpu?: any, adapterWaitMs?: number}} [options]
 *   workers: Wasm Workers (0 = in-process); gpu: the `navigator.gpu` to use;
 *   adapterWaitMs: how long "auto" waits for a WebGPU adapter before it picks Wasm
 * @returns {Promise<Engine>}
 */
export async function createEngine({ backend = "auto", workers, gpu, adapterWaitMs = ADAPTER_WAIT_MS } = {}) {
  const wasm = (why) => createWasmEngine(workers, why);
  switch (backend) {
    case "reference":
      return wrapBackend(createReferenceEngine(), null);
    case "wasm":
      return wrapBackend(await wasm("asked for"), null);
    case "webgpu": {
      const probe = await probeWebGPU(gpu);
      if (!probe.ok) throw new Error(`WebGPU backend unavailable: ${probe.reason}`);
      return wrapBackend(await createWebGPUBackend({ gpu }), wasm);
    }
    case "auto": {
      const probe = await probeWithin(gpu, adapterWaitMs);
      if (probe.ok && !probe.isFallbackAdapter) return wrapBackend(await createWebGPUBackend({ gpu }), wasm);
      const why = probe.ok
        ? "the WebGPU adapter is a software fallback, about 20x slower than Wasm"
        : `WebGPU unavailable (${probe.reason})`;
      return wrapBackend(await wasm(why), null);
    }
    default:
      throw new Error(`createEngine: unknown backend ${JSON.stringify(backend)} (use "auto", "wasm", "webgpu" or "reference")`);
  }
}
