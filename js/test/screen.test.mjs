// Draft screening (screen.js) against brute force, and the search that uses it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createEngine } from "../build/engine.mjs";
import { mulberry32 } from "../engine/proposals.js";
import { OBJECTIVES } from "../engine/refine.js";
import { confine, forEachSpan, paintDraft, randomDraft, residualMaps, scoreDraft } from "../engine/screen.js";

/** Hard inside test at a metric point, written independently of the span code. */
function inside(shape, x, y) {
  if (shape.type === "circle") return (x - shape.cx) ** 2 + (y - shape.cy) ** 2 <= shape.r ** 2;
  if (shape.type === "ellipse") {
    const c = Math.cos(shape.angle);
    const s = Math.sin(shape.angle);
    const u = c * (x - shape.cx) + s * (y - shape.cy);
    const v = -s * (x - shape.cx) + c * (y - shape.cy);
    return (u / shape.rx) ** 2 + (v / shape.ry) ** 2 <= 1;
  }
  const [[x0, y0], [x1, y1], [x2, y2]] = shape.points;
  const d0 = (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0);
  const d1 = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1);
  const d2 = (x0 - x2) * (y - y2) - (y0 - y2) * (x - x2);
  return (d0 >= 0 && d1 >= 0 && d2 >= 0) || (d0 <= 0 && d1 <= 0 && d2 <= 0);
}

function randomImages(width, height, seed) {
  const rng = mulberry32(seed);
  const image = Float32Array.from({ length: width * height }, () => rng());
  const target = Float32Array.from({ length: width * height }, () => rng());
  return { image, target, rng };
}

/** Pixels whose centre the shape covers, by brute force. */
function coveredPixels(shape, width, height) {
  const L = Math.max(width, height);
  const covered = [];
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) if (inside(shape, (i + 0.5) / L, (j + 0.5) / L)) covered.push(j * width + i);
  }
  return covered;
}

for (const [width, height] of [
  [40, 40],
  [48, 30],
  [27, 51],
]) {
  test(`spans and closed-form scores match brute force on ${width}x${height}`, () => {
    const { image, target, rng } = randomImages(width, height, width * height);
    const maps = residualMaps(image, target, width, height);
    const L = Math.max(width, height);
    let nonEmpty = 0;
    for (let k = 0; k < 60; k++) {
      const type = ["circle", "ellipse", "triangle"][k % 3];
      const at = { x: (rng() * width) / L, y: (rng() * height) / L };
      const shape = confine(randomDraft(type, at, rng, L, 0.4), width, height);
      const covered = coveredPixels(shape, width, height);
      const spans = [];
      forEachSpan(shape, width, height, (j, i0, i1) => {
        for (let i = i0; i <= i1; i++) spans.push(j * width + i);
      });
      // A pixel centre exactly on the boundary may fall either way in float arithmetic.
      assert.ok(Math.abs(spans.length - covered.length) <= 2, `${JSON.stringify(shape)}: ${spans.length} vs ${covered.length}`);
      if (covered.length === 0) continue;
      nonEmpty++;
      const { gain, fill, pixels } = scoreDraft(maps, shape);
      assert.equal(pixels, spans.length);
      let mean = 0;
      for (const p of spans) mean += target[p];
      mean = Math.min(0.99, Math.max(0.01, mean / spans.length));
      let expected = 0;
      for (const p of spans) expected += (image[p] - target[p]) ** 2 - (mean - target[p]) ** 2;
      assert.ok(Math.abs(fill - mean) < 1e-9, `fill ${fill} vs ${mean}`);
      assert.ok(Math.abs(gain - expected) < 1e-6 * Math.max(1, Math.abs(expected)), `gain ${gain} vs ${expected}`);
    }
    assert.ok(nonEmpty > 40, `only ${nonEmpty} drafts covered pixels`);
  });
}

