// Greedy shape search: grows a scene one shape at a time and keeps a shape
// only when it lowers the evaluation loss (DESIGN.md, "Greedy search").
//
// It drives any engine through its public API (setScene, getScene, optimize,
// render, loss, getTarget), so every backend gets it. The accepted scene is
// held here as a wire-format copy: a rejected candidate is undone by setting
// that copy back, which leaves the scene exactly as it was before the round.
//
// Each round screens many drafts before any gradient work (screen.js): drafts
// of every allowed kind are placed where the squared error is, scored with
// their best fill in closed form, and the best few are hill-climbed on that
// score; the winner is added. Gradient descent then does what a hill climber
// cannot: every few rounds it re-optimises all shapes together, and a final
// polish tunes the whole drawing. The search stops at the budget, or on a
// plateau: when no draft lowers the error any more, or rounds keep failing
// the accept test. docs/engine.md ("Shape search") has the measurements
// behind the defaults.
//
// At scale a round adds a batch of shapes (batch.js): drafts screened one
// after the other on the residual, each painted into it before the next is
// screened, so each goes where the error left by the others is; they settle
// and re-optimise together, and each is kept only if removing it again
// would raise the loss. When the budget is reached, a pruning pass drops
// every shape whose removal does not raise the loss, and the freed budget is
// filled again.

import { MAX_BATCH, batchSize } from "./batch.js";
import { DEFAULT_WEIGHTS, resolveWeights } from "./optimizer.js";
import { SHAPE_TYPES, blobDrafts, mulberry32, perimeter, proposeRandom, toScene } from "./proposals.js";
import { climb, confine, errorSampler, paintDraft, randomDraft, residualMaps, scoreDraft } from "./screen.js";

/**
 * @typedef {object} RoundRecord
 * @property {number} round       1-based round number
 * @property {string} type        the candidate's shape type ("mixed" for a batch of several kinds)
 * @property {number} lossBefore  evaluation loss of the accepted scene before the round
 * @property {number} lossAfter   evaluation loss with the candidates kept (and the round's re-optimisation)
 * @property {boolean} accepted
 * @property {number} shapes      shape count after the round
 * @property {number} added       shapes the round tried (its batch)
 * @property {number} kept        of them, shapes the scene kept (0 when rejected)
 * @property {number} [pruned]    on the round after a pruning pass: shapes it dropped
 */

/**
 * @typedef {object} RefineOptions
 * @property {number} [maxShapes=35]       shape budget
 * @property {number | "auto"} [batch="auto"]  shapes a round adds ("error" proposals): drafts
 *   screened one after the other on the residual with the earlier ones painted in, settled and
 *   re-optimised together, each kept only if removing it again raises the loss (with settling,
 *   `trials` times as many go in and those whose removal raises the loss most stay); "auto" adds a
 *   quarter of the shapes drawn so far (1 to 32, halved after a rejected round); 1 is the
 *   one-shape-per-round search
 * @property {boolean} [prune=true]        when the budget is reached, drop every shape whose
 *   removal does not raise the loss and fill the budget again (once)
 * @property {"mse" | "reference"} [loss="mse"]  the objective: "mse" is the mean squared error
 *   alone; "reference" the design notes' mix (MSE, Sobel edge, SSIM and the shape priors).
 *   `weights`, when given, overrides it.
 * @property {string[]} [types]            the shape kinds the search may add (default: all)
 * @property {"error" | "random"} [proposal="error"]  "error": screened drafts where the error is;
 *   "random": the reference's random candidates, settled by gradient descent
 * @property {number} [initialSteps=500]   steps on the start scene before the first round (none without shapes)
 * @property {number} [settleSteps]        steps per candidate, the other shapes frozen
 * @property {number} [reoptimizeEvery]    re-optimise all shapes after this many shapes were added
 * @property {number} [reoptimizeSteps]    steps of each re-optimisation
 * @property {number} [polishSteps]        steps on all shapes after the last round (kept if they help);
 *   these four default per objective (OBJECTIVE_DEFAULTS), and settleSteps to 50 for "random"
 * @property {number} [screen=96]          drafts scored per round
 * @property {number} [candidates=4]       the best drafts, hill-climbed; the best climbed one is tried
 * @property {number} [climb=150]          hill-climbing moves per candidate
 * @property {number} [blobs=0]            drafts fitted to blobs of the blurred residual, per kind
 * @property {number} [trials=3]           with settling, the best climbed drafts settled; the best settled one is kept
 * @property {number} [maxRejects=8]       stop after this many rejections in a row (a plateau)
 * @property {number} [opacity=1]          the opacity new shapes start at, in (0, 1]: drafts are
 *   screened and painted at it, and below 1 the search then optimises it with the rest
 *   (docs/engine.md, "Start opacity of new shapes")
 * @property {number} [seed=0]             seeds the drafts: the same seed gives the same rounds
 * @property {boolean} [backgroundFromTarget=false]  start a scene without shapes on the target's
 *   mean (its mean colour on an RGB target): the default start of a drawing, for callers that
 *   could not compute it themselves
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
 * @property {"budget" | "plateau" | "rejects" | "aborted"} stopped
 */

