// The engine API on the CPU backends: recovery of a known scene, frozen
// shapes, abort, best state, skipped non-finite steps, scene and target input.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_WEIGHTS,
  createEngine,
  createReferenceEvaluator,
  evaluateLoss,
  lrAt,
  runAdam,
  sceneToRaw,
  tauAt,
} from "../build/engine.mjs";

const SIZE = 64;
const EVAL_TAU = 0.5 / SIZE;
const BACKENDS = [
  { name: "reference", options: { backend: "reference" } },
  { name: "wasm (in-process)", options: { backend: "wasm", workers: 0 } },
];

const TRUE_SCENE = {
  version: 1,
  width: SIZE,
  height: SIZE,
  background: 1.0,
  shapes: [
    { type: "circle", cx: 0.35, cy: 0.4, r: 0.18, fill: 0.2 },
    { type: "triangle", points: [[0.55, 0.2], [0.85, 0.5], [0.5, 0.8]], fill: 0.6 },
  ],
};
const START_SCENE = {
  ...TRUE_SCENE,
  shapes: [
    { type: "circle", cx: 0.42, cy: 0.46, r: 0.14, fill: 0.4, name: "ball" },
    { type: "triangle", points: [[0.6, 0.26], [0.8, 0.55], [0.56, 0.72]], fill: 0.45 },
  ],
};
const THREE_SHAPES = {
  ...TRUE_SCENE,
  shapes: [
    ...START_SCENE.shapes,
    { type: "ellipse", cx: 0.3, cy: 0.7, rx: 0.12, ry: 0.08, angle: 0.3, fill: 0.8 },
  ],
};

/** An engine whose target is TRUE_SCENE rendered by the engine itself. */
async function toyEngine(options) {
  const engine = await createEngine(options);
  engine.setTarget({ data: new Float32Array(SIZE * SIZE).fill(1), width: SIZE, height: SIZE });
  const data = await engine.render(TRUE_SCENE, { tau: EVAL_TAU });
  engine.setTarget({ data, width: SIZE, height: SIZE });
  return engine;
}

const imageLoss = (b) => b.mse * DEFAULT_WEIGHTS.mse + b.edge * DEFAULT_WEIGHTS.edge + b.ssim * DEFAULT_WEIGHTS.ssim;

