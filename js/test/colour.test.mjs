// Colour (3-channel) pipelines: the Wasm kernel in-process, in row bands and
// in the Worker pool against the scalar reference; finite differences of every
// fill channel; a grey scene on an equal-channel target gives the grey loss;
// the engine's colour API (setTarget channels, promotion, bad input).

import { test } from "node:test";
import assert from "node:assert/strict";
import { STRIDE, createEngine, createReferenceEvaluator, createWasmEvaluator, mulberry32, sceneToRaw, toTarget } from "../build/engine.mjs";
import { FD_SCENE_RGB, checkEvaluatorGradients } from "./fd.mjs";
import { spawnNodeWorker } from "./node-worker.mjs";

const WEIGHTS = { mse: 1, edge: 0.1, ssim: 0.05 };

function rgbScene(width, height, count, seed, background = [0.9, 0.95, 0.8]) {
  const r = mulberry32(seed);
  const u = (a, b) => a + (b - a) * r();
  const shapes = [];
  for (let i = 0; i < count; i++) {
    const fill = [u(0.05, 0.95), u(0.05, 0.95), u(0.05, 0.95)];
    if (i % 3 === 0) shapes.push({ type: "circle", cx: u(0.1, 0.9), cy: u(0.1, 0.9), r: u(0.05, 0.3), fill });
    else if (i % 3 === 1) shapes.push({ type: "ellipse", cx: u(0.1, 0.9), cy: u(0.1, 0.9), rx: u(0.05, 0.3), ry: u(0.05, 0.3), angle: u(-3, 3), fill });
    else shapes.push({ type: "triangle", points: [[u(0.05, 0.95), u(0.05, 0.95)], [u(0.05, 0.95), u(0.05, 0.95)], [u(0.05, 0.95), u(0.05, 0.95)]], fill });
  }
  return { version: 1, width, height, background, shapes };
}

function rgbTarget(width, height, seed) {
  const r = mulberry32(seed);
  const data = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const i = p % width;
    const j = Math.floor(p / width);
    for (let c = 0; c < 3; c++) data[3 * p + c] = Math.min(1, Math.max(0, 0.5 + 0.4 * Math.sin(0.3 * i + c) * Math.cos(0.25 * j - c) + 0.05 * (r() - 0.5)));
  }
  return data;
}

async function ready(evaluator, target, width, height, types, background) {
  await evaluator.setTarget(target, width, height, 3);
  await evaluator.setTypes(types);
  await evaluator.setBackground(background);
  return evaluator;
}

function close(actual, expected, { atol, rtol }, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(...Array.from(expected, Math.abs));
  for (let q = 0; q < expected.length; q++) {
    const err = Math.abs(actual[q] - expected[q]);
    assert.ok(err <= atol * scale + rtol * Math.abs(expected[q]), `${what}[${q}]: ${actual[q]} vs ${expected[q]}`);
  }
}

test("colour: Wasm in-process, 3 bands and 2 Workers match the reference (render, terms, every gradient slot)", async () => {
  const width = 41;
  const height = 29;
  const scene = rgbScene(width, height, 9, 5);
  const target = rgbTarget(width, height, 6);
  const { raw, types } = sceneToRaw(scene);
  const ref = await ready(createReferenceEvaluator(), target, width, height, types, scene.background);
  const local = await ready(await createWasmEvaluator({ workers: 0 }), target, width, height, types, scene.background);
  const bands = await ready(await createWasmEvaluator({ workers: 0, bands: 3 }), target, width, height, types, scene.background);
  const pool = await ready(await createWasmEvaluator({ workers: 2, spawnWorker: spawnNodeWorker }), target, width, height, types, scene.background);
  try {
    for (const pixels of [1, 0.3]) {
      const tau = pixels / width;
      const oracle = await ref.render(raw, tau);
      assert.equal(oracle.length, width * height * 3);
      const expected = await ref.evaluate(raw, tau, WEIGHTS, true);
      // the fill gradient reaches every channel
      for (let i = 0; i < types.length; i++) for (const k of [7, 8, 9]) assert.notEqual(expected.grad[i * STRIDE + k], 0);
      for (const [name, ev] of [["in-process", local], ["3 bands", bands], ["pool", pool]]) {
        close(await ev.render(raw, tau), oracle, { atol: 1e-5, rtol: 0 }, `${name} render`);
        const actual = await ev.evaluate(raw, tau, WEIGHTS, true);
        for (const key of ["mse", "edge", "ssim"]) {
          assert.ok(Math.abs(actual.terms[key] - expected.terms[key]) <= 1e-4 * Math.abs(expected.terms[key]), `${name} ${key}`);
        }
        close(actual.grad, expected.grad, { atol: 2e-4, rtol: 1e-3 }, `${name} tau ${pixels}px grad`);
      }
    }
  } finally {
    pool.dispose();
  }
});