/** Named objectives: loss weights for the search's runs and its accept test. */
export const OBJECTIVES = Object.freeze({
  mse: Object.freeze({ mse: 1, edge: 0, ssim: 0, perimeter: 0, degeneracy: 0, canvas: 0 }),
  reference: DEFAULT_WEIGHTS,
});

/** Defaults, chosen on the image set of benchmarks/photos.py (docs/engine.md, "Shape search"). */
export const REFINE_DEFAULTS = Object.freeze({
  maxShapes: 35,
  batch: "auto",
  prune: true,
  loss: "mse",
  proposal: "error",
  initialSteps: 500,
  screen: 96,
  candidates: 4,
  climb: 150,
  blobs: 0,
  trials: 3,
  maxRejects: 8,
  opacity: 1,
  seed: 0,
  backgroundFromTarget: false,
  lr: 0.01,
  settleLr: 0.03,
});

/**
 * Defaults that depend on the objective. Under "mse" the screening score is
 * the objective itself, so a screened draft goes in as it is and gradient
 * work is saved for re-optimising all shapes; under "reference" the edge,
 * SSIM and prior terms decide, so the best drafts are settled by gradient
 * descent on that objective and the best settled one is kept (measured on the
 * engraving: 0.0208 against 0.0220 without settling, docs/engine.md).
 */
export const OBJECTIVE_DEFAULTS = Object.freeze({
  mse: Object.freeze({ settleSteps: 0, reoptimizeEvery: 4, reoptimizeSteps: 100, polishSteps: 1000 }),
  reference: Object.freeze({ settleSteps: 50, reoptimizeEvery: 1, reoptimizeSteps: 200, polishSteps: 2000 }),
});

/** Steps that settle a random candidate, which starts far from where it helps. */
const RANDOM_SETTLE_STEPS = 50;

/** The largest draft, as a fraction of the longer side. */
const MAX_DRAFT_SIZE = 0.5;

const COUNTS = [
  "maxShapes",
  "initialSteps",
  "settleSteps",
  "reoptimizeEvery",
  "reoptimizeSteps",
  "polishSteps",
  "candidates",
  "screen",
  "climb",
  "blobs",
  "trials",
  "maxRejects",
];

const copyScene = (scene) => structuredClone(scene);

/**
 * The mean of a target, per channel: what a drawing without shapes shows best.
 * @param {{data: ArrayLike<number>, channels?: number}} target grey, or RGB interleaved
 * @returns {number | number[]} a grey, or [r, g, b]
 */
export function targetMean({ data, channels = 1 }) {
  const sums = new Float64Array(channels);
  for (let q = 0; q < data.length; q++) sums[q % channels] += data[q];
  const means = Array.from(sums, (s) => Math.min(1, Math.max(0, (s * channels) / data.length)));
  return channels === 1 ? means[0] : means;
}