for (const { name, options } of BACKENDS) {
  test(`${name}: a circle + triangle target is recovered in 300 steps`, async () => {
    const engine = await toyEngine(options);
    engine.setScene(START_SCENE);
    const before = await engine.loss();
    const result = await engine.optimize({ steps: 300 });
    assert.equal(result.steps, 300);
    assert.equal(result.aborted, false);
    // the priors (perimeter ~0.002) are not part of the image match
    assert.ok(imageLoss(result.loss) < 1e-3, `image loss ${imageLoss(result.loss)} (start ${imageLoss(before)})`);
    const [circle, triangle] = result.scene.shapes;
    assert.ok(Math.hypot(circle.cx - 0.35, circle.cy - 0.4) < 0.01, JSON.stringify(circle));
    assert.ok(Math.abs(circle.r - 0.18) < 0.01, JSON.stringify(circle));
    assert.equal(circle.name, "ball");
    assert.ok(Math.abs(triangle.fill - 0.6) < 0.02, JSON.stringify(triangle));
    assert.deepEqual(engine.getScene(), result.scene);
    assert.equal((await engine.loss()).total, result.loss.total);
    engine.dispose();
  });

  test(`${name}: frozen shapes do not move at all`, async () => {
    const engine = await toyEngine(options);
    engine.setScene(THREE_SHAPES);
    const result = await engine.optimize({ steps: 25, frozen: [0, 2] });
    assert.deepEqual(result.scene.shapes[0], THREE_SHAPES.shapes[0]);
    assert.deepEqual(result.scene.shapes[2], THREE_SHAPES.shapes[2]);
    assert.notDeepEqual(result.scene.shapes[1], THREE_SHAPES.shapes[1]);
    engine.dispose();
  });

  test(`${name}: abort stops at once and keeps the best scene`, async () => {
    const engine = await toyEngine(options);
    engine.setScene(START_SCENE);
    const controller = new AbortController();
    const seen = [];
    const result = await engine.optimize({
      steps: 200,
      lr: 0.08,
      progressEvery: 1,
      signal: controller.signal,
      onProgress: (p) => {
        seen.push({ loss: p.loss, scene: p.getScene() });
        if (p.step === 30) controller.abort();
      },
    });
    assert.equal(result.aborted, true);
    assert.equal(result.steps, 30);
    const best = seen.reduce((b, s, k) => (s.loss < seen[b].loss ? k : b), 0);
    assert.equal(result.bestStep, best);
    assert.deepEqual(result.scene, seen[best].scene);
    assert.deepEqual(engine.getScene(), seen[best].scene);
    engine.dispose();
  });

  test(`${name}: an abort from a timer is seen while the run is in progress`, async () => {
    const engine = await toyEngine(options);
    engine.setScene(START_SCENE);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const result = await engine.optimize({ steps: 1_000_000, signal: controller.signal });
    assert.equal(result.aborted, true);
    assert.ok(result.steps > 0 && result.steps < 1_000_000, `${result.steps} steps`);
    engine.dispose();
  });

  test(`${name}: progress reports step, loss, schedules, scene and frame`, async () => {
    const engine = await toyEngine(options);
    engine.setScene(START_SCENE);
    const events = [];
    await engine.optimize({ steps: 25, progressEvery: 10, onProgress: (p) => events.push(p) });
    assert.deepEqual(events.map((p) => p.step), [10, 20, 25]);
    const last = events.at(-1);
    assert.equal(last.steps, 25);
    assert.equal(last.tau, tauAt(24, 25, 1 / SIZE, 0.5 / SIZE));
    assert.equal(last.lr, lrAt(24, 25, 0.02));
    assert.ok(last.stepsPerSecond > 0);
    assert.equal(last.breakdown.total, last.loss);
    const frame = await events[0].getFrame();
    assert.equal(frame.length, SIZE * SIZE);
    assert.deepEqual(frame, await engine.render(events[0].getScene()));
    engine.dispose();
  });
}

test("schedules: cosine LR from lr to lr/20, geometric tau", () => {
  assert.equal(lrAt(0, 100, 0.02), 0.02);
  assert.ok(Math.abs(lrAt(100, 100, 0.02) - 0.001) < 1e-15);
  assert.ok(Math.abs(lrAt(50, 100, 0.02) - 0.0105) < 1e-15);
  assert.equal(tauAt(0, 100, 1, 0.2), 1);
  assert.ok(Math.abs(tauAt(100, 100, 1, 0.2) - 0.2) < 1e-15);
  assert.ok(Math.abs(tauAt(50, 100, 1, 0.2) - Math.sqrt(0.2)) < 1e-15);
});

/** A runAdam set-up on the reference evaluator whose evaluate calls can be intercepted. */
async function adamSetup(intercept) {
  const evaluator = createReferenceEvaluator();
  const engine = await toyEngine({ backend: "reference" });
  const target = engine.getTarget();
  await evaluator.setTarget(target.data, target.width, target.height);
  const { raw, types } = sceneToRaw(START_SCENE);
  await evaluator.setTypes(types);
  let calls = 0;
  const evaluate = async (r, tau, wantGrad) => intercept(calls++, r, await evaluateLoss(evaluator, r, types, tau, DEFAULT_WEIGHTS, wantGrad));
  const run = (extra) =>
    runAdam({ evaluate, raw, steps: 40, lr: 0.05, tau0: 1 / SIZE, tau1: 0.2 / SIZE, frozen: new Set(), progressEvery: 10, ...extra });
  return { run, raw };
}

