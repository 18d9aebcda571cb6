// The shape search as the runner starts it: a run request that carries a
// `refine` dict (set by PelicanWidget.refine) goes to engine.refine instead of
// engine.optimize. Rounds stream to Python through the `rounds` trait, and the
// drawing updates after every round (and with the runner's throttled frames
// during the rounds).

import { plannedSteps, resolveRefineOptions } from "../engine/refine.js";

// backgroundFromTarget: Python could not decode the target (Pyodide without
// numpy), so the search starts an empty drawing on the target's mean here.
const REFINE_KEYS = ["maxShapes", "batch", "initialSteps", "settleSteps", "reoptimizeSteps", "maxRejects", "seed", "proposal", "loss", "types", "backgroundFromTarget", "opacity"];

/**
 * @param {any} engine an engine from createEngine
 * @param {Record<string, any>} request the request's `refine` dict (camelCase keys of REFINE_KEYS)
 * @param {{weights?: object, progressEvery?: number, signal?: AbortSignal,
 *   onProgress?: (p: object) => void, snapshot?: (scene: object) => void}} common what the runner
 *   passes to optimize (and `snapshot`, which keeps a frame of the animation); its learning
 *   rate and tau schedule (the `lr`, `tau_*` traits, meant for run()) are left out: refine's own
 *   are tuned to its accept test
 * @param {any} model the anywidget model
 * @returns {Promise<{scene: object, loss: Record<string, number>, steps: number}>} like optimize's result
 */
export async function runRefine(engine, request, common, model) {
  const rounds = [];
  const options = Object.fromEntries(REFINE_KEYS.filter((k) => request[k] !== undefined && request[k] !== null).map((k) => [k, request[k]]));
  // Steps if every round is kept: the progress bar's total (rejections run past it).
  model.set("total_steps", plannedSteps(resolveRefineOptions(options), model.get("scene")?.shapes?.length ?? 0));
  model.set("rounds", []);
  model.save_changes();
  const result = await engine.refine({
    ...options,
    // refine(loss=...) sends that objective's weights for this search alone
    weights: request.weights ?? common.weights,
    progressEvery: common.progressEvery,
    signal: common.signal,
    // The runner's step counter and history run over the whole search.
    onProgress: common.onProgress && ((p) => common.onProgress({ ...p, step: p.totalStep })),
    onRound: ({ scene, ...record }) => {
      common.onActivity?.(); // a round's end counts as progress for the stall watchdog
      rounds.push(record);
      if (record.accepted) common.snapshot?.(scene); // the drawing grows: one frame per kept shape
      model.set("rounds", rounds.slice());
      model.set("scene", scene);
      model.save_changes();
    },
  });
  const target = engine.getTarget();
  const loss = await engine.loss(result.scene, { tau: 0.5 / Math.max(target.width, target.height), weights: request.weights ?? common.weights });
  return { scene: result.scene, loss, steps: result.steps };
}
