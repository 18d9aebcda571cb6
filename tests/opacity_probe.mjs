// Helper of tests/test_opacity.py (outside js/test/, where node --test would run it): reads
// {scene, target, tau} as JSON on stdin (target: row-major values, the channels of a pixel
// together) and prints the JS side of per-shape opacity: the reference evaluator's analytic
// d(total loss)/d(opacity) of every shape (float64, default weights), the UI's SVG text
// and the globalAlpha its canvas drawing sets per shape.

import { DEFAULT_WEIGHTS, OPACITY_SLOT, STRIDE, createReferenceEvaluator, evaluateLoss, packScene } from "../js/build/engine.mjs";
import { drawScene } from "../js/ui/draw.js";
import { sceneToSvg } from "../js/ui/svg.js";

/** A 2D context that records the globalAlpha set before each fill or stroke. */
function alphaCanvas() {
  const alphas = [];
  let alpha = 1;
  const ctx = new Proxy(
    {},
    {
      get: (target, key) => (key === "fill" || key === "stroke" ? () => alphas.push(alpha) : () => {}),
      set: (target, key, value) => {
        if (key === "globalAlpha") alpha = value;
        return true;
      },
    },
  );
  const canvas = { width: 0, height: 0, clientWidth: 100, clientHeight: 80, getBoundingClientRect: () => ({ width: 100, height: 80 }), getContext: () => ctx };
  return { canvas, alphas };
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { scene, target, tau } = JSON.parse(input);
const { raw, types, background, channels } = packScene(scene);
const evaluator = createReferenceEvaluator();
await evaluator.setTarget(Float64Array.from(target), scene.width, scene.height, channels);
await evaluator.setTypes(types);
await evaluator.setBackground(background);
const { grad } = await evaluateLoss(evaluator, Float64Array.from(raw), types, tau, DEFAULT_WEIGHTS, true);
// d loss / d raw = d loss / d a * a (1 - a): back to the opacity itself
const dOpacity = scene.shapes.map((s, i) => {
  const a = s.opacity ?? 1;
  return a < 1 ? grad[i * STRIDE + OPACITY_SLOT] / (a * (1 - a)) : grad[i * STRIDE + OPACITY_SLOT];
});
const { canvas, alphas } = alphaCanvas();
drawScene(canvas, scene);
process.stdout.write(JSON.stringify({ dOpacity, svg: sceneToSvg(scene), alphas }));
