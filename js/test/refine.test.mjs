// Greedy shape search (engine.refine) and its proposals.
// Needs the built bundle: `cd js && npm run build`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createEngine } from "../build/engine.mjs";
import { SHAPE_TYPES, mulberry32, proposeFromError, proposeRandom } from "../engine/proposals.js";

const SIZE = 64;
const EVAL_TAU = 0.5 / SIZE;

// Six shapes, two of them given as the start. The four missing ones, by the
// squared error they leave, come in the order of the type cycle (circle,
// ellipse, triangle, circle), so a search that finds the worst blob each
// round can rebuild the scene within the budget of 8.
const TRUE_SCENE = {
  version: 1,
  width: SIZE,
  height: SIZE,
  background: 1.0,
  shapes: [
    { type: "ellipse", cx: 0.3, cy: 0.3, rx: 0.16, ry: 0.1, angle: 0.4, fill: 0.2 },
    { type: "circle", cx: 0.72, cy: 0.28, r: 0.13, fill: 0.3 },
    { type: "ellipse", cx: 0.3, cy: 0.75, rx: 0.14, ry: 0.07, angle: -0.3, fill: 0.35 },
    { type: "circle", cx: 0.7, cy: 0.72, r: 0.14, fill: 0.55 },
    { type: "triangle", points: [[0.48, 0.42], [0.6, 0.5], [0.46, 0.58]], fill: 0.1 },
    { type: "circle", cx: 0.88, cy: 0.5, r: 0.05, fill: 0.05 },
  ],
};

async function engineWithTarget(scene = TRUE_SCENE) {
  const engine = await createEngine({ backend: "wasm", workers: 0 });
  // The render needs a canvas size; a blank target gives it.
  await engine.setTarget({ data: new Float32Array(SIZE * SIZE).fill(1), width: SIZE, height: SIZE });
  const data = await engine.render(scene, { tau: EVAL_TAU });
  await engine.setTarget({ data, width: SIZE, height: SIZE });
  return engine;
}

const lossOf = async (engine, scene) => (await engine.loss(scene, { tau: EVAL_TAU })).total;

test("mulberry32 is reproducible and uniform-looking", () => {
  const a = mulberry32(7);
  const b = mulberry32(7);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(
    xs,
    Array.from({ length: 1000 }, () => b()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, mulberry32(8)));
});

test("random proposals follow the reference ranges", () => {
  const rng = mulberry32(1);
  for (let k = 0; k < 300; k++) {
    const type = SHAPE_TYPES[k % 3];
    const { shape } = proposeRandom(type, rng);
    assert.equal(shape.type, type);
    assert.ok(shape.fill >= 0.05 && shape.fill <= 0.55);
    if (type === "triangle") {
      for (const [x, y] of shape.points) assert.ok(x >= 0.05 && x <= 0.95 && y >= 0.05 && y <= 0.95);
    } else {
      assert.ok(shape.cx >= 0.15 && shape.cx <= 0.85 && shape.cy >= 0.15 && shape.cy <= 0.85);
    }
    if (type === "circle") assert.ok(shape.r >= 0.04 && shape.r <= 0.12);
  }
});