test("the best fill's gain is never negative, and another fill gains less", () => {
  const width = 32;
  const height = 32;
  const { image, target, rng } = randomImages(width, height, 5);
  const maps = residualMaps(image, target, width, height);
  const shape = { type: "circle", cx: 0.5, cy: 0.5, r: 0.2 };
  const { gain, fill } = scoreDraft(maps, shape);
  const spans = coveredPixels(shape, width, height);
  for (const other of [0.05, 0.3, 0.7, 0.95, fill + 0.05, fill - 0.05]) {
    let g = 0;
    for (const p of spans) g += (image[p] - target[p]) ** 2 - (other - target[p]) ** 2;
    assert.ok(g <= gain + 1e-9, `fill ${other} gains ${g} > ${gain}`);
  }
  assert.ok(rng() >= 0);
});

test("painting a draft updates the error maps as a fresh computation would", () => {
  const width = 36;
  const height = 24;
  const { image, target } = randomImages(width, height, 9);
  const maps = residualMaps(image, target, width, height);
  const shape = { type: "ellipse", cx: 0.4, cy: 0.3, rx: 0.2, ry: 0.1, angle: 0.5 };
  const { gain, fill } = scoreDraft(maps, shape);
  const before = maps.totalErr;
  paintDraft(maps, shape, fill);
  assert.ok(Math.abs(before - maps.totalErr - gain) < 1e-9);
  const painted = Float32Array.from(image);
  forEachSpan(shape, width, height, (j, i0, i1) => painted.fill(fill, j * width + i0, j * width + i1 + 1));
  const fresh = residualMaps(painted, target, width, height);
  assert.ok(Math.abs(fresh.totalErr - maps.totalErr) < 1e-6);
  const probe = { type: "triangle", points: [[0.1, 0.1], [0.9, 0.2], [0.5, 0.6]] };
  assert.ok(Math.abs(scoreDraft(fresh, probe).gain - scoreDraft(maps, probe).gain) < 1e-6);
});

/** A photo-like target: smooth shading, a few hard-edged blobs and some texture. */
function photoLike(width, height) {
  const rng = mulberry32(42);
  const data = new Float32Array(width * height);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const x = i / width;
      const y = j / height;
      let v = 0.25 + 0.5 * x * (1 - 0.4 * y);
      if ((x - 0.35) ** 2 + (y - 0.4) ** 2 < 0.04) v = 0.85;
      if (x > 0.6 && y > 0.55 && x - y < 0.2) v = 0.1;
      data[j * width + i] = Math.min(1, Math.max(0, v + 0.08 * (rng() - 0.5)));
    }
  }
  return data;
}

const meanOf = (data) => data.reduce((a, b) => a + b, 0) / data.length;
const varianceOf = (data) => {
  const m = meanOf(data);
  return data.reduce((a, b) => a + (b - m) ** 2, 0) / data.length;
};

test("from no shapes on the mean, the default search fills its budget and beats a flat canvas", async () => {
  const width = 48;
  const height = 40;
  const data = photoLike(width, height);
  const engine = await createEngine({ backend: "wasm", workers: 0 });
  await engine.setTarget({ data, width, height });
  engine.setScene({ version: 1, width, height, background: meanOf(data), shapes: [] });
  const result = await engine.refine({ maxShapes: 12, seed: 2 });
  assert.equal(result.stopped, "budget");
  assert.equal(result.scene.shapes.length, 12);
  const { mse } = await engine.loss(result.scene, { tau: 0.5 / width });
  assert.ok(mse < 0.35 * varianceOf(data), `mse ${mse} vs flat ${varianceOf(data)}`);
  // The default objective is the MSE: the reported loss is it.
  const objective = await engine.loss(result.scene, { tau: 0.5 / width, weights: OBJECTIVES.mse });
  assert.ok(Math.abs(objective.total - result.loss) < 1e-6 * result.loss);
  engine.dispose();
});

test("a flat target is a plateau at once: no draft lowers the error", async () => {
  const width = 32;
  const height = 32;
  const engine = await createEngine({ backend: "wasm", workers: 0 });
  await engine.setTarget({ data: new Float32Array(width * height).fill(0.4), width, height });
  engine.setScene({ version: 1, width, height, background: 0.4, shapes: [] });
  const result = await engine.refine({ maxShapes: 10 });
  assert.equal(result.stopped, "plateau");
  assert.equal(result.scene.shapes.length, 0);
  assert.equal(result.rounds.length, 0);
  engine.dispose();
});

