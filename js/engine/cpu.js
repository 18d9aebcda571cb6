// The engine on a CPU Evaluator (scalar reference, in-process Wasm or the
// Worker pool): holds target and scene, serialises evaluator access, and runs
// the shared optimiser.

import { packScene, repackForChannels, resolveSceneArgument, sceneFromRaw } from "./params.js";
import { defaultTaus, evaluateLoss, resolveOptimizeOptions, resolveWeights, runAdam } from "./optimizer.js";

/** Backgrounds are grey numbers or [r, g, b] arrays. */
function sameBackground(a, b) {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, c) => v === b[c]);
  return a === b;
}

function sameTypes(a, b) {
  return a !== null && a.length === b.length && a.every((t, i) => t === b[i]);
}

/**
 * @param {object} evaluator an Evaluator of docs/engine.md
 * @param {{backend: string, backendReason: string}} info
 */
export function createCpuEngine(evaluator, info) {
  let target = null;
  /** what setScene received, with its raw parameters: the base for getScene */
  let base = null;
  let raw = new Float32Array(0);
  let types = new Uint8Array(0);
  /** the current scene's background: a grey number, or [r, g, b] on a colour target */
  let background = 1.0;
  let running = false;
  let disposed = false;

  // Evaluator calls are queued so that a render or loss asked for while an
  // optimisation runs cannot interleave with its steps.
  let queue = Promise.resolve();
  let evaluatorTarget = null;
  let evaluatorTypes = null;
  let evaluatorBackground = null;
  /** Runs fn(evaluator) in turn, once the evaluator has the target, `forTypes` and `forBackground`. */
  const withEvaluator = (forTypes, forBackground, fn) => {
    const task = queue.then(async () => {
      if (disposed) throw new Error("engine disposed");
      if (!target) throw new Error("setTarget() must be called before rendering or optimising");
      if (evaluatorTarget !== target) {
        await evaluator.setTarget(target.data, target.width, target.height, target.channels ?? 1);
        evaluatorTarget = target;
      }
      if (!sameTypes(evaluatorTypes, forTypes)) {
        await evaluator.setTypes(forTypes);
        evaluatorTypes = Uint8Array.from(forTypes);
      }
      if (!sameBackground(evaluatorBackground, forBackground)) {
        await evaluator.setBackground(forBackground);
        evaluatorBackground = forBackground;
      }
      return fn(evaluator);
    });
    queue = task.catch(() => {});
    return task;
  };

  const notBusy = (what) => {
    if (running) throw new Error(`${what}: an optimisation is running; abort it first`);
  };

  /** raw/types/background of an explicit scene argument, or the current ones */
  const resolveScene = (scene) => resolveSceneArgument(scene, { raw, types, background }, target?.channels ?? null);

  const taus = () => defaultTaus(target.width, target.height);

  const makeScene = (r) => sceneFromRaw(r, types, base, target);

  const engine = {
    backend: info.backend,
    backendReason: info.backendReason,

    /**
     * @param {{data: Float32Array, width: number, height: number, channels?: 1 | 3}} t
     *   grey or RGB target (see target.js); when the channel count changes the
     *   current scene is packed again (params.js, repackForChannels)
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
      const s = resolveScene(scene);
      return withEvaluator(s.types, s.background, (ev) => ev.render(s.raw, tau ?? taus().tauEval));
    },

    async loss(scene, { tau, weights } = {}) {
      const s = resolveScene(scene);
      const w = resolveWeights(weights);
      const { breakdown } = await withEvaluator(s.types, s.background, (ev) =>
        evaluateLoss(ev, s.raw, s.types, tau ?? taus().tauEval, w, false),
      );
      return breakdown;
    },

    /**
     * @param {object} [options] see the Engine API in docs/engine.md
     */
    async optimize(options = {}) {
      notBusy("optimize");
      if (!target) throw new Error("optimize: setTarget() must be called first");
      if (!base) throw new Error("optimize: setScene() must be called first");
      const defaults = taus();
      const { steps, lr, tau0, tau1, weights: w, frozen: frozenSet, signal, onProgress, progressEvery, scheduleOffset, scheduleTotal } =
        resolveOptimizeOptions(options, types.length, defaults);
      const shapeTypes = types;
      const runBackground = background;
      running = true;
      try {
        const evaluate = (r, tau, wantGrad) =>
          withEvaluator(shapeTypes, runBackground, (ev) => evaluateLoss(ev, r, shapeTypes, tau, w, wantGrad));
        const result = await runAdam({
          evaluate,
          raw,
          steps,
          lr,
          tau0,
          tau1,
          frozen: frozenSet,
          signal,
          progressEvery,
          scheduleOffset,
          scheduleTotal,
          onProgress:
            onProgress &&
            ((p) =>
              onProgress({
                step: p.step,
                steps: p.steps,
                loss: p.loss,
                breakdown: p.breakdown,
                tau: p.tau,
                lr: p.lr,
                stepsPerSecond: p.stepsPerSecond,
                getScene: () => makeScene(p.raw),
                getFrame: () => withEvaluator(shapeTypes, runBackground, (ev) => ev.render(p.raw, defaults.tauEval)),
              })),
        });
        raw = result.raw;
        const { breakdown } = await withEvaluator(shapeTypes, runBackground, (ev) =>
          evaluateLoss(ev, raw, shapeTypes, defaults.tauEval, w, false),
        );
        return {
          scene: makeScene(raw),
          loss: breakdown,
          steps: result.steps,
          bestStep: result.bestStep,
          aborted: result.aborted,
          skipped: result.skipped,
        };
      } finally {
        running = false;
      }
    },

    dispose() {
      disposed = true;
      evaluator.dispose();
    },
  };
  return engine;
}
