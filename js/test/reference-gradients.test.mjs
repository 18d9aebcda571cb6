import assert from "node:assert/strict";
import { test } from "node:test";
import { createReferenceEvaluator } from "../build/engine.mjs";
import { FD_SCENE, FD_SCENE_RGB, checkEvaluatorGradients } from "./fd.mjs";

test("reference evaluator: analytic gradients match central differences for every term, shape type and tau", async () => {
  const { checked, cases, worst } = await checkEvaluatorGradients(() => createReferenceEvaluator());
  assert.equal(cases, 14);
  assert.equal(checked, cases * (4 + 6 + 7 + 7));
  assert.ok(worst <= 1);
});

test("reference evaluator: gradients match central differences over a grey background (0.3)", async () => {
  const scene = { ...FD_SCENE, background: 0.3 };
  const { checked, cases, worst } = await checkEvaluatorGradients(() => createReferenceEvaluator(), { scene });
  assert.equal(checked, cases * (4 + 6 + 7 + 7));
  assert.ok(worst <= 1);
});

test("reference evaluator: gradients on the other sides of the canvas priors, tall canvas", async () => {
  const scene = {
    ...FD_SCENE,
    width: 18,
    height: 28,
    shapes: [
      { type: "ellipse", cx: 0.85, cy: 0.3, rx: 0.2, ry: 0.1, angle: -1.1, fill: 0.3 },
      { type: "circle", cx: 0.5, cy: 0.88, r: 0.12, fill: 0.9 },
      { type: "triangle", points: [[0.97, 0.5], [0.3, 0.97], [0.2, 0.4]], fill: 0.05 },
    ],
  };
  const { worst } = await checkEvaluatorGradients(() => createReferenceEvaluator(), { scene });
  assert.ok(worst <= 1);
});

test("reference evaluator: colour gradients match central differences, every fill channel, RGB background", async () => {
  const { checked, cases, worst } = await checkEvaluatorGradients(() => createReferenceEvaluator(), { scene: FD_SCENE_RGB });
  assert.equal(cases, 14);
  // geometry slots plus three fill channels per shape
  assert.equal(checked, cases * (6 + 8 + 9 + 9));
  assert.ok(worst <= 1);
});