test("optimizer: the state restored is exactly the one with the lowest loss", async () => {
  const seen = [];
  const { run } = await adamSetup((call, r, out) => {
    seen.push({ loss: out.breakdown.total, raw: Float32Array.from(r) });
    return out;
  });
  const result = await run({ lr: 0.1 });
  const best = seen.reduce((b, s, k) => (s.loss < seen[b].loss ? k : b), 0);
  assert.equal(seen.length, 41, "40 steps and one final score");
  assert.equal(result.bestStep, best);
  assert.equal(result.bestLoss, seen[best].loss);
  assert.deepEqual(result.raw, seen[best].raw);
});

test("optimizer: a step with a non-finite loss or gradient is skipped", async () => {
  const trace = [];
  const { run, raw } = await adamSetup((call, r, out) => {
    trace.push(Float32Array.from(r));
    if (call === 3) return { breakdown: { ...out.breakdown, total: NaN }, grad: out.grad };
    if (call === 7) {
      const grad = Float64Array.from(out.grad);
      grad[0] = Infinity;
      return { breakdown: out.breakdown, grad };
    }
    return out;
  });
  const result = await run();
  assert.equal(result.skipped, 2);
  assert.deepEqual(trace[4], trace[3], "parameters moved on a NaN loss");
  assert.deepEqual(trace[8], trace[7], "parameters moved on an infinite gradient");
  assert.notDeepEqual(trace[5], trace[4]);
  assert.equal(result.steps, 40);
  assert.ok(result.raw.every(Number.isFinite));
  assert.ok(result.bestLoss < Infinity);
  assert.notDeepEqual(result.raw, raw);
});

test("setScene rejects malformed scenes with the offending field", async () => {
  const engine = await createEngine({ backend: "reference" });
  const bad = (shape) => ({ ...TRUE_SCENE, shapes: [shape] });
  assert.throws(() => engine.setScene(null), /invalid scene/);
  assert.throws(() => engine.setScene({ ...TRUE_SCENE, shapes: "x" }), /shapes: expected an array/);
  assert.throws(() => engine.setScene({ ...TRUE_SCENE, version: 2 }), /version/);
  assert.throws(() => engine.setScene(bad({ type: "square", cx: 0.5 })), /shapes\[0\]\.type/);
  assert.throws(() => engine.setScene(bad({ type: "circle", cx: 0.5, cy: 0.5, r: -1, fill: 0.5 })), /shapes\[0\]\.r/);
  assert.throws(() => engine.setScene(bad({ type: "circle", cx: "0.5", cy: 0.5, r: 0.1, fill: 0.5 })), /shapes\[0\]\.cx/);
  assert.throws(() => engine.setScene(bad({ type: "circle", cx: 0.5, cy: 0.5, r: 0.1, fill: 1.5 })), /shapes\[0\]\.fill/);
  assert.throws(() => engine.setScene(bad({ type: "circle", cx: 0.5, cy: 0.5, r: 0.1, fill: [1, 0] })), /shapes\[0\]\.fill: expected a grey number or \[r, g, b\] \(3 numbers\), got 2 numbers/);
  assert.throws(() => engine.setScene(bad({ type: "circle", cx: 0.5, cy: 0.5, r: 0.1, fill: [1, 0, 0, 1] })), /got 4 numbers/);
  assert.throws(() => engine.setScene(bad({ type: "circle", cx: 0.5, cy: 0.5, r: 0.1, fill: [1, 1.2, 0] })), /shapes\[0\]\.fill\[1\]: 1\.2 is above 1/);
  assert.throws(() => engine.setScene(bad({ type: "circle", cx: 0.5, cy: 0.5, r: 0.1, fill: [1, NaN, 0] })), /shapes\[0\]\.fill\[1\]: expected a finite number/);
  const mixed = { ...TRUE_SCENE, shapes: [{ type: "circle", cx: 0.5, cy: 0.5, r: 0.1, fill: [1, 0, 0] }, { type: "circle", cx: 0.5, cy: 0.5, r: 0.1, fill: 0.5 }] };
  assert.throws(() => engine.setScene(mixed), /shapes\[1\]\.fill: grey in a colour scene \(shapes\[0\]\.fill is \[r, g, b\]\)/);
  assert.throws(() => engine.setScene(bad({ type: "ellipse", cx: 0.5, cy: 0.5, rx: 0.1, ry: 0.1, fill: 0.5 })), /angle/);
  assert.throws(() => engine.setScene(bad({ type: "triangle", points: [[0, 0], [1, 1]], fill: 0.5 })), /points/);
  assert.throws(() => engine.setScene(bad({ type: "triangle", points: [[0, 0], [1, 1], [0.5, NaN]], fill: 0.5 })), /points\[2\]\[1\]/);
  engine.dispose();
});

