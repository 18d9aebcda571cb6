// Per-shape opacity (issue 10) in the CPU backends: finite-difference checks
// of the opacity slot and of every other slot under a < 1 (reference in
// float64, Wasm in float32), the Wasm kernel against the reference on scenes
// of every kind with opacity < 1 (grey and colour), opaque shapes keeping a
// fixed opacity with no gradient, the wire format and bad input. WebGPU:
// js/test/webgpu.test.mjs and tests/e2e/test_webgpu.py.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  OPACITY_SLOT,
  OPAQUE,
  STRIDE,
  asColourScene,
  createEngine,
  createReferenceEvaluator,
  createWasmEvaluator,
  mulberry32,
  packScene,
  rawToShapes,
  sceneToRaw,
} from "../build/engine.mjs";
import { mapModel, recordingEngine } from "./fake_engine.mjs";
import { checkEvaluatorGradients } from "./fd.mjs";
import { spawnNodeWorker } from "./node-worker.mjs";

/** Every kind translucent (the ellipse almost opaque), and one opaque circle on top. */
export const OPACITY_SCENE = Object.freeze({
  version: 1,
  width: 26,
  height: 20,
  background: 1.0,
  shapes: [
    { type: "circle", cx: 0.1, cy: 0.4, r: 0.13, fill: 0.2, opacity: 0.6 },
    { type: "ellipse", cx: 0.55, cy: 0.72, rx: 0.18, ry: 0.3, angle: 0.4, fill: 0.7, opacity: 0.95 },
    { type: "triangle", points: [[0.3, 0.2], [0.8, 0.35], [0.45, 0.75]], fill: 0.1, opacity: 0.5 },
    { type: "rect", cx: 0.6, cy: 0.45, w: 0.35, h: 0.2, angle: 0.5, fill: 0.85, opacity: 0.3 },
    { type: "curve", points: [[0.1, 0.9], [0.5, 0.1], [0.9, 0.7]], width: 0.07, fill: 0.05, opacity: 0.7 },
    { type: "circle", cx: 0.75, cy: 0.3, r: 0.1, fill: 0.4 },
  ],
});

const OPACITY_SCENE_RGB = Object.freeze({
  ...OPACITY_SCENE,
  background: [0.9, 0.8, 0.95],
  shapes: OPACITY_SCENE.shapes.map((s, i) => ({ ...s, fill: [s.fill, 0.2 + 0.13 * i, 0.9 - 0.13 * i] })),
});

// geometry slots of the scene's kinds, fills and the five translucent opacities
const GEOMETRY = 3 + 5 + 6 + 5 + 7 + 3;

test("reference evaluator: opacity and every other slot under opacity < 1 match central differences", async () => {
  const grey = await checkEvaluatorGradients(() => createReferenceEvaluator(), { scene: OPACITY_SCENE });
  assert.equal(grey.checked, grey.cases * (GEOMETRY + 6 + 5));
  assert.ok(grey.worst <= 1);
  const rgb = await checkEvaluatorGradients(() => createReferenceEvaluator(), { scene: OPACITY_SCENE_RGB });
  assert.equal(rgb.checked, rgb.cases * (GEOMETRY + 18 + 5));
  assert.ok(rgb.worst <= 1);
});

test("wasm kernel: opacity gradients match central differences (float32, grey and colour)", async () => {
  for (const scene of [OPACITY_SCENE, { ...OPACITY_SCENE, background: 0.3 }, OPACITY_SCENE_RGB]) {
    const channels = Array.isArray(scene.background) ? 3 : 1;
    const { checked, cases, worst } = await checkEvaluatorGradients(() => createWasmEvaluator({ workers: 0 }), {
      rawType: Float32Array,
      h: 1e-3,
      rtol: 1e-2,
      atol: 1e-3,
      scene,
    });
    assert.equal(checked, cases * (GEOMETRY + 6 * channels + 5));
    assert.ok(worst <= 1);
  }
});

