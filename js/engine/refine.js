// Greedy shape search: grows a scene one shape at a time and keeps a shape
// only when it lowers the evaluation loss (DESIGN.md, "Greedy search").
//
// It drives any engine through its public API (setScene, getScene, optimize,
// render, loss), so every backend gets it for free. The accepted scene is held
// here as a wire-format copy: a rejected candidate is undone by setting that
// copy back, which leaves the scene exactly as it was before the round.

import { SHAPE_TYPES, mulberry32, proposeFromError, proposeRandom } from "./proposals.js";

/**
 * @typedef {object} RoundRecord
 * @property {number} round       1-based round number
 * @property {string} type        the candidate's shape type
 * @property {number} lossBefore  evaluation loss of the accepted scene before the round
 * @property {number} lossAfter   evaluation loss with the candidate, after settle + re-optimise
 * @property {boolean} accepted
 * @property {number} shapes      shape count after the round
 */

/**
 * @typedef {object} RefineOptions
 * @property {number} [maxShapes=35]      shape budget
 * @property {number} [initialSteps=500]  steps on the start scene before the first round
 * @property {number} [settleSteps]       steps on the candidate alone, the others frozen
 * @property {number} [reoptimizeSteps]   steps on all shapes together
 * @property {number} [polishSteps]       steps on all shapes after the last round (kept if they help)
 * @property {number} [maxRejects=5]      stop after this many rejections in a row
 * @property {number} [seed=0]
 * @property {"error" | "random"} [proposal="error"]
 * @property {number} [lr]                Adam learning rate (the engine's default if omitted)
 * @property {number} [tauStart]          passed to optimize
 * @property {number} [tauEnd]            passed to optimize
 * @property {object} [weights]           loss weights, for optimize and the accept test
 * @property {number} [progressEvery]     passed to optimize
 * @property {(r: RoundRecord & {scene: object}) => void} [onRound]  after each round, with the accepted scene
 * @property {(p: object) => void} [onProgress]  the engine's progress events, plus `phase`
 *   ("initial" | "settle" | "reoptimize" | "polish"), `round` and `totalStep` (steps over the whole search)
 * @property {AbortSignal} [signal]       stops promptly; the best accepted scene is kept
 */

/**
 * @typedef {object} RefineResult
 * @property {object} scene        the best accepted scene (also set on the engine)
 * @property {number} loss         its evaluation loss
 * @property {RoundRecord[]} rounds
 * @property {number} steps       optimiser steps run in all
 * @property {number} accepted
 * @property {number} rejected
 * @property {"budget" | "rejects" | "aborted"} stopped
 */

/** Defaults tuned on the pelican benchmark (benchmarks/refine.py). */
export const REFINE_DEFAULTS = Object.freeze({
  maxShapes: 35,
  initialSteps: 500,
  settleSteps: 50,
  reoptimizeSteps: 150,
  polishSteps: 0,
  maxRejects: 5,
  seed: 0,
  proposal: "error",
});

const copyScene = (scene) => structuredClone(scene);

async function totalLoss(engine, scene, tau, weights) {
  const value = await engine.loss(scene, { tau, ...(weights ? { weights } : {}) });
  return typeof value === "number" ? value : value.total;
}

const OPTIMIZE_PASSTHROUGH = ["lr", "tauStart", "tauEnd", "weights", "progressEvery"];

/**
 * Runs the greedy shape search on an engine that has a target and a scene.
 * @param {object} engine  an engine from createEngine
 * @param {RefineOptions} [options]
 * @returns {Promise<RefineResult>}
 */