test("types restricts the kinds the search adds; unknown kinds and objectives are named", async () => {
  const width = 40;
  const height = 40;
  const data = photoLike(width, height);
  const engine = await createEngine({ backend: "wasm", workers: 0 });
  await engine.setTarget({ data, width, height });
  engine.setScene({ version: 1, width, height, background: meanOf(data), shapes: [] });
  const result = await engine.refine({ maxShapes: 6, types: ["ellipse"], polishSteps: 0 });
  assert.equal(result.scene.shapes.length, 6);
  assert.ok(result.scene.shapes.every((s) => s.type === "ellipse"));
  await assert.rejects(engine.refine({ types: ["circle", "hexagon"] }), /"hexagon"/);
  await assert.rejects(engine.refine({ types: [] }), /types/);
  await assert.rejects(engine.refine({ loss: "vibes" }), /loss must be one of mse, reference/);
  engine.dispose();
});

test("colour screening: the closed-form fill is the mean colour under the draft and the gain sums the channels", () => {
  const width = 23;
  const height = 17;
  const n = width * height;
  const r = mulberry32(77);
  const target = Float64Array.from({ length: 3 * n }, () => r());
  const image = Float64Array.from({ length: 3 * n }, () => r());
  const maps = residualMaps(image, target, width, height);
  assert.equal(maps.channels, 3);
  const shape = { type: "ellipse", cx: 0.45, cy: 0.35, rx: 0.2, ry: 0.12, angle: 0.4 };
  const { gain, fill, pixels } = scoreDraft(maps, shape);
  // brute force over the covered pixels
  const covered = [];
  forEachSpan(shape, width, height, (j, i0, i1) => {
    for (let i = i0; i <= i1; i++) covered.push(j * width + i);
  });
  assert.equal(pixels, covered.length);
  for (let c = 0; c < 3; c++) {
    const mean = covered.reduce((a, p) => a + target[3 * p + c], 0) / covered.length;
    assert.ok(Math.abs(fill[c] - Math.min(0.99, Math.max(0.01, mean))) < 1e-12, `channel ${c}`);
  }
  let expected = 0;
  for (const p of covered) for (let c = 0; c < 3; c++) expected += (image[3 * p + c] - target[3 * p + c]) ** 2 - (fill[c] - target[3 * p + c]) ** 2;
  assert.ok(Math.abs(gain - expected) < 1e-9, `${gain} vs ${expected}`);
  // painting removes exactly that gain, and the maps stay consistent with a fresh build
  const before = maps.totalErr;
  paintDraft(maps, shape, fill);
  assert.ok(Math.abs(before - maps.totalErr - gain) < 1e-9);
  const painted = Float64Array.from(image);
  for (const p of covered) for (let c = 0; c < 3; c++) painted[3 * p + c] = fill[c];
  const fresh = residualMaps(painted, target, width, height);
  assert.ok(Math.abs(fresh.totalErr - maps.totalErr) < 1e-9);
  for (let q = 0; q < fresh.sumT2.length; q++) {
    assert.ok(Math.abs(fresh.sumT2[q] - maps.sumT2[q]) < 1e-9 && Math.abs(fresh.sumErr[q] - maps.sumErr[q]) < 1e-9, `prefix ${q}`);
  }
});

test("colour screening: on equal channels the colour gain is three times the grey gain and the fill is grey", () => {
  const width = 19;
  const height = 15;
  const n = width * height;
  const r = mulberry32(5);
  const grey = Float64Array.from({ length: n }, () => r());
  const img = Float64Array.from({ length: n }, () => r());
  const rgb = (a) => Float64Array.from({ length: 3 * n }, (_, q) => a[Math.floor(q / 3)]);
  const shape = { type: "triangle", points: [[0.1, 0.1], [0.9, 0.3], [0.4, 0.7]] };
  const g = scoreDraft(residualMaps(img, grey, width, height), shape);
  const c = scoreDraft(residualMaps(rgb(img), rgb(grey), width, height), shape);
  assert.ok(Math.abs(c.gain - 3 * g.gain) < 1e-9 * Math.abs(g.gain) + 1e-12);
  assert.deepEqual(c.fill.map((v) => Math.abs(v - g.fill) < 1e-12), [true, true, true]);
});