function randomTranslucentScene(width, height, count, seed) {
  const r = mulberry32(seed);
  const u = (a, b) => a + (b - a) * r();
  const p = () => [u(0.05, 0.95), u(0.05, 0.95)];
  const shapes = [];
  for (let i = 0; i < count; i++) {
    const common = { fill: u(0.05, 0.95), ...(i % 4 === 3 ? {} : { opacity: u(0.2, 0.95) }) };
    const kind = i % 5;
    if (kind === 0) shapes.push({ type: "circle", cx: u(0.1, 0.9), cy: u(0.1, 0.9), r: u(0.05, 0.3), ...common });
    else if (kind === 1) shapes.push({ type: "ellipse", cx: u(0.1, 0.9), cy: u(0.1, 0.9), rx: u(0.05, 0.35), ry: u(0.05, 0.35), angle: u(-3, 3), ...common });
    else if (kind === 2) shapes.push({ type: "triangle", points: [p(), p(), p()], ...common });
    else if (kind === 3) shapes.push({ type: "rect", cx: u(0.1, 0.9), cy: u(0.1, 0.9), w: u(0.05, 0.5), h: u(0.05, 0.5), angle: u(-3, 3), ...common });
    else shapes.push({ type: "curve", points: [p(), p(), p()], width: u(0.02, 0.12), ...common });
  }
  return { version: 1, width, height, background: u(0.2, 1), shapes };
}

function patternTarget(width, height, channels, seed) {
  const r = mulberry32(seed);
  return Float32Array.from({ length: width * height * channels }, () => r());
}

/**
 * Outside its box the kernel leaves out a shape's opacity gradient (alpha is
 * the constant a * 4.5e-5 there, docs/engine.md), so the opacity slots get
 * an allowance of that size: 4.5e-5 of |g| (fill - below) summed over the
 * whole image, bounded by the image's adjoint mass.
 */
function assertCloseToReference(actual, expected, n, types, what, adjointMass) {
  for (const key of ["mse", "edge", "ssim"]) {
    const err = Math.abs(actual.terms[key] - expected.terms[key]) / Math.max(1e-6, Math.abs(expected.terms[key]));
    assert.ok(err <= 1e-4, `${what}: ${key} ${actual.terms[key]} vs ${expected.terms[key]}`);
  }
  const scale = Math.max(...Array.from(expected.grad, Math.abs));
  for (let q = 0; q < n * STRIDE; q++) {
    const extra = q % STRIDE === OPACITY_SLOT ? 4.5e-5 * adjointMass : 0;
    const err = Math.abs(actual.grad[q] - expected.grad[q]);
    assert.ok(err <= 2e-4 * scale + 1e-3 * Math.abs(expected.grad[q]) + extra, `${what}: grad[${q}] (shape ${Math.floor(q / STRIDE)} ${types[Math.floor(q / STRIDE)]}, slot ${q % STRIDE}) ${actual.grad[q]} vs ${expected.grad[q]}`);
  }
}

test("wasm kernel: translucent scenes of every kind give the reference's render, loss and gradient (grey and colour, in-process and pool)", async () => {
  const weights = { mse: 1, edge: 0.1, ssim: 0.05 };
  for (const [seed, width, height] of [
    [1, 40, 32],
    [2, 33, 47],
    [3, 64, 64],
  ]) {
    for (const colour of [false, true]) {
      const grey = randomTranslucentScene(width, height, 10, seed);
      const scene = colour ? asColourScene(grey) : grey;
      const channels = colour ? 3 : 1;
      const target = patternTarget(width, height, channels, seed + 10);
      const { raw, types, background } = packScene(scene);
      const reference = createReferenceEvaluator();
      await reference.setTarget(target, width, height, channels);
      await reference.setTypes(types);
      await reference.setBackground(background);
      for (const workers of [0, 2]) {
        const wasm = await createWasmEvaluator(workers ? { workers, spawnWorker: spawnNodeWorker } : { workers });
        try {
          await wasm.setTarget(target, width, height, channels);
          await wasm.setTypes(types);
          await wasm.setBackground(background);
          for (const pixels of [1, 0.3]) {
            const tau = pixels / Math.max(width, height);
            const what = `seed ${seed} ${colour ? "rgb" : "grey"} workers ${workers} tau ${pixels}px`;
            const expected = await reference.evaluate(Float64Array.from(raw), tau, weights, true);
            const actual = await wasm.evaluate(raw, tau, weights, true);
            // |dL/dimage| summed: an upper bound of sum |g (fill - below)|
            const mass = 2 * Math.sqrt(expected.terms.mse) + 2;
            assertCloseToReference(actual, expected, types.length, types, what, mass);
            const image = await wasm.render(raw, tau);
            const ref = await reference.render(Float64Array.from(raw), tau);
            let worst = 0;
            for (let p = 0; p < ref.length; p++) worst = Math.max(worst, Math.abs(image[p] - ref[p]));
            assert.ok(worst <= 2e-5, `${what}: render differs by ${worst}`);
          }
        } finally {
          wasm.dispose();
        }
      }
      reference.dispose();
    }
  }
});

