import { test } from "node:test";
import assert from "node:assert/strict";
import { createReferenceEvaluator } from "../build/engine.mjs";
import { checkEvaluatorGradients } from "./fd.mjs";

test("reference evaluator: analytic gradients match central differences for every term, shape type and tau", async () => {
  const { checked, cases, worst } = await checkEvaluatorGradients(() => createReferenceEvaluator());
  assert.ok(checked >= cases * 20, `checked ${checked} components`);
  assert.ok(worst <= 1);
});