function checkOptions(opts) {
  if (!["error", "random"].includes(opts.proposal)) {
    throw new Error(`refine: proposal must be "error" or "random", got ${JSON.stringify(opts.proposal)}`);
  }
  for (const key of COUNTS) {
    if (!Number.isInteger(opts[key]) || opts[key] < 0) throw new Error(`refine: ${key} must be a non-negative integer, got ${opts[key]}`);
  }
  for (const key of ["candidates", "screen", "reoptimizeEvery", "maxRejects", "trials"]) {
    if (opts[key] < 1) throw new Error(`refine: ${key} must be at least 1, got ${opts[key]}`);
  }
  if (!Number.isInteger(opts.seed)) throw new Error(`refine: seed must be an integer, got ${opts.seed}`);
  if (typeof opts.opacity !== "number" || !(opts.opacity > 0 && opts.opacity <= 1)) {
    throw new Error(`refine: opacity must be a number in (0, 1], got ${JSON.stringify(opts.opacity)}`);
  }
  if (opts.batch !== "auto" && !(Number.isInteger(opts.batch) && opts.batch >= 1)) {
    throw new Error(`refine: batch must be "auto" or a positive integer, got ${JSON.stringify(opts.batch)}`);
  }
  if (typeof opts.prune !== "boolean") throw new Error(`refine: prune must be true or false, got ${JSON.stringify(opts.prune)}`);
  if (typeof opts.backgroundFromTarget !== "boolean") {
    throw new Error(`refine: backgroundFromTarget must be true or false, got ${JSON.stringify(opts.backgroundFromTarget)}`);
  }
  for (const key of ["lr", "settleLr"]) {
    if (!(opts[key] > 0 && Number.isFinite(opts[key]))) throw new Error(`refine: ${key} must be a positive number, got ${opts[key]}`);
  }
  if (!Array.isArray(opts.types) || opts.types.length === 0) throw new Error("refine: types must be a non-empty array of shape kinds");
  for (const type of opts.types) {
    if (!SHAPE_TYPES.includes(type)) {
      throw new Error(`refine: unknown shape kind ${JSON.stringify(type)} in types (known: ${SHAPE_TYPES.join(", ")})`);
    }
  }
}

/**
 * The options of a search with every default filled in (an option given as
 * undefined takes its default: callers forward optional fields as they are).
 * @param {RefineOptions} options
 */
export function resolveRefineOptions(options = {}) {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined && v !== null));
  const loss = given.loss ?? REFINE_DEFAULTS.loss;
  if (!Object.hasOwn(OBJECTIVES, loss)) {
    throw new Error(`refine: loss must be one of ${Object.keys(OBJECTIVES).join(", ")}, got ${JSON.stringify(loss)}`);
  }
  const opts = { ...REFINE_DEFAULTS, ...OBJECTIVE_DEFAULTS[loss], types: [...SHAPE_TYPES], ...given };
  if (opts.proposal === "random" && given.settleSteps === undefined) opts.settleSteps = RANDOM_SETTLE_STEPS;
  checkOptions(opts);
  return opts;
}

/** The batch option in force: random candidates come one per round. */
const batchOf = (opts) => (opts.proposal === "random" ? 1 : opts.batch);

/**
 * Optimiser steps a search will run if every round is kept whole (the
 * progress bar's total; rejected rounds and refills after pruning run past
 * it, a plateau stops short of it).
 * @param {ReturnType<typeof resolveRefineOptions>} opts
 * @param {number} startShapes shapes in the start scene
 */
export function plannedSteps(opts, startShapes) {
  const perCandidate = opts.proposal === "error" ? opts.trials : 1;
  let steps = startShapes > 0 ? opts.initialSteps : 0;
  let since = 0;
  for (let shapes = startShapes; shapes < opts.maxShapes; ) {
    const added = batchSize(batchOf(opts), shapes, opts.maxShapes);
    // one candidate settles per trial; a batch settles once, together
    steps += opts.settleSteps * (added === 1 ? perCandidate : 1);
    since += added;
    if (since >= opts.reoptimizeEvery) {
      since = 0;
      steps += opts.reoptimizeSteps;
    }
    shapes += added;
  }
  return steps + (opts.maxShapes > 0 ? opts.polishSteps : 0);
}