test("colour: Wasm gradients match central differences for every geometry slot and fill channel", async () => {
  const { checked, cases, worst } = await checkEvaluatorGradients(() => createWasmEvaluator({ workers: 0 }), {
    rawType: Float32Array,
    h: 1e-3,
    rtol: 1e-2,
    atol: 1e-3,
    scene: FD_SCENE_RGB,
  });
  assert.equal(checked, cases * (6 + 8 + 9 + 9));
  assert.ok(worst <= 1);
});

for (const backend of ["reference", "wasm"]) {
  test(`colour (${backend}): a grey scene on an equal-channel target gives the grey loss to 1e-6`, async () => {
    const width = 36;
    const height = 28;
    const grey = new Float32Array(width * height);
    for (let p = 0; p < grey.length; p++) grey[p] = 0.5 + 0.4 * Math.sin(0.37 * p) * Math.cos(0.011 * p);
    const rgb = new Float32Array(3 * grey.length);
    for (let p = 0; p < grey.length; p++) rgb.fill(grey[p], 3 * p, 3 * p + 3);
    const scene = { ...rgbScene(width, height, 7, 9, 0.95) };
    scene.shapes = scene.shapes.map((s) => ({ ...s, fill: s.fill[0] }));
    const options = backend === "wasm" ? { backend, workers: 0 } : { backend };
    const a = await createEngine(options);
    a.setTarget({ data: grey, width, height });
    a.setScene(scene);
    const b = await createEngine(options);
    b.setTarget({ data: rgb, width, height, channels: 3 });
    b.setScene(scene); // promoted to its equal colour scene
    assert.ok(Array.isArray(b.getScene().shapes[0].fill) && b.getScene().background.length === 3);
    const la = await a.loss();
    const lb = await b.loss();
    for (const key of Object.keys(la)) assert.ok(Math.abs(la[key] - lb[key]) <= 1e-6 * Math.max(1, Math.abs(la[key])), `${key}: ${la[key]} vs ${lb[key]}`);
    const ra = await a.render();
    const rb = await b.render();
    for (let p = 0; p < ra.length; p++) for (let c = 0; c < 3; c++) assert.ok(Math.abs(rb[3 * p + c] - ra[p]) < 1e-6);
    a.dispose();
    b.dispose();
  });
}

test("colour: a new target of other channels repacks the scene (grey to its equal colour scene; colour on grey dropped)", async () => {
  const width = 20;
  const height = 16;
  const grey = new Float32Array(width * height).fill(0.4);
  const rgb = new Float32Array(3 * width * height).fill(0.4);
  const scene = rgbScene(width, height, 3, 5, 0.9);
  scene.shapes = scene.shapes.map((s) => ({ ...s, fill: s.fill[1] }));
  const engine = await createEngine({ backend: "reference" });
  engine.setTarget({ data: grey, width, height });
  engine.setScene(scene);
  engine.setTarget({ data: rgb, width, height, channels: 3 });
  const promoted = engine.getScene();
  assert.deepEqual(promoted.background, [0.9, 0.9, 0.9]);
  assert.equal(promoted.shapes.length, 3);
  promoted.shapes.forEach((shape, i) => {
    for (const v of shape.fill) assert.ok(Math.abs(v - scene.shapes[i].fill) < 1e-6, `shape ${i}: ${shape.fill}`);
  });
  engine.setTarget({ data: rgb, width, height, channels: 3 }); // same channels: the scene as it is
  assert.deepEqual(engine.getScene(), promoted);
  engine.setTarget({ data: grey, width, height });
  assert.equal(engine.getScene().shapes.length, 0);
  engine.dispose();
});

test("colour: the engine optimises RGB fills towards a colour target and reports colour scenes", async () => {
  const width = 32;
  const height = 24;
  const truth = rgbScene(width, height, 4, 13, [0.2, 0.3, 0.4]);
  const ref = await createEngine({ backend: "reference" });
  const engine = await createEngine({ backend: "wasm", workers: 0 });
  ref.setTarget({ data: new Float32Array(width * height * 3), width, height, channels: 3 });
  const target = await ref.render(truth);
  engine.setTarget({ data: target, width, height, channels: 3 });
  const start = structuredClone(truth);
  for (const s of start.shapes) s.fill = [0.5, 0.5, 0.5];
  engine.setScene(start);
  const before = await engine.loss();
  const result = await engine.optimize({ steps: 120, weights: { perimeter: 0, degeneracy: 0, canvas: 0 } });
  assert.ok(result.loss.mse < 0.2 * before.mse, `mse ${before.mse} -> ${result.loss.mse}`);
  for (const s of result.scene.shapes) assert.equal(s.fill.length, 3);
  assert.deepEqual(result.scene.background, [0.2, 0.3, 0.4]);
  ref.dispose();
  engine.dispose();
});