test("opaque shapes keep a fixed opacity of exactly 1: raw OPAQUE, no gradient, untouched by Adam", async () => {
  const scene = structuredClone(OPACITY_SCENE);
  const { raw } = sceneToRaw(scene);
  assert.equal(raw[5 * STRIDE + OPACITY_SLOT], OPAQUE);
  assert.ok(raw[0 * STRIDE + OPACITY_SLOT] < OPAQUE);
  const explicit = structuredClone(scene);
  explicit.shapes[5].opacity = 1;
  assert.deepEqual(sceneToRaw(explicit).raw, raw);
  const engine = await createEngine({ backend: "wasm", workers: 0 });
  try {
    engine.setTarget({ data: patternTarget(26, 20, 1, 7), width: 26, height: 20 });
    engine.setScene(scene);
    const result = await engine.optimize({ steps: 30 });
    const shapes = result.scene.shapes;
    assert.equal(shapes[5].opacity, undefined, "an opaque shape stays opaque (no opacity written)");
    for (let i = 0; i < 5; i++) {
      assert.ok(shapes[i].opacity > 0 && shapes[i].opacity < 1, `shape ${i} opacity ${shapes[i].opacity}`);
    }
    assert.ok(shapes.slice(0, 5).some((s, i) => Math.abs(s.opacity - scene.shapes[i].opacity) > 1e-3), "translucent opacities are optimised");
  } finally {
    engine.dispose();
  }
});

test("an opaque scene's optimisation is the same with and without explicit opacity 1", async () => {
  const opaque = { ...OPACITY_SCENE, shapes: OPACITY_SCENE.shapes.map(({ opacity, ...s }) => s) };
  const explicit = { ...opaque, shapes: opaque.shapes.map((s) => ({ ...s, opacity: 1 })) };
  const runs = [];
  for (const scene of [opaque, explicit]) {
    const engine = await createEngine({ backend: "wasm", workers: 0 });
    try {
      engine.setTarget({ data: patternTarget(26, 20, 1, 7), width: 26, height: 20 });
      engine.setScene(scene);
      runs.push(await engine.optimize({ steps: 20 }));
    } finally {
      engine.dispose();
    }
  }
  assert.deepEqual(runs[0].loss, runs[1].loss);
  assert.deepEqual(runs[0].scene.shapes, runs[1].scene.shapes);
  for (const shape of runs[0].scene.shapes) assert.equal(shape.opacity, undefined);
});

test("rawToShapes writes opacity only below 1 and drops a copied one that became 1", () => {
  const { raw, types } = sceneToRaw(OPACITY_SCENE);
  const shapes = rawToShapes(raw, types);
  shapes.forEach((s, i) => {
    const want = OPACITY_SCENE.shapes[i].opacity;
    if (want === undefined) assert.equal(s.opacity, undefined);
    else assert.ok(Math.abs(s.opacity - want) < 1e-6, `shape ${i}: ${s.opacity} vs ${want}`);
  });
  const moved = Float32Array.from(raw);
  moved[OPACITY_SLOT] = OPAQUE;
  moved[0] += 0.01;
  const base = { raw: Float32Array.from(raw), shapes: structuredClone(OPACITY_SCENE.shapes) };
  assert.equal(rawToShapes(moved, types, base)[0].opacity, undefined);
});

test("setScene refuses an opacity of 0, below 0, above 1, NaN or not a number, naming the shape", async () => {
  const engine = await createEngine({ backend: "wasm", workers: 0 });
  try {
    for (const bad of [0, -0.2, 1.5, NaN, "0.5", null, [0.5]]) {
      const scene = structuredClone(OPACITY_SCENE);
      scene.shapes[2].opacity = bad;
      assert.throws(() => engine.setScene(scene), /shapes\[2\]\.opacity/, `opacity ${String(bad)}`);
    }
  } finally {
    engine.dispose();
  }
});

function blobTarget(width, height) {
  return Float32Array.from({ length: width * height }, (_, q) => {
    const i = q % width;
    const j = Math.floor(q / width);
    return 0.55 + 0.2 * Math.sin(i * 0.2) * Math.cos(j * 0.15) - (Math.hypot(i - 20, j - 25) < 10 ? 0.25 : 0);
  });
}