/**
 * Screens drafts on the current render and returns the best few, climbed.
 * Drafts are ranked by the squared error they remove; the other terms of an
 * objective (edge, SSIM, priors) are left to the accept test. Charging the
 * perimeter prior here made drawings of the reference objective worse (its
 * edge and SSIM terms reward the small shapes the prior would turn away), so
 * only a draft that removes no error at all means a plateau.
 * @returns {{shape: object, score: number, fill: number}[]} metric shapes, best first; none on a plateau
 */
function screenDrafts(maps, image, target, opts, rng, tabu) {
  const n = maps.width * maps.height;
  const sample = errorSampler(maps);
  const keep = (shape) => {
    const { x, y } = centre(shape);
    return tabu.reduce((k, t) => k * (1 - Math.exp(-((x - t.x) ** 2 + (y - t.y) ** 2) / (2 * t.s * t.s))), 1);
  };
  const scoreOf = (shape) => {
    const score = scoreDraft(maps, shape).gain / n;
    return score > 0 && tabu.length > 0 ? score * keep(shape) : score;
  };
  const drafts = [];
  for (let k = 0; k < opts.screen; k++) {
    const type = opts.types[k % opts.types.length];
    const shape = confine(randomDraft(type, sample(rng), rng, maps.L, MAX_DRAFT_SIZE), maps.width, maps.height);
    drafts.push({ shape, score: scoreOf(shape) });
  }
  if (opts.blobs > 0) {
    for (const type of opts.types) {
      const input = { image, target, width: maps.width, height: maps.height, perimeterWeight: 0 };
      for (const { shape } of blobDrafts(type, input, opts.blobs)) {
        const confined = confine(shape, maps.width, maps.height);
        drafts.push({ shape: confined, score: scoreOf(confined) });
      }
    }
  }
  drafts.sort((a, b) => b.score - a.score);
  const climbed = drafts
    .slice(0, opts.candidates)
    .map((draft) => climb(maps, draft, scoreOf, rng, opts.climb))
    .sort((a, b) => b.score - a.score);
  return climbed.flatMap((best) => {
    const { gain, fill, pixels } = scoreDraft(maps, best.shape);
    // Below this the gain is rounding in the closed form, not error removed.
    return gain > 1e-9 * pixels ? [{ ...best, fill }] : [];
  });
}

/** Metric centre of a metric shape: its centre, or the mean of its points (triangle, curve). */
function centre(shape) {
  if (!shape.points) return { x: shape.cx, y: shape.cy };
  const n = shape.points.length;
  return { x: shape.points.reduce((s, p) => s + p[0], 0) / n, y: shape.points.reduce((s, p) => s + p[1], 0) / n };
}

/** A rough metric size of a shape, for the tabu radius. */
function sizeOf(shape) {
  return Math.max(perimeter(shape) / (2 * Math.PI), 1e-3);
}

/**
 * Runs the greedy shape search on an engine that has a target and a scene.
 * @param {object} engine  an engine from createEngine
 * @param {RefineOptions} [options]
 * @returns {Promise<RefineResult>}
 */