test("colour: setTarget checks channels and colour data; colour scenes need a colour target", async () => {
  const engine = await createEngine({ backend: "reference" });
  const w = 4;
  const h = 3;
  assert.throws(() => engine.setTarget({ data: new Float32Array(w * h * 3).fill(NaN), width: w, height: h, channels: 3 }), /value NaN at 0 is outside \[0, 1\]/);
  assert.throws(() => engine.setTarget({ data: new Float32Array(w * h), width: w, height: h, channels: 3 }), /RGB data must have length 3\*width\*height = 36, got 12/);
  assert.throws(() => engine.setTarget({ data: new Float32Array(w * h * 3), width: w, height: h, channels: 2 }), /channels must be 1, 3 or "auto"/);
  const rgba = new Uint8ClampedArray(4 * w * h).fill(255);
  assert.equal(toTarget({ data: rgba, width: w, height: h, channels: "auto" }).channels, 1);
  rgba[0] = 0;
  const auto = toTarget({ data: rgba, width: w, height: h, channels: "auto" });
  assert.equal(auto.channels, 3);
  assert.deepEqual(Array.from(auto.data.subarray(0, 3)), [0, 1, 1]);
  engine.setTarget({ data: new Float32Array(w * h), width: w, height: h });
  const colour = { version: 1, width: w, height: h, shapes: [{ type: "circle", cx: 0.5, cy: 0.5, r: 0.2, fill: [1, 0, 0] }] };
  assert.throws(() => engine.setScene(colour), /the scene is in colour .* but the target is grey/);
  await assert.rejects(engine.render(colour), /but the target is grey/);
  engine.setTarget({ data: new Float32Array(w * h * 3), width: w, height: h, channels: 3 });
  engine.setScene(colour);
  assert.equal((await engine.render()).length, w * h * 3);
  // back to grey: the colour scene cannot stay
  engine.setTarget({ data: new Float32Array(w * h), width: w, height: h });
  await assert.rejects(engine.optimize({ steps: 1 }), /setScene\(\) must be called first/);
  engine.dispose();
});

test("colour: a backend whose setTarget fails with a fallback error hands the target and the scene to Wasm", async () => {
  const { wrapBackend } = await import("../build/engine.mjs");
  const gpuLike = await createEngine({ backend: "reference" });
  let disposed = false;
  const fake = {
    ...gpuLike,
    backend: "webgpu",
    setTarget(t) {
      if (t.channels !== 1) throw Object.assign(new Error("colour targets run on the Wasm kernel"), { fallback: true });
    },
    getScene: () => ({ version: 1, width: 4, height: 3, shapes: [{ type: "circle", cx: 0.5, cy: 0.5, r: 0.2, fill: 0.3 }] }),
    dispose: () => (disposed = true),
  };
  const engine = wrapBackend(fake, () => createEngine({ backend: "wasm", workers: 0 }));
  engine.setTarget({ data: new Float32Array(4 * 3), width: 4, height: 3 });
  assert.equal(engine.backend, "webgpu");
  await engine.setTarget({ data: new Float32Array(4 * 3 * 3), width: 4, height: 3, channels: 3 });
  assert.equal(engine.backend, "wasm");
  assert.ok(disposed);
  assert.deepEqual(engine.getScene().shapes[0].fill, [0.3, 0.3, 0.3]);
  engine.dispose();
});

test("colour: the shape search grows a colour drawing with colour fills from the error (screened drafts)", async () => {
  const width = 40;
  const height = 30;
  const truth = {
    version: 1,
    width,
    height,
    background: [0.9, 0.9, 0.7],
    shapes: [
      { type: "circle", cx: 0.3, cy: 0.4, r: 0.2, fill: [0.9, 0.1, 0.1] },
      { type: "ellipse", cx: 0.7, cy: 0.6, rx: 0.2, ry: 0.1, angle: 0.3, fill: [0.1, 0.2, 0.9] },
    ],
  };
  const engine = await createEngine({ backend: "wasm", workers: 0 });
  engine.setTarget({ data: new Float32Array(width * height * 3), width, height, channels: 3 });
  const target = await engine.render(truth);
  engine.setTarget({ data: target, width, height, channels: 3 });
  const mean = [0, 1, 2].map((c) => target.filter((_, q) => q % 3 === c).reduce((a, b) => a + b, 0) / (width * height));
  engine.setScene({ version: 1, width, height, background: mean, shapes: [] });
  const before = await engine.loss(undefined, { weights: { edge: 0, ssim: 0, perimeter: 0, degeneracy: 0, canvas: 0 } });
  const result = await engine.refine({ maxShapes: 2, seed: 3, polishSteps: 50, reoptimizeSteps: 30 });
  const scene = engine.getScene();
  assert.equal(scene.shapes.length, 2, JSON.stringify(result.stopped));
  for (const s of scene.shapes) assert.equal(s.fill.length, 3);
  const after = await engine.loss(undefined, { weights: { edge: 0, ssim: 0, perimeter: 0, degeneracy: 0, canvas: 0 } });
  assert.ok(after.mse < 0.3 * before.mse, `mse ${before.mse} -> ${after.mse}`);
  // a red draft landed on the red disc
  const red = scene.shapes.find((s) => s.fill[0] > 0.6 && s.fill[1] < 0.4);
  assert.ok(red, JSON.stringify(scene.shapes.map((s) => s.fill)));
  engine.dispose();
});
