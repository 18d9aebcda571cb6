// The rect and curve kinds in the CPU backends: finite-difference checks of
// every raw slot (reference in float64, Wasm in float32), the Wasm kernel
// against the reference on random scenes of every kind (render, terms,
// gradient), the search's pieces (row spans against the hard inside test,
// blob fits, drafts) and bad input. WebGPU: js/test/webgpu.test.mjs.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createEngine, createReferenceEvaluator, createWasmEvaluator, mulberry32, sceneToRaw } from "../build/engine.mjs";
import { KIND_BY_NAME } from "../engine/shapes/index.js";
import { forEachSpan } from "../engine/screen.js";
import { checkEvaluatorGradients } from "./fd.mjs";

/**
 * Every prior active: the second rect crosses the right margin, the bent
 * curve has a point in the bottom margin, the thin curve's width is under
 * half a pixel at 128 px; the straight curve's control point is the chord's
 * midpoint (the cubic's leading coefficient is 0) and the last curve's
 * control point lies on the chord off its midpoint. (A control point on the
 * chord's line beyond an end folds the stroke onto itself: the distance then
 * has a kink across the line, so it is in the render comparisons only.)
 */
export const KINDS_SCENE = Object.freeze({
  version: 1,
  width: 26,
  height: 20,
  background: 1.0,
  shapes: [
    { type: "rect", cx: 0.3, cy: 0.45, w: 0.35, h: 0.2, angle: 0.5, fill: 0.2 },
    { type: "rect", cx: 0.9, cy: 0.25, w: 0.15, h: 0.3, angle: -0.7, fill: 0.8 },
    { type: "curve", points: [[0.1, 0.97], [0.5, 0.1], [0.9, 0.7]], width: 0.07, fill: 0.1 },
    { type: "curve", points: [[0.2, 0.3], [0.5, 0.42], [0.8, 0.54]], width: 0.05, fill: 0.6 },
    { type: "curve", points: [[0.15, 0.8], [0.85, 0.6], [0.6, 0.2 / 3 + 0.6]], width: 0.003, fill: 0.35 },
    { type: "curve", points: [[0.1, 0.15], [0.3, 0.15], [0.9, 0.15]], width: 0.06, fill: 0.45 },
  ],
});

const SLOTS = 5 + 5 + 7 + 7 + 7 + 7;

test("reference evaluator: rect and curve gradients match central differences for every term and slot", async () => {
  const { checked, cases, worst } = await checkEvaluatorGradients(() => createReferenceEvaluator(), { scene: KINDS_SCENE });
  assert.equal(checked, cases * (SLOTS + 6));
  assert.ok(worst <= 1);
});

test("reference evaluator: rect and curve colour gradients over an RGB background", async () => {
  const scene = { ...KINDS_SCENE, background: [0.9, 0.8, 0.95], shapes: KINDS_SCENE.shapes.map((s, i) => ({ ...s, fill: [s.fill, 0.3 + 0.1 * i, 0.9 - 0.1 * i] })) };
  const { checked, cases, worst } = await checkEvaluatorGradients(() => createReferenceEvaluator(), { scene });
  assert.equal(checked, cases * (SLOTS + 18));
  assert.ok(worst <= 1);
});

test("wasm kernel: rect and curve gradients match central differences (float32)", async () => {
  for (const background of [1.0, 0.3]) {
    const { checked, cases, worst } = await checkEvaluatorGradients(() => createWasmEvaluator({ workers: 0 }), {
      rawType: Float32Array,
      h: 1e-3,
      rtol: 1e-2,
      atol: 1e-3,
      scene: { ...KINDS_SCENE, background },
    });
    assert.equal(checked, cases * (SLOTS + 6));
    assert.ok(worst <= 1);
  }
});

function randomKindsScene(width, height, count, seed) {
  const r = mulberry32(seed);
  const u = (a, b) => a + (b - a) * r();
  const p = () => [u(0.05, 0.95), u(0.05, 0.95)];
  const shapes = [];
  for (let i = 0; i < count; i++) {
    const fill = u(0.05, 0.95);
    if (i % 2 === 0) shapes.push({ type: "rect", cx: u(0.1, 0.9), cy: u(0.1, 0.9), w: u(0.03, 0.5), h: u(0.03, 0.5), angle: u(-3, 3), fill });
    else if (i % 3 === 0) shapes.push({ type: "curve", points: [p(), p(), p()], width: u(0.01, 0.12), fill });
    else {
      // collinear: the control point on the chord (beyond an end: the fold test below)
      const [a, b] = [p(), p()];
      const k = u(0.05, 0.95);
      shapes.push({ type: "curve", points: [a, [a[0] + k * (b[0] - a[0]), a[1] + k * (b[1] - a[1])], b], width: u(0.01, 0.12), fill });
    }
  }
  return { version: 1, width, height, background: 1.0, shapes };
}

