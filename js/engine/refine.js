// Greedy shape search: grows a scene one shape at a time and keeps a shape
// only when it lowers the evaluation loss (DESIGN.md, "Greedy search").
//
// It drives any engine through its public API (setScene, getScene, optimize,
// render, loss, getTarget), so every backend gets it. The accepted scene is
// held here as a wire-format copy: a rejected candidate is undone by setting
// that copy back, which leaves the scene exactly as it was before the round.
//
// Beyond the reference loop: each round settles a few candidates and carries
// the best one on; the optimiser runs end at the evaluation tau (the accept
// test's), at a lower learning rate for all shapes than for a settling
// candidate; and a final polish run on all shapes (kept only if it helps).
// docs/engine.md ("Shape search") has the measurements behind the defaults.

import { resolveWeights } from "./optimizer.js";
import { SHAPE_TYPES, mulberry32, proposeRandom, rankErrorProposals } from "./proposals.js";

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
 * @property {number} [maxShapes=35]       shape budget
 * @property {"error" | "random"} [proposal="error"]  where candidates go (proposals.js)
 * @property {number} [initialSteps=500]   steps on the start scene before the first round
 * @property {number} [settleSteps=50]     steps per candidate, the other shapes frozen
 * @property {number} [reoptimizeSteps=200] steps on all shapes, per round
 * @property {number} [polishSteps=2000]   steps on all shapes after the last round (kept if they help)
 * @property {number} [screen=12]          drafts proposed per round, ranked by the loss with each added as drawn
 * @property {number} [candidates=3]       the best drafts, settled; the best settled one is re-optimised
 * @property {number} [maxRejects=5]       stop after this many rejections in a row
 * @property {number} [seed=0]             seeds the proposals: the same seed gives the same rounds
 * @property {number} [lr=0.01]            Adam learning rate for runs on all shapes
 * @property {number} [settleLr=0.03]      Adam learning rate for a settling candidate
 * @property {number} [tauStart]           soft-edge width at the start of each run (default 1 px)
 * @property {number} [tauEnd]             ... and at its end (default 0.5 px, the evaluation tau)
 * @property {object} [weights]            loss weights, for the runs and the accept test
 * @property {number} [progressEvery]      passed to optimize
 * @property {(r: RoundRecord & {scene: object}) => void} [onRound]  after each round, with the accepted scene
 * @property {(p: object) => void} [onProgress]  optimize's progress events, plus `phase`
 *   ("initial" | "settle" | "reoptimize" | "polish"), `round` and `totalStep` (steps over the whole search)
 * @property {AbortSignal} [signal]        stops promptly; the best accepted scene is kept
 */

/**
 * @typedef {object} RefineResult
 * @property {object} scene        the best accepted scene (also set on the engine)
 * @property {number} loss         its evaluation loss (total)
 * @property {RoundRecord[]} rounds
 * @property {number} steps        optimiser steps run in all
 * @property {number} accepted
 * @property {number} rejected
 * @property {"budget" | "rejects" | "aborted"} stopped
 */

/** Defaults, tuned on the pelican benchmark (benchmarks/refine.py). */
export const REFINE_DEFAULTS = Object.freeze({
  maxShapes: 35,
  proposal: "error",
  initialSteps: 500,
  settleSteps: 50,
  reoptimizeSteps: 200,
  polishSteps: 2000,
  candidates: 3,
  screen: 12,
  maxRejects: 5,
  seed: 0,
  lr: 0.01,
  settleLr: 0.03,
});

const COUNTS = ["maxShapes", "initialSteps", "settleSteps", "reoptimizeSteps", "polishSteps", "candidates", "screen", "maxRejects"];

const copyScene = (scene) => structuredClone(scene);

