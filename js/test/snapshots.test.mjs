// The animation snapshots: throttled, bounded, evenly thinned, the end kept.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createSnapshots } from "../ui/snapshots.js";

const scene = (k) => ({ version: 1, width: 8, height: 8, shapes: [{ type: "circle", cx: k / 1000, cy: 0.5, r: 0.1, fill: 0.2 }] });

test("offers closer than the interval are dropped; forced ones are kept", () => {
  let t = 0;
  const snaps = createSnapshots({ max: 10, everyMs: 100, now: () => t });
  snaps.offer(0, scene(0), 1);
  t = 50;
  snaps.offer(10, scene(10), 0.9);
  snaps.offer(20, scene(20), 0.8, true);
  assert.deepEqual(snaps.list().map((f) => f.step), [0, 20]);
});

test("a long run stays within the bound and keeps its start and end", () => {
  let t = 0;
  const snaps = createSnapshots({ max: 16, everyMs: 10, now: () => t });
  for (let step = 0; step <= 10000; step += 10) {
    t += 10;
    snaps.offer(step, scene(step), 1 / (step + 1));
  }
  snaps.offer(10000, scene(10000), 0, true);
  const steps = snaps.list().map((f) => f.step);
  assert.ok(steps.length >= 8 && steps.length <= 16, String(steps.length));
  assert.equal(steps[0], 0);
  assert.equal(steps[steps.length - 1], 10000);
  assert.deepEqual(steps, [...steps].sort((a, b) => a - b));
  // the kept scenes are copies: later changes to the caller's object do not leak in
  const s = scene(1);
  snaps.offer(10010, s, 0, true);
  s.shapes[0].cx = 0.99;
  assert.equal(snaps.list().at(-1).scene.shapes[0].cx, 0.001);
});
