// The widget's text lines: the loss line (its weighted parts add up to the total) and the progress line.

import { test } from "node:test";
import assert from "node:assert/strict";
import { lossParts, lossText, lossTitle } from "../ui/loss_text.js";

const REFERENCE = { mse: 1, edge: 0.1, ssim: 0.05, perimeter: 0.001, degeneracy: 0.1, canvas: 1 };

test("every weighted term of a large total is shown, and the parts sum to it", () => {
  // the 2000-shape case of issue 16: the canvas prior made most of the total
  const loss = { mse: 0.035, edge: 0.21, ssim: 0.37, perimeter: 880, degeneracy: 0.5, canvas: 10, total: 0 };
  loss.total = Object.keys(REFERENCE).reduce((s, k) => s + REFERENCE[k] * loss[k], 0);
  const parts = lossParts(loss, REFERENCE);
  assert.deepEqual(parts.map((p) => p.name), ["mse", "edge", "ssim", "perimeter", "degeneracy", "canvas"]);
  const sum = parts.reduce((s, p) => s + p.value, 0);
  assert.ok(Math.abs(sum - loss.total) < 1e-9);
  const text = lossText(loss, REFERENCE);
  for (const name of ["perimeter", "degeneracy", "canvas"]) assert.match(text, new RegExp(name));
  assert.match(text, /^loss 11\.\d{5} = mse 0\.03500 \+ edge 0\.02100 \+ ssim 0\.01850 \+ perimeter 0\.88000/);
  assert.match(lossTitle(loss, REFERENCE), /perimeter: 0\.001 × 880\.00000/);
});

test("terms that add 0 are left out; a loss without total reads as '-'", () => {
  const mseOnly = { mse: 1, edge: 0, ssim: 0, perimeter: 0, degeneracy: 0, canvas: 0 };
  const loss = { mse: 0.02, edge: 0.3, ssim: 0.4, perimeter: 2, degeneracy: 0, canvas: 0, total: 0.02 };
  assert.equal(lossText(loss, mseOnly), "loss 0.02000 = mse 0.02000");
  assert.equal(lossText({}, REFERENCE), "loss -");
});

test("progress after a search reads its own steps, never 'step 7750 / 20350' when done", async () => {
  const { progressText } = await import("../ui/progress_text.js");
  const done = progressText({ step: 7750, total: 20350, stepsPerSecond: 900, status: "done", search: true });
  assert.match(done.text, /^step 7750 \/ 7750 /);
  const long = progressText({ step: 41000, total: 20350, stepsPerSecond: 900, status: "running", search: true });
  assert.match(long.text, /^step 41000 \/ ~41000 /);
  assert.equal(long.total, 41000);
  const plain = progressText({ step: 350, total: 1000, stepsPerSecond: 10, status: "stopped", search: false });
  assert.match(plain.text, /^step 350 \/ 1000 /);
});