function checkOptions(opts) {
  if (!["error", "random"].includes(opts.proposal)) {
    throw new Error(`refine: proposal must be "error" or "random", got ${JSON.stringify(opts.proposal)}`);
  }
  for (const key of COUNTS) {
    if (!Number.isInteger(opts[key]) || opts[key] < 0) throw new Error(`refine: ${key} must be a non-negative integer, got ${opts[key]}`);
  }
  if (opts.candidates < 1) throw new Error(`refine: candidates must be at least 1, got ${opts.candidates}`);
  if (opts.screen < 1) throw new Error(`refine: screen must be at least 1, got ${opts.screen}`);
  if (!Number.isInteger(opts.seed)) throw new Error(`refine: seed must be an integer, got ${opts.seed}`);
  for (const key of ["lr", "settleLr"]) {
    if (!(opts[key] > 0 && Number.isFinite(opts[key]))) throw new Error(`refine: ${key} must be a positive number, got ${opts[key]}`);
  }
}

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
  checkOptions(opts);
  const { signal, onRound, onProgress } = opts;
  const weights = resolveWeights(opts.weights);
  const target = engine.getTarget();
  if (!target) throw new Error("refine: setTarget() must be called first");
  const L = Math.max(target.width, target.height);
  const evalTau = 0.5 / L;
  const schedule = { tauStart: opts.tauStart ?? 1 / L, tauEnd: opts.tauEnd ?? evalTau };
  const rng = mulberry32(opts.seed);
  const aborted = () => signal?.aborted === true;
  const lossOf = async (scene) => (await engine.loss(scene, { tau: evalTau, weights })).total;

  let stepsDone = 0;
  const run = async (steps, phase, round, frozen) => {
    if (steps === 0) return;
    const before = stepsDone;
    const result = await engine.optimize({
      // The polish fine-tunes for the accept test itself: no annealing, the evaluation tau throughout.
      ...(phase === "polish" ? { tauStart: evalTau, tauEnd: evalTau } : schedule),
      steps,
      lr: phase === "settle" ? opts.settleLr : opts.lr,
      weights,
      frozen,
      signal,
      ...(opts.progressEvery !== undefined ? { progressEvery: opts.progressEvery } : {}),
      onProgress: onProgress ? (p) => onProgress({ ...p, phase, round, totalStep: before + p.step }) : undefined,
    });
    stepsDone += result?.steps ?? steps;
  };

  await run(opts.initialSteps, "initial", 0, []);
  let current = copyScene(engine.getScene());
  let currentLoss = await lossOf(current);
  /** @type {RoundRecord[]} */
  const rounds = [];
  /** @type {import("./proposals.js").Site[]} sites of rejected error proposals */
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
    const drafts =
      opts.proposal === "random"
        ? Array.from({ length: opts.screen }, () => proposeRandom(type, rng))
        : rankErrorProposals(
            type,
            {
              image: await engine.render(current, { tau: evalTau }),
              target: target.data,
              width: target.width,
              height: target.height,
              tabu,
              perimeterWeight: weights.perimeter,
            },
            opts.screen,
          );
    const withShape = (shape) => ({ ...copyScene(current), shapes: [...copyScene(current.shapes), shape] });
    // Screening costs one loss evaluation per draft; only the best few are settled.
    const screened = [];
    for (const draft of drafts) screened.push({ ...draft, loss: drafts.length > opts.candidates ? await lossOf(withShape(draft.shape)) : 0 });
    const proposals = screened.sort((a, b) => a.loss - b.loss).slice(0, opts.candidates);

    // Settle each candidate alone on the frozen scene; the best one goes on.
    const frozen = Array.from({ length: current.shapes.length }, (_, i) => i);
    let chosen = null;
    for (const { shape, site } of proposals) {
      engine.setScene(withShape(shape));
      await run(opts.settleSteps, "settle", round, frozen);
      if (aborted()) break;
      const settled = copyScene(engine.getScene());
      const loss = proposals.length > 1 ? await lossOf(settled) : 0;
      if (chosen === null || loss < chosen.loss) chosen = { scene: settled, loss, site };
    }
    if (!aborted()) {
      engine.setScene(chosen.scene);
      await run(opts.reoptimizeSteps, "reoptimize", round, []);
    }
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
      if (chosen.site) tabu.push(chosen.site);
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
    if (aborted()) stopped = "aborted";
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
