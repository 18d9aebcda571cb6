// Central finite-difference checks of an Evaluator's analytic gradient (and of
// the priors), reusable for every CPU backend:
//
//   import { checkEvaluatorGradients } from "./fd.mjs";
//   await checkEvaluatorGradients(() => createMyEvaluator(), { rawType: Float32Array, h: 1e-3, rtol: 1e-2 });
//
// Each case compares d(loss)/d(raw) for every used raw slot of every shape
// (the opacity slot of translucent shapes included; an opaque shape's must be 0)
// with (f(raw + h) - f(raw - h)) / 2h, where f is the full weighted loss
// (evaluator terms + priors) under one-hot or full weights.

import assert from "node:assert/strict";
import { DEFAULT_WEIGHTS, OPACITY_SLOT, STRIDE, evaluateLoss, isOpaque, sceneBackground, sceneChannels, sceneToRaw, usedSlots } from "../build/engine.mjs";

/**
 * A non-square scene with every shape type, where every prior is active:
 * the circle crosses the left margin, the ellipse the bottom one, and the
 * thin triangle has an edge shorter than 0.01 and a vertex in the top margin.
 */
export const FD_SCENE = Object.freeze({
  version: 1,
  width: 26,
  height: 20,
  background: 1.0,
  shapes: [
    { type: "circle", cx: 0.1, cy: 0.4, r: 0.13, fill: 0.2 },
    { type: "ellipse", cx: 0.55, cy: 0.72, rx: 0.18, ry: 0.3, angle: 0.4, fill: 0.7 },
    { type: "triangle", points: [[0.3, 0.2], [0.8, 0.35], [0.45, 0.75]], fill: 0.1 },
    { type: "triangle", points: [[0.62, 0.03], [0.624, 0.033], [0.9, 0.5]], fill: 0.45 },
  ],
});

/** FD_SCENE in colour: RGB fills over an RGB background (every fill channel is checked). */
export const FD_SCENE_RGB = Object.freeze({
  ...FD_SCENE,
  background: [0.9, 0.8, 0.95],
  shapes: FD_SCENE.shapes.map((s, i) => ({ ...s, fill: [s.fill, 0.3 + 0.15 * i, 0.9 - 0.2 * i] })),
});

const ZERO = { mse: 0, edge: 0, ssim: 0, perimeter: 0, degeneracy: 0, canvas: 0 };

/** One-hot weights per term, and the default weights all together. */
export const WEIGHT_CASES = Object.freeze([
  ...Object.keys(ZERO).map((term) => ({ name: term, weights: { ...ZERO, [term]: 1 } })),
  { name: "all", weights: { ...DEFAULT_WEIGHTS } },
]);

/** tau at 1 px and 0.2 px of the longer side. */
export const TAU_CASES = Object.freeze([
  { name: "tau=1px", pixels: 1 },
  { name: "tau=0.2px", pixels: 0.2 },
]);

/**
 * @param {() => Promise<object> | object} makeEvaluator
 * @param {object} [options]
 * @param {Float64ArrayConstructor|Float32ArrayConstructor} [options.rawType] array type handed to evaluate (Float64Array)
 * @param {number} [options.h] central-difference step in raw units (1e-5)
 * @param {number} [options.rtol] allowed error relative to the component (1e-4)
 * @param {number} [options.atol] allowed error relative to the largest component of the case (1e-5)
 * @param {object} [options.scene] (FD_SCENE); its `background` is handed to the evaluator (setBackground);
 *   a colour scene runs on an RGB target (each channel a different pattern)
 * @returns {Promise<{cases: number, checked: number, worst: number}>} worst: largest error / allowed error
 */
export async function checkEvaluatorGradients(makeEvaluator, options = {}) {
  const { rawType = Float64Array, h = 1e-5, rtol = 1e-4, atol = 1e-5, scene = FD_SCENE } = options;
  const { width, height } = scene;
  const L = Math.max(width, height);
  const evaluator = await makeEvaluator();
  try {
    const channels = sceneChannels(scene);
    const target = new Float32Array(width * height * channels);
    for (let j = 0; j < height; j++) {
      for (let i = 0; i < width; i++) {
        for (let c = 0; c < channels; c++) target[(j * width + i) * channels + c] = 0.5 + 0.4 * Math.sin(0.7 * i + 1.3 * c) * Math.cos(0.5 * j - c);
      }
    }
    if (channels === 1) await evaluator.setTarget(target, width, height);
    else await evaluator.setTarget(target, width, height, channels);
    const { raw: raw32, types } = sceneToRaw(scene);
    await evaluator.setTypes(types);
    await evaluator.setBackground(sceneBackground(scene, channels));
    const raw = rawType.from(raw32);
    const slotsOf = (i) => usedSlots(types[i], channels, !isOpaque(raw32[i * STRIDE + OPACITY_SLOT]));
    let checked = 0;
    let cases = 0;
    let worst = 0;
    const failures = [];
    for (const tc of TAU_CASES) {
      const tau = tc.pixels / L;
      for (const wc of WEIGHT_CASES) {
        cases++;
        const f = async (r) => (await evaluateLoss(evaluator, r, types, tau, wc.weights, false)).breakdown.total;
        const { grad } = await evaluateLoss(evaluator, raw, types, tau, wc.weights, true);
        const maxAbs = Math.max(...Array.from(grad, Math.abs));
        for (let i = 0; i < types.length; i++) {
          for (const k of slotsOf(i)) {
            const q = i * STRIDE + k;
            const plus = rawType.from(raw);
            const minus = rawType.from(raw);
            plus[q] += h;
            minus[q] -= h;
            const numeric = ((await f(plus)) - (await f(minus))) / (plus[q] - minus[q]);
            const analytic = grad[q];
            const allowed = rtol * Math.abs(numeric) + atol * maxAbs + 1e-12;
            const ratio = Math.abs(analytic - numeric) / allowed;
            worst = Math.max(worst, ratio);
            checked++;
            if (!(ratio <= 1)) {
              failures.push(`${tc.name} ${wc.name} shape ${i} (${scene.shapes[i].type}) slot ${k}: analytic ${analytic} numeric ${numeric}`);
            }
          }
        }
        for (let q = 0; q < grad.length; q++) {
          if (!slotsOf(Math.floor(q / STRIDE)).includes(q % STRIDE)) {
            assert.equal(grad[q], 0, `unused slot ${q} has gradient ${grad[q]}`);
          }
        }
      }
    }
    assert.equal(failures.length, 0, `${failures.length} gradient mismatches:\n${failures.slice(0, 20).join("\n")}`);
    return { cases, checked, worst };
  } finally {
    evaluator.dispose();
  }
}