test("error proposal lands on the missing blob, sized and filled from the target", () => {
  const n = SIZE * SIZE;
  const image = new Float32Array(n).fill(1);
  const target = new Float32Array(n).fill(1);
  // A dark elongated blob (an axis-aligned ellipse, 0.2 x 0.08) centred at (0.3, 0.65).
  for (let j = 0; j < SIZE; j++) {
    for (let i = 0; i < SIZE; i++) {
      const x = (i + 0.5) / SIZE - 0.3;
      const y = (j + 0.5) / SIZE - 0.65;
      if ((x / 0.2) ** 2 + (y / 0.08) ** 2 <= 1) target[j * SIZE + i] = 0.25;
    }
  }
  const { shape, site } = proposeFromError("ellipse", { image, target, width: SIZE, height: SIZE });
  assert.ok(Math.abs(shape.cx - 0.3) < 0.02 && Math.abs(shape.cy - 0.65) < 0.02, JSON.stringify(shape));
  assert.ok(shape.rx > 0.14 && shape.rx < 0.26 && shape.ry > 0.05 && shape.ry < 0.12, JSON.stringify(shape));
  assert.ok(Math.abs(Math.sin(shape.angle)) < 0.1, `major axis along x, angle ${shape.angle}`);
  assert.ok(Math.abs(shape.fill - 0.25) < 0.05, `fill ${shape.fill}`);

  // With that site marked as tried, the next proposal goes elsewhere.
  target.fill(1);
  for (let p = 0; p < n; p++) {
    const x = ((p % SIZE) + 0.5) / SIZE;
    const y = (Math.floor(p / SIZE) + 0.5) / SIZE;
    if ((x - 0.3) ** 2 + (y - 0.65) ** 2 < 0.1 ** 2) target[p] = 0.2;
    if ((x - 0.75) ** 2 + (y - 0.25) ** 2 < 0.06 ** 2) target[p] = 0.4;
  }
  const first = proposeFromError("circle", { image, target, width: SIZE, height: SIZE });
  assert.ok(Math.abs(first.shape.cx - 0.3) < 0.03, JSON.stringify(first.shape));
  const second = proposeFromError("circle", { image, target, width: SIZE, height: SIZE, tabu: [first.site] });
  assert.ok(Math.abs(second.shape.cx - 0.75) < 0.03 && Math.abs(second.shape.cy - 0.25) < 0.03, JSON.stringify(second.shape));
  assert.ok(Math.abs(second.shape.r - 0.06) < 0.02, JSON.stringify(second.shape));
});

test("refine from 2 shapes recovers the 6-shape scene's loss within 10% (budget 8)", async () => {
  const engine = await engineWithTarget();
  const trueLoss = await lossOf(engine, TRUE_SCENE);
  const start = { ...TRUE_SCENE, shapes: [TRUE_SCENE.shapes[0], { ...TRUE_SCENE.shapes[3], cx: 0.6, cy: 0.6 }] };
  engine.setScene(start);
  const rounds = [];
  // the target is drawn with the classic kinds: the search may use only those
  const types = ["circle", "ellipse", "triangle"];
  const result = await engine.refine({ maxShapes: 8, seed: 1, loss: "reference", types, onRound: (r) => rounds.push(r) });
  assert.ok(result.scene.shapes.length <= 8);
  assert.equal(result.rounds.length, rounds.length);
  assert.equal(result.loss, await lossOf(engine, result.scene));
  assert.ok(
    result.loss <= 1.1 * trueLoss,
    `refined loss ${result.loss} vs true ${trueLoss}: ${JSON.stringify(result.rounds)}`,
  );
  // Each accepted round lowered the loss; the log is consistent with the result.
  for (const r of result.rounds) {
    assert.equal(r.accepted, r.lossAfter < r.lossBefore);
    assert.ok(SHAPE_TYPES.includes(r.type), r.type);
  }
  assert.equal(result.accepted + result.rejected, result.rounds.length);
  assert.equal(result.scene.shapes.length, 2 + result.accepted);
  engine.dispose?.();
});

test("a rejected candidate leaves the scene exactly as before the round", async () => {
  const engine = await engineWithTarget();
  // The true scene is already optimal, so random dark candidates are rejected;
  // the re-optimisation still moves the other shapes during the trial.
  engine.setScene(TRUE_SCENE);
  const seen = [];
  const result = await engine.refine({
    maxShapes: 10,
    initialSteps: 0,
    settleSteps: 5,
    reoptimizeSteps: 10,
    polishSteps: 0,
    maxRejects: 3,
    proposal: "random",
    seed: 3,
    onRound: (r) => seen.push(r),
  });
  assert.equal(result.stopped, "rejects");
  assert.equal(seen.length, 3);
  for (const r of seen) {
    assert.equal(r.accepted, false);
    assert.ok(r.lossAfter >= r.lossBefore);
    assert.deepEqual(r.scene, TRUE_SCENE);
  }
  assert.deepEqual(result.scene, TRUE_SCENE);
  assert.deepEqual(engine.getScene(), TRUE_SCENE);
  engine.dispose?.();
});

test("the same seed gives the same rounds; another seed does not", async () => {
  const engine = await engineWithTarget();
  const start = { ...TRUE_SCENE, shapes: TRUE_SCENE.shapes.slice(0, 2) };
  const go = async (seed) => {
    engine.setScene(start);
    return engine.refine({
      maxShapes: 5,
      initialSteps: 20,
      settleSteps: 10,
      reoptimizeSteps: 10,
      polishSteps: 20,
      proposal: "random",
      seed,
    });
  };
  const a = await go(11);
  const b = await go(11);
  const c = await go(12);
  assert.deepEqual(a.rounds, b.rounds);
  assert.deepEqual(a.scene, b.scene);
  assert.notDeepEqual(
    a.rounds.map((r) => r.lossAfter),
    c.rounds.map((r) => r.lossAfter),
  );
  engine.dispose?.();
});