test("wasm kernel: random rect and curve scenes give the reference's render, terms and gradient", async () => {
  const weights = { mse: 1, edge: 0.1, ssim: 0.05 };
  for (const [width, height, count, seed] of [[32, 32, 8, 11], [37, 29, 10, 12], [29, 41, 6, 13]]) {
    const scene = randomKindsScene(width, height, count, seed);
    const { raw, types } = sceneToRaw(scene);
    const r = mulberry32(seed + 100);
    const target = Float32Array.from({ length: width * height }, () => r());
    const ref = createReferenceEvaluator();
    const wasm = await createWasmEvaluator({ workers: 0 });
    for (const e of [ref, wasm]) {
      await e.setTarget(target, width, height);
      await e.setTypes(types);
    }
    for (const tau of [1 / width, 0.3 / width]) {
      const a = await wasm.evaluate(raw, tau, weights, true);
      const b = await ref.evaluate(Float64Array.from(raw), tau, weights, true);
      for (const key of ["mse", "edge", "ssim"]) {
        assert.ok(Math.abs(a.terms[key] - b.terms[key]) <= 1e-4 * Math.abs(b.terms[key]), `${key}: ${a.terms[key]} vs ${b.terms[key]}`);
      }
      const scale = Math.max(...Array.from(b.grad, Math.abs));
      b.grad.forEach((g, q) => assert.ok(Math.abs(a.grad[q] - g) <= 2e-3 * scale + 1e-3 * Math.abs(g), `seed ${seed} grad[${q}] ${a.grad[q]} vs ${g}`));
      const ra = await wasm.render(raw, tau);
      const rb = await ref.render(Float64Array.from(raw), tau);
      const diff = Math.max(...Array.from(ra, (v, i) => Math.abs(v - rb[i])));
      assert.ok(diff < 2e-5, `render differs by ${diff}`);
    }
    wasm.dispose();
    ref.dispose();
  }
});

test("wasm kernel: a stroke folded onto itself (control point on the line beyond an end) renders like the reference", async () => {
  const width = 30;
  const height = 24;
  const scene = {
    version: 1,
    width,
    height,
    background: 1.0,
    shapes: [
      { type: "curve", points: [[0.1, 0.15], [0.7, 0.15], [0.5, 0.15]], width: 0.06, fill: 0.2 },
      { type: "curve", points: [[0.2, 0.3], [0.68, 0.78], [0.5, 0.6]], width: 0.05, fill: 0.5 },
      { type: "curve", points: [[0.9, 0.9], [0.4, 0.4], [0.6, 0.6]], width: 0.08, fill: 0.7 },
    ],
  };
  const { raw, types } = sceneToRaw(scene);
  const target = new Float32Array(width * height).fill(0.5);
  const ref = createReferenceEvaluator();
  const wasm = await createWasmEvaluator({ workers: 0 });
  for (const e of [ref, wasm]) {
    await e.setTarget(target, width, height);
    await e.setTypes(types);
  }
  const tau = 0.5 / width;
  const ra = await wasm.render(raw, tau);
  const rb = await ref.render(Float64Array.from(raw), tau);
  assert.ok(Math.min(...rb) < 0.5, "the strokes are drawn");
  const diff = Math.max(...Array.from(ra, (v, i) => Math.abs(v - rb[i])));
  assert.ok(diff < 2e-5, `render differs by ${diff}`);
  wasm.dispose();
  ref.dispose();
});