export async function refine(engine, options = {}) {
  const opts = resolveRefineOptions(options);
  const { signal, onRound, onProgress } = opts;
  const weights = resolveWeights(opts.weights ?? OBJECTIVES[opts.loss]);
  const target = engine.getTarget();
  if (!target) throw new Error("refine: setTarget() must be called first");
  const { width, height } = target;
  const L = Math.max(width, height);
  const evalTau = 0.5 / L;
  const schedule = { tauStart: opts.tauStart ?? 1 / L, tauEnd: opts.tauEnd ?? evalTau };
  const rng = mulberry32(opts.seed);
  // a new shape carries the start opacity only below 1 (the wire format's default)
  const atOpacity = (shape) => (opts.opacity < 1 ? { ...shape, opacity: opts.opacity } : shape);
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

  if (opts.backgroundFromTarget && engine.getScene().shapes.length === 0) {
    await engine.setScene({ ...engine.getScene(), background: targetMean(target) });
  }
  if (engine.getScene().shapes.length > 0) await run(opts.initialSteps, "initial", 0, []);
  let current = copyScene(engine.getScene());
  let currentLoss = await lossOf(current);
  /** @type {RoundRecord[]} */
  const rounds = [];
  /** @type {{x: number, y: number, s: number}[]} metric sites of rejected drafts */
  const tabu = [];
  let rejectsInRow = 0;
  let sinceReoptimize = 0;
  let stopped = /** @type {RefineResult["stopped"]} */ ("budget");
  let batchCap = MAX_BATCH;
  let prunedOnce = !opts.prune;
  let pruned = 0;

  // Drops, front to back, every shape whose removal does not raise the loss.
  const prune = async () => {
    let removed = 0;
    for (let i = current.shapes.length - 1; i >= 0 && !aborted(); i--) {
      const without = { ...current, shapes: current.shapes.filter((_, q) => q !== i) };
      const loss = await lossOf(without);
      if (loss <= currentLoss) {
        current = without;
        currentLoss = loss;
        removed++;
      }
    }
    engine.setScene(copyScene(current));
    return removed;
  };

  for (let round = 1; ; round++) {
    if (aborted()) {
      stopped = "aborted";
      break;
    }
    if (current.shapes.length >= opts.maxShapes) {
      if (prunedOnce) break;
      prunedOnce = true;
      pruned = await prune();
      if (aborted()) {
        stopped = "aborted";
        break;
      }
      if (pruned === 0) break;
    }
    if (rejectsInRow >= opts.maxRejects) {
      stopped = "rejects";
      break;
    }
    const size = batchSize(batchOf(opts), current.shapes.length, opts.maxShapes, batchCap);
    let candidates;
    /** @type {{shape: object, site: object}[] | null} a batch's drafts, as scene shapes */
    let batch = null;
    if (opts.proposal === "random") {
      const type = opts.types[(round - 1) % opts.types.length];
      candidates = [{ shape: atOpacity(proposeRandom(type, rng, target.channels).shape), site: null }];
    } else {
      const image = await engine.render(current, { tau: evalTau });
      const maps = residualMaps(image, target.data, width, height, opts.opacity);
      if (size === 1) {
        const drafts = screenDrafts(maps, image, target.data, opts, rng, tabu);
        if (drafts.length === 0) {
          stopped = "plateau";
          break;
        }
        candidates = drafts.slice(0, opts.settleSteps > 0 ? opts.trials : 1).map((d) => ({
          shape: atOpacity(toScene(d.shape, width, height, d.fill)),
          site: { ...centre(d.shape), s: sizeOf(d.shape) },
        }));
      } else {
        // each draft is screened on the maps with the earlier ones painted in (docs/engine.md: taking
        // their boxes out instead, for disjoint drafts, drew worse); with settling, `trials` times the
        // batch goes in and the settled loss picks the best (below)
        batch = [];
        const drafted = opts.settleSteps > 0 ? size * opts.trials : size;
        while (batch.length < drafted) {
          const [best] = screenDrafts(maps, image, target.data, opts, rng, tabu);
          if (!best) break;
          paintDraft(maps, best.shape, best.fill);
          batch.push({ shape: atOpacity(toScene(best.shape, width, height, best.fill)), site: { ...centre(best.shape), s: sizeOf(best.shape) } });
        }
        if (batch.length === 0) {
          stopped = "plateau";
          break;
        }
      }
    }
    const base = current.shapes.length;
    const frozen = Array.from({ length: base }, (_, i) => i);
    let chosen = null;
    if (batch) {
      engine.setScene({ ...copyScene(current), shapes: [...copyScene(current.shapes), ...batch.map((d) => d.shape)] });
      await run(opts.settleSteps, "settle", round, frozen);
      const kinds = new Set(batch.map((d) => d.shape.type));
      chosen = { type: kinds.size === 1 ? batch[0].shape.type : "mixed", site: null };
    } else {
      // With settling, each candidate settles alone on the frozen scene and the best one goes on.
      for (const { shape, site } of candidates) {
        engine.setScene({ ...copyScene(current), shapes: [...copyScene(current.shapes), shape] });
        await run(opts.settleSteps, "settle", round, frozen);
        if (aborted()) break;
        const settled = copyScene(engine.getScene());
        const loss = candidates.length > 1 ? await lossOf(settled) : 0;
        if (chosen === null || loss < chosen.loss) chosen = { scene: settled, loss, site, type: shape.type };
      }
      if (chosen) engine.setScene(chosen.scene);
    }
    const added = batch ? batch.length : 1;
    sinceReoptimize += added;
    if (!aborted() && sinceReoptimize >= opts.reoptimizeEvery) {
      sinceReoptimize = 0;
      await run(opts.reoptimizeSteps, "reoptimize", round, []);
    }
    if (aborted()) {
      stopped = "aborted";
      break;
    }
    let trial = copyScene(engine.getScene());
    let lossAfter = await lossOf(trial);
    /** the batch's drafts still in the trial scene, in its order (shape base + b is stayed[b]) */
    let stayed = batch ?? [];
    if (batch && batch.length > size) {
      // the batch's shapes that raise the loss most when removed stay; the others go at once
      const rises = [];
      for (let i = base; i < trial.shapes.length; i++) {
        rises.push({ i, rise: (await lossOf({ ...trial, shapes: trial.shapes.filter((_, q) => q !== i) })) - lossAfter });
      }
      rises.sort((a, b) => b.rise - a.rise);
      const drop = new Set(rises.slice(size).map((r) => r.i));
      tabu.push(...[...drop].map((i) => batch[i - base].site));
      stayed = batch.filter((_, b) => !drop.has(base + b));
      trial = { ...trial, shapes: trial.shapes.filter((_, q) => !drop.has(q)) };
      lossAfter = await lossOf(trial);
    }
    if (batch) {
      // each shape of the batch stays only if removing it again raises the loss
      for (let i = trial.shapes.length - 1; i >= base; i--) {
        const without = { ...trial, shapes: trial.shapes.filter((_, q) => q !== i) };
        const loss = await lossOf(without);
        if (loss <= lossAfter) {
          trial = without;
          lossAfter = loss;
          tabu.push(stayed[i - base].site);
          stayed = stayed.filter((_, b) => b !== i - base);
        }
      }
    }
    const kept = trial.shapes.length - base;
    const accepted = kept > 0 && lossAfter < currentLoss;
    const lossBefore = currentLoss;
    if (accepted) {
      current = trial;
      currentLoss = lossAfter;
      rejectsInRow = 0;
      batchCap = Math.min(MAX_BATCH, 2 * batchCap);
    } else {
      rejectsInRow++;
      batchCap = Math.max(1, Math.floor(added / 2));
      if (batch) tabu.push(...stayed.map((d) => d.site));
      else if (chosen.site) tabu.push(chosen.site);
    }
    engine.setScene(copyScene(current));
    const record = {
      round,
      type: chosen.type,
      lossBefore,
      lossAfter,
      accepted,
      shapes: current.shapes.length,
      added,
      kept: accepted ? kept : 0,
      ...(pruned > 0 ? { pruned } : {}),
    };
    pruned = 0;
    rounds.push(record);
    onRound?.({ ...record, scene: copyScene(current) });
  }

  // A last run on the final shapes; like a round, it is kept only if it helps.
  if (stopped !== "aborted" && opts.polishSteps > 0 && current.shapes.length > 0) {
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