test("abort stops promptly and keeps the best accepted scene", async () => {
  const engine = await engineWithTarget();
  engine.setScene({ ...TRUE_SCENE, shapes: TRUE_SCENE.shapes.slice(0, 2) });
  const controller = new AbortController();
  const accepted = [];
  const result = await engine.refine({
    maxShapes: 30,
    maxRejects: 30,
    initialSteps: 20,
    settleSteps: 10,
    reoptimizeSteps: 20,
    signal: controller.signal,
    onRound: (r) => {
      if (r.accepted) accepted.push(r.scene);
      if (r.round === 2) controller.abort();
    },
  });
  assert.equal(result.stopped, "aborted");
  assert.equal(result.rounds.length, 2);
  const best = accepted.at(-1) ?? result.scene;
  assert.deepEqual(result.scene, best);
  assert.deepEqual(engine.getScene(), best);
  engine.dispose?.();
});

test("refine rejects bad options", async () => {
  const engine = await engineWithTarget();
  engine.setScene(TRUE_SCENE);
  await assert.rejects(engine.refine({ proposal: "psychic" }), /proposal/);
  await assert.rejects(engine.refine({ maxShapes: -1 }), /maxShapes/);
  engine.dispose?.();
});

test("abort inside a round's optimiser run stops there and keeps the accepted scene", async () => {
  const engine = await engineWithTarget();
  engine.setScene({ ...TRUE_SCENE, shapes: TRUE_SCENE.shapes.slice(0, 2) });
  const controller = new AbortController();
  const phases = [];
  let lastTotal = -1;
  const result = await engine.refine({
    maxShapes: 8,
    initialSteps: 30,
    settleSteps: 20,
    reoptimizeEvery: 1,
    reoptimizeSteps: 200,
    progressEvery: 5,
    signal: controller.signal,
    onProgress: (p) => {
      assert.ok(p.totalStep > lastTotal, "totalStep grows over the whole search");
      lastTotal = p.totalStep;
      phases.push(p.phase);
      if (p.phase === "reoptimize" && p.step === 50) controller.abort();
    },
  });
  assert.equal(result.stopped, "aborted");
  assert.equal(result.rounds.length, 0);
  assert.ok(!phases.includes("polish"));
  assert.equal(phases.filter((p) => p === "reoptimize").length, 10, "no progress after the abort");
  assert.equal(result.scene.shapes.length, 2);
  assert.deepEqual(engine.getScene(), result.scene);
  engine.dispose?.();
});

test("refine works on a non-square target", async () => {
  const W = 48;
  const H = 32;
  const engine = await createEngine({ backend: "wasm", workers: 0 });
  await engine.setTarget({ data: new Float32Array(W * H).fill(1), width: W, height: H });
  const truth = {
    version: 1,
    width: W,
    height: H,
    background: 1.0,
    shapes: [
      { type: "ellipse", cx: 0.3, cy: 0.5, rx: 0.15, ry: 0.1, angle: 0.3, fill: 0.2 },
      { type: "circle", cx: 0.72, cy: 0.35, r: 0.12, fill: 0.1 },
      { type: "ellipse", cx: 0.75, cy: 0.8, rx: 0.12, ry: 0.05, angle: -0.2, fill: 0.45 },
    ],
  };
  const data = await engine.render(truth, { tau: 0.5 / W });
  await engine.setTarget({ data, width: W, height: H });
  engine.setScene({ ...truth, shapes: truth.shapes.slice(0, 1) });
  const result = await engine.refine({ maxShapes: 3, polishSteps: 200 });
  assert.equal(result.scene.width, W);
  assert.equal(result.scene.height, H);
  assert.equal(result.accepted, 2, JSON.stringify(result.rounds));
  const trueLoss = (await engine.loss(truth, { tau: 0.5 / W })).total;
  assert.ok(result.loss < 1.1 * trueLoss, `loss ${result.loss} vs true ${trueLoss}`);
  engine.dispose?.();
});
