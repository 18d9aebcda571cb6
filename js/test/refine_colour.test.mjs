// The shape search on colour targets: screened drafts take the mean colour
// under them, random candidates get three channels, the start background can
// be the target's mean colour, and on a target whose channels are equal the
// colour search draws what the grey search draws.
// Needs the built bundle: `cd js && npm run build`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createEngine } from "../build/engine.mjs";
import { mulberry32, proposeFromError, proposeRandom } from "../engine/proposals.js";
import { resolveRefineOptions, targetMean } from "../engine/refine.js";

const WIDTH = 48;
const HEIGHT = 40;
const MSE_ONLY = { edge: 0, ssim: 0, perimeter: 0, degeneracy: 0, canvas: 0 };

/** A smooth colour scene with a few hard-edged coloured shapes: something for every kind to fix. */
function colourTarget(width, height) {
  const data = new Float32Array(width * height * 3);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const x = (i + 0.5) / width;
      const y = (j + 0.5) / height;
      const q = 3 * (j * width + i);
      let rgb = [0.2 + 0.6 * x, 0.3 + 0.4 * y, 0.8 - 0.5 * x * y];
      if ((x - 0.3) ** 2 + (y - 0.35) ** 2 < 0.04) rgb = [0.9, 0.15, 0.1];
      if (Math.abs(x - 0.7) < 0.15 && Math.abs(y - 0.7) < 0.1) rgb = [0.1, 0.2, 0.85];
      if (y > 0.8 && x < 0.5 - (y - 0.8)) rgb = [0.95, 0.85, 0.2];
      data.set(rgb, q);
    }
  }
  return data;
}

/** The same grey image as one channel and as three equal channels. */
function greyImages(width, height) {
  const rgb = colourTarget(width, height);
  const grey = new Float32Array(width * height);
  for (let p = 0; p < grey.length; p++) grey[p] = Math.fround((rgb[3 * p] + 2 * rgb[3 * p + 1] + rgb[3 * p + 2]) / 4);
  const equal = new Float32Array(3 * grey.length);
  for (let p = 0; p < grey.length; p++) equal.fill(grey[p], 3 * p, 3 * p + 3);
  return { grey, equal };
}

async function engineOn(data, channels, scene = { version: 1, width: WIDTH, height: HEIGHT, shapes: [] }) {
  const engine = await createEngine({ backend: "wasm", workers: 0 });
  await engine.setTarget({ data, width: WIDTH, height: HEIGHT, channels });
  await engine.setScene(scene);
  return engine;
}

test("targetMean is the per-channel mean; backgroundFromTarget is checked", () => {
  assert.ok(Math.abs(targetMean({ data: Float32Array.of(0.2, 0.4, 0.6, 0.8) }) - 0.5) < 1e-7);
  const rgb = targetMean({ data: Float32Array.of(0.1, 0.5, 1, 0.3, 0.7, 1), channels: 3 });
  [0.2, 0.6, 1].forEach((v, c) => assert.ok(Math.abs(rgb[c] - v) < 1e-7, `${rgb}`));
  assert.equal(resolveRefineOptions({}).backgroundFromTarget, false);
  assert.throws(() => resolveRefineOptions({ backgroundFromTarget: "yes" }), /backgroundFromTarget must be true or false/);
});

test("colour search from no shapes: background is the mean colour, the budget fills with RGB fills, the MSE falls", async () => {
  const data = colourTarget(WIDTH, HEIGHT);
  const engine = await engineOn(data, 3);
  const before = (await engine.loss(undefined, { weights: MSE_ONLY })).mse;
  const result = await engine.refine({ maxShapes: 8, seed: 1, backgroundFromTarget: true, polishSteps: 100 });
  const scene = engine.getScene();
  const mean = targetMean({ data, channels: 3 });
  assert.equal(scene.background.length, 3);
  scene.background.forEach((v, c) => assert.ok(Math.abs(v - mean[c]) < 1e-6, `background ${scene.background} vs mean ${mean}`));
  assert.equal(scene.shapes.length, 8, `stopped: ${result.stopped}`);
  for (const shape of scene.shapes) {
    assert.equal(shape.fill.length, 3);
    for (const v of shape.fill) assert.ok(v >= 0 && v <= 1);
  }
  // the shapes are coloured, not grey: some fill's channels differ a lot
  assert.ok(scene.shapes.some((s) => Math.max(...s.fill) - Math.min(...s.fill) > 0.4), JSON.stringify(scene.shapes.map((s) => s.fill)));
  const after = (await engine.loss(undefined, { weights: MSE_ONLY })).mse;
  const flat = (await engine.loss({ ...scene, shapes: [] }, { weights: MSE_ONLY })).mse;
  assert.ok(after < 0.35 * flat, `mse ${after} against the flat mean canvas's ${flat} (start ${before})`);
  engine.dispose();
});