export async function refine(engine, options = {}) {
  // An option given as undefined takes its default (callers forward optional fields as they are).
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const opts = { ...REFINE_DEFAULTS, ...given };
  const { signal, onRound, onProgress } = opts;
  if (!["error", "random"].includes(opts.proposal)) {
    throw new Error(`refine: proposal must be "error" or "random", got ${JSON.stringify(opts.proposal)}`);
  }
  for (const key of ["maxShapes", "initialSteps", "settleSteps", "reoptimizeSteps", "polishSteps", "maxRejects"]) {
    if (!Number.isInteger(opts[key]) || opts[key] < 0) {
      throw new Error(`refine: ${key} must be a non-negative integer, got ${opts[key]}`);
    }
  }
  const target = engine.getTarget();
  if (!target) throw new Error("refine: setTarget() must be called first");
  const evalTau = 0.5 / Math.max(target.width, target.height);
  const rng = mulberry32(opts.seed);
  const aborted = () => signal?.aborted === true;
  const passthrough = Object.fromEntries(OPTIMIZE_PASSTHROUGH.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]));
  let stepsDone = 0;
  const run = async (steps, phase, round, frozen) => {
    if (steps === 0) return;
    const before = stepsDone;
    const result = await engine.optimize({
      ...passthrough,
      steps,
      signal,
      frozen,
      onProgress: onProgress ? (p) => onProgress({ ...p, phase, round, totalStep: before + p.step }) : undefined,
    });
    stepsDone += result?.steps ?? steps;
  };
  const lossOf = (scene) => totalLoss(engine, scene, evalTau, opts.weights);

  await run(opts.initialSteps, "initial", 0, []);
  let current = copyScene(engine.getScene());
  let currentLoss = await lossOf(current);
  /** @type {RoundRecord[]} */
  const rounds = [];
  /** @type {import("./proposals.js").Site[]} */
  const tabu = [];
  let rejectsInRow = 0;
  let stopped = /** @type {RefineResult["stopped"]} */ ("budget");

  for (let round = 1; ; round++) {
    if (aborted()) {
      stopped = "aborted";
      break;
    }
    if (current.shapes.length >= opts.maxShapes) break;
    if (rejectsInRow >= opts.maxRejects) {
      stopped = "rejects";
      break;
    }
    const type = SHAPE_TYPES[(round - 1) % SHAPE_TYPES.length];
    const { shape, site } =
      opts.proposal === "random"
        ? proposeRandom(type, rng)
        : proposeFromError(type, {
            image: await engine.render(current, { tau: evalTau }),
            target: target.data,
            width: target.width,
            height: target.height,
            tabu,
          });

    const count = current.shapes.length;
    engine.setScene({ ...copyScene(current), shapes: [...copyScene(current.shapes), shape] });
    await run(opts.settleSteps, "settle", round, Array.from({ length: count }, (_, i) => i));
    if (!aborted()) await run(opts.reoptimizeSteps, "reoptimize", round, []);
    if (aborted()) {
      stopped = "aborted";
      break;
    }
    const trial = copyScene(engine.getScene());
    const lossAfter = await lossOf(trial);
    const accepted = lossAfter < currentLoss;
    const lossBefore = currentLoss;
    if (accepted) {
      current = trial;
      currentLoss = lossAfter;
      rejectsInRow = 0;
    } else {
      rejectsInRow++;
      if (site) tabu.push(site);
    }
    engine.setScene(copyScene(current));
    const record = { round, type, lossBefore, lossAfter, accepted, shapes: current.shapes.length };
    rounds.push(record);
    onRound?.({ ...record, scene: copyScene(current) });
  }

  // A last run on the final shapes; like a round, it is kept only if it helps.
  if (stopped !== "aborted" && opts.polishSteps > 0) {
    engine.setScene(copyScene(current));
    await run(opts.polishSteps, "polish", rounds.length, []);
    const polished = copyScene(engine.getScene());
    const polishedLoss = await lossOf(polished);
    if (polishedLoss < currentLoss) {
      current = polished;
      currentLoss = polishedLoss;
    }
  }

  engine.setScene(copyScene(current));
  const accepted = rounds.filter((r) => r.accepted).length;
  return {
    scene: copyScene(current),
    loss: currentLoss,
    rounds,
    steps: stepsDone,
    accepted,
    rejected: rounds.length - accepted,
    stopped,
  };
}