test("setScene, render and loss reject a background outside [0, 1], non-numeric, of 2 numbers, or colour with grey fills", async () => {
  const engine = await toyEngine({ backend: "reference" });
  const cases = [
    [-0.1, /background: -0\.1 is below 0/],
    [1.5, /background: 1\.5 is above 1/],
    [NaN, /background: expected a finite number, got NaN/],
    ["x", /background: expected a finite number, got "x"/],
    [null, /background: expected a finite number, got null/],
    [[0.1, 0.2], /background: expected a grey number or \[r, g, b\] \(3 numbers\), got 2 numbers/],
    [[0.1, 0.2, 0.3], /shapes\[0\]\.fill: grey in a colour scene \(background is \[r, g, b\]\)/],
  ];
  for (const [background, message] of cases) {
    const scene = { ...TRUE_SCENE, background };
    assert.throws(() => engine.setScene(scene), message, `setScene, background ${JSON.stringify(background)}`);
    await assert.rejects(engine.render(scene), message, `render, background ${JSON.stringify(background)}`);
    await assert.rejects(engine.loss(scene), message, `loss, background ${JSON.stringify(background)}`);
  }
  for (const background of [0, 0.37, 1]) engine.setScene({ ...TRUE_SCENE, background });
  engine.dispose();
});

for (const { name, options } of BACKENDS) {
  test(`${name}: a grey background: getScene round-trips it, render/loss/optimize composite over it`, async () => {
    const engine = await toyEngine(options);
    const grey = { ...START_SCENE, background: 0.37 };
    engine.setScene(grey);
    assert.deepEqual(engine.getScene(), grey);
    assert.equal(engine.getScene().background, 0.37);
    // a scene without a background is white
    const { background: _, ...implicit } = START_SCENE;
    engine.setScene(implicit);
    assert.equal(engine.getScene().background, 1.0);

    // render: the corner, far from the shapes, is the background; grey = white - (1 - 0.37) * transmittance
    const white = await engine.render(START_SCENE);
    const image = await engine.render(grey);
    assert.ok(Math.abs(image[0] - 0.37) < 1e-3 && Math.abs(white[0] - 1) < 1e-3, `corner ${image[0]} / ${white[0]}`);
    // the current scene is white, the explicit argument grey, and the other way round
    assert.deepEqual(await engine.render(), white);
    assert.notDeepEqual((await engine.loss(grey)).total, (await engine.loss()).total);
    engine.setScene(grey);
    assert.deepEqual(await engine.render(), image);
    assert.deepEqual(await engine.render(START_SCENE), white);
    assert.deepEqual(await engine.render(), image);

    // optimize: against a target drawn over grey, the grey scene fits and the white one cannot
    engine.setTarget({ data: await engine.render({ ...TRUE_SCENE, background: 0.37 }, { tau: EVAL_TAU }), width: SIZE, height: SIZE });
    const frames = [];
    const result = await engine.optimize({ steps: 60, progressEvery: 60, onProgress: (p) => frames.push(p.getFrame()) });
    assert.equal(result.scene.background, 0.37);
    assert.equal(engine.getScene().background, 0.37);
    assert.ok(result.loss.mse < 0.5 * (await engine.loss(grey)).mse, `mse ${result.loss.mse}`);
    assert.equal((await engine.loss()).total, result.loss.total);
    const frame = await frames[0];
    assert.ok(Math.abs(frame[0] - 0.37) < 1e-3, `frame corner ${frame[0]}`);
    assert.ok((await engine.loss({ ...result.scene, background: 1 })).mse > 10 * result.loss.mse);
    engine.dispose();
  });
}