test("refine: the opacity option starts new shapes translucent (then optimised); the default adds opaque shapes", async () => {
  const width = 40;
  const height = 40;
  const results = {};
  for (const opacity of [undefined, 0.5]) {
    const engine = await createEngine({ backend: "wasm", workers: 0 });
    try {
      engine.setTarget({ data: blobTarget(width, height), width, height });
      engine.setScene({ width, height, background: 0.5, shapes: [] });
      results[opacity ?? 1] = await engine.refine({ maxShapes: 6, opacity, seed: 3 });
    } finally {
      engine.dispose();
    }
  }
  assert.ok(results[1].scene.shapes.length > 0);
  for (const s of results[1].scene.shapes) assert.equal(s.opacity, undefined);
  assert.ok(results[0.5].scene.shapes.length > 0);
  for (const s of results[0.5].scene.shapes) assert.ok(s.opacity > 0 && s.opacity < 1, `opacity ${s.opacity}`);
  assert.ok(results[0.5].scene.shapes.some((s) => Math.abs(s.opacity - 0.5) > 1e-3), "the opacities were optimised");
  assert.ok(results[0.5].loss < results[0.5].rounds[0].lossBefore, "the translucent search lowers the loss");
});

test("refine: a bad opacity option is refused", async () => {
  const engine = await createEngine({ backend: "wasm", workers: 0 });
  try {
    engine.setTarget({ data: blobTarget(20, 20), width: 20, height: 20 });
    engine.setScene({ width: 20, height: 20, background: 0.5, shapes: [] });
    for (const bad of [0, -1, 1.5, NaN, "0.5"]) {
      await assert.rejects(engine.refine({ maxShapes: 2, opacity: bad }), /refine: opacity must be a number in \(0, 1\]/, String(bad));
    }
  } finally {
    engine.dispose();
  }
});

test("screening at opacity a: the closed-form fill and gain equal a brute-force sum over the painted pixels", async () => {
  const { residualMaps, scoreDraft, paintDraft, forEachSpan } = await import("../engine/screen.js");
  const width = 24;
  const height = 18;
  const r = mulberry32(5);
  for (const channels of [1, 3]) {
    const image = Float64Array.from({ length: width * height * channels }, () => r());
    const original = Float64Array.from(image);
    const target = Float64Array.from({ length: width * height * channels }, () => r());
    const a = 0.6;
    const maps = residualMaps(image, target, width, height, a);
    const shape = { type: "ellipse", cx: 0.4, cy: 0.35, rx: 0.2, ry: 0.12, angle: 0.3 };
    const { gain, fill } = scoreDraft(maps, shape);
    const rgb = channels === 1 ? [fill] : fill;
    let before = 0;
    let after = 0;
    forEachSpan(shape, width, height, (j, i0, i1) => {
      for (let i = i0; i <= i1; i++) {
        for (let c = 0; c < channels; c++) {
          const q = (j * width + i) * channels + c;
          before += (image[q] - target[q]) ** 2;
          after += ((1 - a) * image[q] + a * rgb[c] - target[q]) ** 2;
        }
      }
    });
    assert.ok(Math.abs(gain - (before - after)) < 1e-9, `${channels} channels: gain ${gain} vs ${before - after}`);
    // the fill minimises the error: a small change of any channel does not lower it
    for (let c = 0; c < channels; c++) {
      for (const d of [-0.01, 0.01]) {
        const moved = [...rgb];
        moved[c] += d;
        let e = 0;
        forEachSpan(shape, width, height, (j, i0, i1) => {
          for (let i = i0; i <= i1; i++) {
            for (let k = 0; k < channels; k++) {
              const q = (j * width + i) * channels + k;
              e += ((1 - a) * image[q] + a * moved[k] - target[q]) ** 2;
            }
          }
        });
        assert.ok(e >= after - 1e-12);
      }
    }
    // painting it leaves the maps' total error at the brute-force one
    const total = maps.totalErr;
    paintDraft(maps, shape, fill);
    assert.ok(Math.abs(maps.totalErr - (total - gain)) < 1e-9);
    forEachSpan(shape, width, height, (j, i0) => {
      const q = (j * width + i0) * channels;
      assert.ok(Math.abs(maps.image[q] - ((1 - a) * original[q] + a * rgb[0])) < 1e-12, "the render under the draft is painted");
    });
  }
});

test("the widget's runner passes opacity to engine.refine", async () => {
  const { runRefine } = await import("../ui/refine_runner.js");
  const { engine, seen } = recordingEngine(20, 20);
  const { model } = mapModel();
  await runRefine(engine, { maxShapes: 10, opacity: 0.6 }, {}, model);
  assert.equal(seen[0].opacity, 0.6);
});