test("search pieces: row spans of rects and curves cover exactly the pixels of the hard inside test", () => {
  const width = 40;
  const height = 30;
  const L = 40;
  const shapes = [
    { type: "rect", cx: 0.5, cy: 0.35, w: 0.4, h: 0.15, angle: 0.6 },
    { type: "rect", cx: 0.3, cy: 0.4, w: 0.2, h: 0.3, angle: 0 },
    // a U: rows near the bottom of the bend meet it twice
    { type: "curve", points: [[0.2, 0.1], [0.5, 1.2], [0.8, 0.1]], width: 0.06 },
    { type: "curve", points: [[0.1, 0.5], [0.5, 0.52], [0.9, 0.55]], width: 0.1 },
  ];
  for (const shape of shapes) {
    const { inside } = KIND_BY_NAME[shape.type].inside(shape);
    const spans = new Set();
    let rowsWithTwoSpans = 0;
    const perRow = new Map();
    forEachSpan(shape, width, height, (j, i0, i1) => {
      perRow.set(j, (perRow.get(j) ?? 0) + 1);
      for (let i = i0; i <= i1; i++) spans.add(j * width + i);
    });
    for (const n of perRow.values()) if (n > 1) rowsWithTwoSpans++;
    let exact = 0;
    let differ = 0;
    for (let j = 0; j < height; j++) {
      for (let i = 0; i < width; i++) {
        const a = inside((i + 0.5) / L, (j + 0.5) / L);
        if (a) exact++;
        if (a !== spans.has(j * width + i)) differ++;
      }
    }
    assert.ok(exact > 20, `${shape.type} covers ${exact} pixels`);
    // rect spans are exact; a curve's are those of a 16-segment polyline
    if (shape.type === "rect") assert.equal(differ, 0);
    else assert.ok(differ <= 0.05 * exact, `${differ} of ${exact} pixels differ`);
    if (shape === shapes[2]) assert.ok(rowsWithTwoSpans > 5, `${rowsWithTwoSpans} rows with two spans`);
  }
});

test("search pieces: a rect and a curve fitted to a blob's moments lie along it", () => {
  const blob = { x: 0.5, y: 0.4, a: 0.2, b: 0.02, angle: 0.3 };
  const [rect] = KIND_BY_NAME.rect.fits(blob);
  assert.ok(Math.abs(rect.w - Math.sqrt(3) * 0.2) < 1e-12 && Math.abs(rect.angle - 0.3) < 1e-12);
  const curves = KIND_BY_NAME.curve.fits(blob);
  assert.equal(curves.length, 3);
  for (const c of curves) {
    const [p0, , p2] = c.points;
    assert.ok(Math.abs(Math.atan2(p2[1] - p0[1], p2[0] - p0[0]) - 0.3) < 1e-9);
    assert.ok(Math.abs(Math.hypot(p2[0] - p0[0], p2[1] - p0[1]) - Math.sqrt(3) * 0.2) < 1e-9);
    assert.ok(KIND_BY_NAME.curve.inside(c).inside(0.5, 0.4) || c !== curves[0]);
  }
  // clamping into the canvas piles these points on one corner: they are moved apart
  const lid = (v) => Math.min(v, 0.99);
  const piled = KIND_BY_NAME.curve.confine({ type: "curve", points: [[2, 2], [3, 3], [5, 5]], width: 0.01 }, lid, lid, (w) => w);
  assert.doesNotThrow(() => KIND_BY_NAME.curve.check(piled, "piled"));
  const r = mulberry32(5);
  for (let k = 0; k < 50; k++) {
    const draft = KIND_BY_NAME.curve.draft({ x: 0.5, y: 0.5 }, () => 0.01 + 0.2 * r(), r);
    assert.doesNotThrow(() => KIND_BY_NAME.curve.check(draft, "draft"));
  }
});

test("bad rect and curve input is refused with the field named", async () => {
  const engine = await createEngine({ backend: "reference" });
  engine.setTarget({ data: new Float32Array(16).fill(0.5), width: 4, height: 4 });
  const bad = [
    [{ type: "rect", cx: 0.5, cy: 0.5, w: -0.1, h: 0.2, angle: 0, fill: 0.5 }, /shapes\[0\]\.w/],
    [{ type: "rect", cx: 0.5, cy: 0.5, w: 0.1, h: 0, angle: 0, fill: 0.5 }, /shapes\[0\]\.h/],
    [{ type: "rect", cx: 0.5, cy: 0.5, w: 0.1, h: 0.2, fill: 0.5 }, /shapes\[0\]\.angle/],
    [{ type: "curve", points: [[0.1, 0.1], [0.5, 0.5], [0.9, 0.2]], width: -0.02, fill: 0.5 }, /shapes\[0\]\.width/],
    [{ type: "curve", points: [[0.1, 0.1], [0.5, 0.5], [0.1, 0.1]], width: 0.02, fill: 0.5 }, /points\[0\] and points\[2\] coincide/],
    [{ type: "curve", points: [[0.1, 0.1], [0.1, 0.1], [0.9, 0.2]], width: 0.02, fill: 0.5 }, /points\[0\] and points\[1\] coincide/],
    [{ type: "curve", points: [[0.1, 0.1], [0.9, 0.2]], width: 0.02, fill: 0.5 }, /shapes\[0\]\.points/],
    [{ type: "spline", points: [], fill: 0.5 }, /spline/],
  ];
  for (const [shape, message] of bad) {
    assert.throws(() => engine.setScene({ width: 4, height: 4, shapes: [shape] }), message);
  }
  engine.dispose();
});