test("getScene returns the scene it was given, bitwise, until it is optimised", async () => {
  const engine = await toyEngine({ backend: "reference" });
  engine.setScene(THREE_SHAPES);
  assert.deepEqual(engine.getScene(), THREE_SHAPES);
  const result = await engine.optimize({ steps: 20 });
  assert.ok(result.bestStep > 0);
  assert.notDeepEqual(engine.getScene(), THREE_SHAPES);
  engine.dispose();
});

test("positions off the unit square are clamped into it, and reported clamped", async () => {
  const engine = await createEngine({ backend: "reference" });
  const scene = {
    ...TRUE_SCENE,
    shapes: [
      { type: "circle", cx: 1.2, cy: 0.5, r: 0.1, fill: 0.5, name: "off" },
      { type: "triangle", points: [[-0.1, 0.6], [0.3, 0.9], [0.4, 0.7]], fill: 0.3 },
      TRUE_SCENE.shapes[0],
    ],
  };
  engine.setScene(scene);
  const [circle, triangle, inside] = engine.getScene().shapes;
  assert.ok(circle.cx < 1 && circle.cx > 0.999, `cx ${circle.cx}`);
  assert.equal(circle.name, "off");
  assert.ok(triangle.points[0][0] > 0 && triangle.points[0][0] < 1e-3);
  assert.ok(Math.abs(triangle.points[1][0] - 0.3) < 1e-6);
  assert.deepEqual(inside, TRUE_SCENE.shapes[0]);
  engine.dispose();
});

test("setTarget turns RGBA bytes grey like PIL's convert('L')", async () => {
  const engine = await createEngine({ backend: "reference" });
  const rgb = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [12, 200, 99], [255, 255, 255], [128, 128, 128], [1, 2, 3], [250, 3, 77]];
  // values printed by PIL: Image.fromarray(rgb).convert("L")
  const pil = [76, 150, 29, 132, 255, 128, 2, 85];
  const rgba = new Uint8ClampedArray(rgb.flatMap((c) => [...c, 255]));
  engine.setTarget({ data: rgba, width: 8, height: 1 });
  assert.deepEqual(Array.from(engine.getTarget().data), pil.map((v) => Math.fround(v / 255)));
  assert.throws(() => engine.setTarget({ data: new Float32Array(7), width: 8, height: 1 }), /length/);
  assert.throws(() => engine.setTarget({ data: new Float32Array(8).fill(2), width: 8, height: 1 }), /outside/);
  engine.dispose();
});

test("optimize checks its options", async () => {
  const engine = await toyEngine({ backend: "reference" });
  engine.setScene(START_SCENE);
  await assert.rejects(engine.optimize({ frozen: [5] }), /frozen index 5/);
  await assert.rejects(engine.optimize({ steps: -1 }), /steps/);
  await assert.rejects(engine.optimize({ weights: { mse: 1, beauty: 2 } }), /beauty/);
  await assert.rejects(engine.optimize({ lr: 0 }), /lr/);
  engine.dispose();
});

test("createEngine names its backend and why", async () => {
  const reference = await createEngine({ backend: "reference" });
  assert.equal(reference.backend, "reference");
  assert.match(reference.backendReason, /reference/);
  const auto = await createEngine();
  assert.notEqual(auto.backend, "webgpu", "Node has no WebGPU adapter");
  assert.match(auto.backendReason, /WebGPU/);
  await assert.rejects(createEngine({ backend: "cuda" }), /unknown backend/);
});