test("random candidates in colour: RGB fills of the reference's grey range, and the search keeps them RGB", async () => {
  const rng = mulberry32(5);
  for (const type of ["circle", "ellipse", "triangle"]) {
    const { shape } = proposeRandom(type, rng, 3);
    assert.equal(shape.fill.length, 3);
    assert.ok(shape.fill.every((v) => v === shape.fill[0] && v >= 0.05 && v <= 0.55));
  }
  const data = colourTarget(WIDTH, HEIGHT);
  const engine = await engineOn(data, 3);
  const before = (await engine.loss(undefined, { weights: MSE_ONLY })).mse;
  const result = await engine.refine({ maxShapes: 3, seed: 2, proposal: "random", backgroundFromTarget: true, reoptimizeSteps: 30, polishSteps: 50 });
  assert.ok(result.accepted >= 1, JSON.stringify(result.rounds));
  for (const shape of engine.getScene().shapes) assert.equal(shape.fill.length, 3);
  assert.ok(result.loss < before, `${before} -> ${result.loss}`);
  engine.dispose();
});

test("on equal channels the colour search adds the grey search's shapes with [v, v, v] fills (no gradient steps)", async () => {
  const { grey, equal } = greyImages(WIDTH, HEIGHT);
  const options = { maxShapes: 6, seed: 4, backgroundFromTarget: true, reoptimizeSteps: 0, polishSteps: 0 };
  const g = await engineOn(grey, 1);
  const c = await engineOn(equal, 3);
  const rg = await g.refine(options);
  const rc = await c.refine(options);
  const sg = g.getScene();
  const sc = c.getScene();
  assert.equal(sg.shapes.length, 6);
  assert.equal(sc.shapes.length, 6);
  sc.background.forEach((v) => assert.ok(Math.abs(v - sg.background) < 1e-9));
  sg.shapes.forEach((shape, k) => {
    const { fill, ...geometry } = shape;
    const { fill: rgb, ...colourGeometry } = sc.shapes[k];
    assert.deepEqual(colourGeometry, geometry, `shape ${k}`);
    for (const v of rgb) assert.ok(Math.abs(v - fill) < 1e-9, `shape ${k}: ${rgb} vs ${fill}`);
  });
  assert.ok(Math.abs(rc.loss - rg.loss) <= 1e-6 * rg.loss, `colour ${rc.loss} grey ${rg.loss}`);
  g.dispose();
  c.dispose();
});

test("on equal channels the colour search's loss is the grey search's (default gradient steps, to 1e-4)", async () => {
  const { grey, equal } = greyImages(WIDTH, HEIGHT);
  const options = { maxShapes: 6, seed: 4, backgroundFromTarget: true, polishSteps: 200 };
  const g = await engineOn(grey, 1);
  const c = await engineOn(equal, 3);
  const rg = await g.refine(options);
  const rc = await c.refine(options);
  assert.equal(rg.scene.shapes.length, 6);
  assert.equal(rc.scene.shapes.length, 6);
  // Each fill channel gets a third of the grey fill's gradient, which Adam's
  // per-parameter scaling undoes; what is left is float rounding (and the
  // norm clip, when it acts), so the runs agree closely but not bit for bit.
  assert.ok(Math.abs(rc.loss - rg.loss) < 1e-4 * rg.loss, `colour ${rc.loss} grey ${rg.loss}`);
  g.dispose();
  c.dispose();
});

test("a blob of the colour residual gets a shape filled with the mean colour under it", () => {
  const size = 64;
  const n = size * size;
  const image = new Float32Array(3 * n).fill(1);
  const target = new Float32Array(3 * n).fill(1);
  // An orange ellipse on white: red equals the background, so only green and blue show it.
  for (let p = 0; p < n; p++) {
    const x = ((p % size) + 0.5) / size - 0.6;
    const y = (Math.floor(p / size) + 0.5) / size - 0.4;
    if ((x / 0.18) ** 2 + (y / 0.1) ** 2 <= 1) target.set([1, 0.5, 0.1], 3 * p);
  }
  const { shape } = proposeFromError("ellipse", { image, target, width: size, height: size });
  assert.ok(Math.abs(shape.cx - 0.6) < 0.02 && Math.abs(shape.cy - 0.4) < 0.02, JSON.stringify(shape));
  assert.equal(shape.fill.length, 3);
  [0.99, 0.5, 0.1].forEach((v, c) => assert.ok(Math.abs(shape.fill[c] - v) < 0.06, `fill ${shape.fill}`));
});

test("colour search under the reference objective with blob drafts: settled RGB candidates, the loss falls", async () => {
  const engine = await engineOn(colourTarget(WIDTH, HEIGHT), 3);
  const result = await engine.refine({
    loss: "reference",
    maxShapes: 3,
    seed: 5,
    blobs: 2,
    backgroundFromTarget: true,
    settleSteps: 20,
    reoptimizeSteps: 20,
    polishSteps: 40,
  });
  const scene = engine.getScene();
  assert.ok(result.accepted >= 2, JSON.stringify(result.rounds));
  for (const shape of scene.shapes) assert.equal(shape.fill.length, 3);
  assert.ok(result.rounds[0].lossAfter < result.rounds[0].lossBefore, JSON.stringify(result.rounds[0]));
  assert.ok(result.loss < result.rounds[0].lossBefore, `${result.rounds[0].lossBefore} -> ${result.loss}`);
  engine.dispose();
});