test("auto runs on Wasm when the WebGPU adapter request never answers", async () => {
  const silent = { requestAdapter: () => new Promise(() => {}) };
  const engine = await createEngine({ backend: "auto", gpu: silent, workers: 0, adapterWaitMs: 200 });
  assert.equal(engine.backend, "wasm");
  assert.match(engine.backendReason, /adapter request did not answer within 0\.2 s/);
  engine.setTarget({ data: new Float32Array(16 * 16).fill(0.5), width: 16, height: 16 });
  engine.setScene({ shapes: [{ type: "circle", cx: 0.5, cy: 0.5, r: 0.2, fill: 0.2 }] });
  const result = await engine.optimize({ steps: 3 });
  assert.equal(result.steps, 3);
  engine.dispose();
});

test("a backend that gives up mid-run hands over to the fallback engine from the scene it reached", async () => {
  const { wrapBackend } = await import("../build/engine.mjs");
  const cpu = await toyEngine({ backend: "reference" });
  const target = cpu.getTarget();
  cpu.dispose();
  let disposed = false;
  const reached = { ...START_SCENE, shapes: [{ ...START_SCENE.shapes[0], cx: 0.4 }, START_SCENE.shapes[1]] };
  const failing = {
    backend: "webgpu",
    backendReason: "fake GPU",
    setTarget() {},
    setScene() {},
    getScene: () => START_SCENE,
    async optimize() {
      throw Object.assign(new Error("device lost"), { fallback: true, scene: reached, step: 40 });
    },
    async render() {
      throw new Error("not reached");
    },
    async loss() {
      throw new Error("not reached");
    },
    dispose() {
      disposed = true;
    },
  };
  const fallbackScenes = [];
  const engine = wrapBackend(failing, async (why) => {
    const next = await createEngine({ backend: "reference" });
    const setScene = next.setScene;
    next.setScene = (s) => {
      fallbackScenes.push(s);
      return setScene(s);
    };
    assert.match(why, /device lost/);
    return next;
  });
  engine.setTarget(target);
  engine.setScene(START_SCENE);
  const events = [];
  const result = await engine.optimize({ steps: 60, onProgress: (p) => events.push(p) });
  assert.equal(engine.backend, "reference");
  assert.ok(disposed);
  assert.deepEqual(fallbackScenes, [reached]);
  assert.equal(result.steps, 60);
  assert.deepEqual(events.map((p) => [p.step, p.steps]), [[50, 60], [60, 60]]);
  // the schedule goes on from step 40 of 60
  assert.equal(events[0].lr, lrAt(49, 60, 0.02));
  assert.equal(events[0].tau, tauAt(49, 60, 1 / SIZE, 0.5 / SIZE));
  assert.ok(result.loss.total < (await engine.loss(reached)).total);
});

test("the fallback engine takes over the background of the scene the failed backend reached", async () => {
  const { wrapBackend } = await import("../build/engine.mjs");
  const cpu = await toyEngine({ backend: "reference" });
  const target = cpu.getTarget();
  cpu.dispose();
  const reached = { ...START_SCENE, background: 0.37 };
  const failing = {
    backend: "webgpu",
    backendReason: "fake GPU",
    setTarget() {},
    setScene() {},
    getScene: () => reached,
    async optimize() {
      throw new Error("not reached");
    },
    async render() {
      throw Object.assign(new Error("device lost"), { fallback: true, scene: reached, step: 0 });
    },
    async loss() {
      throw new Error("not reached");
    },
    dispose() {},
  };
  const engine = wrapBackend(failing, () => createEngine({ backend: "reference" }));
  engine.setTarget(target);
  engine.setScene(reached);
  const image = await engine.render();
  assert.equal(engine.backend, "reference");
  assert.equal(engine.getScene().background, 0.37);
  assert.ok(Math.abs(image[0] - 0.37) < 1e-3, `corner ${image[0]}`);
  const result = await engine.optimize({ steps: 3 });
  assert.equal(result.scene.background, 0.37);
});
