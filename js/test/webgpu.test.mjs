// The WebGPU backend under Node: Dawn (npm `webgpu`) on Chromium's SwiftShader
// Vulkan driver, against the float64 reference in the same process. Dawn
// finds the driver only through environment variables read at start, so the
// GPU checks run in a child Node process. Layout and adapter classification
// are checked in this process.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { defaultPixelsPerThread, planLayout } from "../engine/webgpu/layout.js";
import { isSoftwareAdapter } from "../engine/webgpu/probe.js";

const SWIFTSHADER_DIR = "/usr/lib/chromium";
const ICD = `${SWIFTSHADER_DIR}/vk_swiftshader_icd.json`;
const bundle = new URL("../build/engine.mjs", import.meta.url).href;
const nodeGpu = new URL("../engine/webgpu/node-gpu.mjs", import.meta.url).href;
const fixture = JSON.parse(readFileSync(new URL("./fixtures/nonsquare_40x24.json", import.meta.url), "utf8"));
const greyFixture = JSON.parse(readFileSync(new URL("./fixtures/grey_background_30x22.json", import.meta.url), "utf8"));
const colourFixture = JSON.parse(readFileSync(new URL("./fixtures/colour_nonsquare_40x24.json", import.meta.url), "utf8"));

/** Runs `body` (an async function body) in a child Node with Dawn on SwiftShader; returns its JSON result. */
function onSwiftShader(body, input) {
  assert.ok(existsSync(ICD), `no SwiftShader Vulkan driver at ${ICD} (Debian package chromium)`);
  const script = `
    import { gpu } from ${JSON.stringify(nodeGpu)};
    import * as E from ${JSON.stringify(bundle)};
    import { writeSync } from "node:fs";
    const input = JSON.parse(process.env.WEBGPU_TEST_INPUT);
    const out = await (async () => { ${body} })();
    // synchronously: process.exit would cut an asynchronous write to a pipe short
    writeSync(1, JSON.stringify(out));
    process.exit(0);
  `;
  const stdout = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    env: { ...process.env, LD_LIBRARY_PATH: SWIFTSHADER_DIR, VK_ICD_FILENAMES: ICD, WEBGPU_TEST_INPUT: JSON.stringify(input) },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}

/** Child-process source defining `run(backend, scene, target)`: a render, the loss and 12 steps (tau 0.03 to 0.02) on a fresh engine. */
const RUN_12_STEPS = `
    const run = async (backend, scene, target) => {
      const engine = await E.createEngine({ backend, gpu });
      engine.setTarget({ data: Float32Array.from(target.data), width: target.width, height: target.height, channels: target.channels });
      engine.setScene(scene);
      const frame = Array.from(await engine.render(scene, { tau: 0.02 }));
      const start = await engine.loss();
      const losses = [];
      const result = await engine.optimize({ steps: 12, tauStart: 0.03, tauEnd: 0.02, progressEvery: 1, onProgress: (p) => losses.push(p.loss) });
      const out = { backend: engine.backend, frame, start, losses, scene: result.scene };
      engine.dispose();
      return out;
    };
`;

/** Asserts that a WebGPU run matches the reference run: its frame, starting loss terms and the loss at every report. */
function assertRunsAgree(gpu, ref, what) {
  assert.equal(gpu.backend, "webgpu");
  const frameDiff = maxDiff(gpu.frame, ref.frame);
  assert.ok(frameDiff < 1e-5, `${what}: render differs by ${frameDiff}`);
  for (const key of Object.keys(ref.start)) {
    assert.ok(Math.abs(gpu.start[key] - ref.start[key]) <= 1e-4 * Math.abs(ref.start[key]) + 1e-7, `${what}: loss ${key}: ${gpu.start[key]} vs ${ref.start[key]}`);
  }
  gpu.losses.forEach((l, k) => assert.ok(Math.abs(l - ref.losses[k]) <= 5e-4 * ref.losses[k], `${what}: step ${k}: ${l} vs ${ref.losses[k]}`));
}

const numbers = (shape) =>
  shape.type === "triangle"
    ? [...shape.points.flat(), shape.fill].flat()
    : [shape.cx, shape.cy, ...(shape.type === "circle" ? [shape.r] : [shape.rx, shape.ry, shape.angle]), shape.fill].flat();

/** The largest difference between two arrays of numbers, element by element. */
const maxDiff = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

/** The largest difference between the circles', ellipses' and triangles' parameters in two lists of shapes. */
const parameterDiff = (shapes, others) => Math.max(...shapes.flatMap((s, i) => numbers(s).map((v, j) => Math.abs(v - numbers(others[i])[j]))));

test("webgpu layout: 512x512 with 200 shapes fits the default binding limit, taking more pixels per invocation if needed", () => {
  const small = planLayout(512, 512, 200, 32, 2 ** 31 - 4);
  assert.ok(small.bytes <= 256 * 1024 * 1024);
  const tight = planLayout(512, 512, 200, 4, 64 * 1024 * 1024);
  assert.ok(tight.pix > small.pix, `pix ${tight.pix}`);
  assert.ok(tight.bytes <= 64 * 1024 * 1024);
  assert.equal(tight.backY, Math.ceil(512 / (16 * tight.pix)));
  assert.ok(tight.chunks * tight.rowsPerChunk >= tight.rows);
  assert.throws(() => planLayout(4096, 4096, 2000, 1, 1024 * 1024), /partial sums/);
});

test("webgpu layout: about 64K backward invocations, 1 to 4 pixels each", () => {
  assert.equal(defaultPixelsPerThread(128, 128), 1);
  assert.equal(defaultPixelsPerThread(256, 256), 1);
  assert.equal(defaultPixelsPerThread(384, 300), 2);
  assert.equal(defaultPixelsPerThread(512, 512), 4);
  assert.equal(defaultPixelsPerThread(2048, 2048), 4);
  assert.equal(planLayout(512, 512, 100, 32, 2 ** 31).pix, 4);
});

test("webgpu probe: SwiftShader, llvmpipe and flagged fallback adapters count as software", () => {
  const adapter = (info, extra = {}) => ({ info, ...extra });
  assert.ok(isSoftwareAdapter(adapter({ vendor: "google", architecture: "swiftshader" })));
  assert.ok(isSoftwareAdapter(adapter({ vendor: "mesa", description: "llvmpipe (LLVM 15.0.6, 256 bits)" })));
  assert.ok(isSoftwareAdapter(adapter({ vendor: "x" }, { isFallbackAdapter: true })));
  assert.ok(isSoftwareAdapter(adapter({ vendor: "x", isFallbackAdapter: true })));
  assert.ok(!isSoftwareAdapter(adapter({ vendor: "nvidia", architecture: "", description: "NVIDIA: 580.159.04" })));
  assert.ok(!isSoftwareAdapter(adapter({ vendor: "apple", architecture: "metal-3" }, { isFallbackAdapter: false })));
});

test("webgpu on SwiftShader: non-square target, all shape types, frozen shape: render, loss and 12 steps match the reference", () => {
  const out = onSwiftShader(
    `
    const { scene, target } = input;
    const run = async (backend) => {
      const engine = await E.createEngine({ backend, gpu });
      engine.setTarget({ data: Float32Array.from(target.data.flat()), width: target.width, height: target.height });
      engine.setScene(scene);
      const frame = Array.from(await engine.render(scene, { tau: 0.02 }));
      const start = await engine.loss();
      const losses = [];
      const result = await engine.optimize({ steps: 12, tauStart: 0.02, tauEnd: 0.02, progressEvery: 1, frozen: [1], onProgress: (p) => losses.push(p.loss) });
      const out = { backend: engine.backend, frame, start, losses, final: result.loss, scene: result.scene, bestStep: result.bestStep };
      engine.dispose();
      return out;
    };
    return { gpu: await run("webgpu"), ref: await run("reference") };
    `,
    { scene: fixture.scene, target: fixture.target },
  );
  const { gpu, ref } = out;
  assertRunsAgree(gpu, ref, "non-square");
  assert.equal(gpu.losses.length, 12);
  // the run moved the free shapes, so agreeing parameters mean agreeing gradients
  const moved = Math.max(...numbers(ref.scene.shapes[0]).map((v, j) => Math.abs(v - numbers(fixture.scene.shapes[0])[j])));
  assert.ok(moved > 1e-3, `shape 0 moved by ${moved}`);
  assert.deepEqual(gpu.scene.shapes[1], fixture.scene.shapes[1]);
  const worst = parameterDiff(gpu.scene.shapes, ref.scene.shapes);
  // Adam moves a parameter with a near-zero gradient by about lr whatever its sign: float32 noise shows there
  assert.ok(worst < 1e-3, `parameters differ by ${worst}`);
  assert.equal(gpu.bestStep, ref.bestStep);
});

test("webgpu on SwiftShader: a grey background (0.37): render, loss, getFrame and 10 steps match the reference and the oracle", () => {
  assert.equal(greyFixture.scene.background, 0.37);
  const white = { ...greyFixture.scene, background: 1 };
  const out = onSwiftShader(
    `
    const { scene, white, target, tau } = input;
    const run = async (backend) => {
      const engine = await E.createEngine({ backend, gpu });
      engine.setTarget({ data: Float32Array.from(target.data.flat()), width: target.width, height: target.height });
      // the current scene white, the explicit render/loss argument grey, then the other way round
      engine.setScene(white);
      const frame = Array.from(await engine.render(scene, { tau }));
      const start = await engine.loss(scene, { tau });
      const whiteFrame = Array.from(await engine.render(undefined, { tau }));
      engine.setScene(scene);
      const current = Array.from(await engine.render(undefined, { tau }));
      const whiteLoss = await engine.loss(white, { tau });
      const losses = [];
      const frames = [];
      const result = await engine.optimize({
        steps: 10, tauStart: tau, tauEnd: tau, progressEvery: 5,
        onProgress: (p) => { losses.push(p.loss); frames.push(p.getFrame()); },
      });
      const lastFrame = Array.from(await frames.at(-1));
      const out = { backend: engine.backend, frame, start, whiteFrame, current, whiteLoss, losses, lastFrame, final: result.loss,
        scene: result.scene, background: engine.getScene().background };
      engine.dispose();
      return out;
    };
    return { gpu: await run("webgpu"), ref: await run("reference") };
    `,
    { scene: greyFixture.scene, white, target: greyFixture.target, tau: greyFixture.cases[0].tau },
  );
  const { gpu, ref } = out;
  assert.equal(gpu.backend, "webgpu");
  const oracle = greyFixture.cases[0].render.flat();
  assert.ok(maxDiff(gpu.frame, oracle) < 1e-5, `render differs from the oracle by ${maxDiff(gpu.frame, oracle)}`);
  assert.ok(maxDiff(gpu.frame, ref.frame) < 1e-5, `render differs by ${maxDiff(gpu.frame, ref.frame)}`);
  assert.ok(maxDiff(gpu.current, gpu.frame) < 1e-6, "the current grey scene renders like the grey argument");
  assert.ok(maxDiff(gpu.whiteFrame, ref.whiteFrame) < 1e-5 && maxDiff(gpu.whiteFrame, gpu.frame) > 0.5, "the white scene renders white");
  for (const key of Object.keys(ref.start)) {
    assert.ok(Math.abs(gpu.start[key] - ref.start[key]) <= 1e-4 * Math.abs(ref.start[key]) + 1e-7, `loss ${key}: ${gpu.start[key]} vs ${ref.start[key]}`);
    const oracleLoss = greyFixture.cases[0].loss[key];
    assert.ok(Math.abs(gpu.start[key] - oracleLoss) <= 1e-4 * Math.abs(oracleLoss) + 1e-7, `loss ${key}: ${gpu.start[key]} vs oracle ${oracleLoss}`);
    assert.ok(Math.abs(gpu.whiteLoss[key] - ref.whiteLoss[key]) <= 1e-4 * Math.abs(ref.whiteLoss[key]) + 1e-7, `white loss ${key}`);
  }
  assert.equal(gpu.losses.length, 2);
  gpu.losses.forEach((l, k) => assert.ok(Math.abs(l - ref.losses[k]) <= 5e-4 * ref.losses[k], `report ${k}: ${l} vs ${ref.losses[k]}`));
  assert.ok(Math.abs(gpu.final.total - ref.final.total) <= 5e-4 * ref.final.total, `final ${gpu.final.total} vs ${ref.final.total}`);
  // (parameters agree to ~1e-3 after the run, so edge pixels may differ by a little more)
  assert.ok(maxDiff(gpu.lastFrame, ref.lastFrame) < 5e-3, `progress frame differs by ${maxDiff(gpu.lastFrame, ref.lastFrame)}`);
  assert.ok(Math.abs(gpu.lastFrame[0] - 0.37) < 2e-3, `progress frame corner ${gpu.lastFrame[0]}`);
  assert.equal(gpu.background, 0.37);
  assert.equal(gpu.scene.background, 0.37);
  const worst = parameterDiff(gpu.scene.shapes, ref.scene.shapes);
  assert.ok(worst < 1e-3, `parameters differ by ${worst}`);
});

test("webgpu on SwiftShader: colour (RGB fills over an RGB background): render, loss and 12 steps match the reference and the oracle", () => {
  const { scene, target, cases } = colourFixture;
  assert.equal(target.channels, 3);
  const out = onSwiftShader(
    `
    const { scene, target, tau } = input;
    const run = async (backend) => {
      const engine = await E.createEngine({ backend, gpu });
      await engine.setTarget({ data: Float32Array.from(target.data.flat(2)), width: target.width, height: target.height, channels: 3 });
      engine.setScene(scene);
      const frame = Array.from(await engine.render(undefined, { tau }));
      const start = await engine.loss(undefined, { tau });
      const losses = [];
      const frames = [];
      const result = await engine.optimize({ steps: 12, tauStart: tau, tauEnd: tau, progressEvery: 6, frozen: [2],
        onProgress: (p) => { losses.push(p.loss); frames.push(p.getFrame()); } });
      const lastFrame = Array.from(await frames.at(-1));
      const out = { backend: engine.backend, frame, start, losses, lastFrame, final: result.loss, scene: result.scene };
      engine.dispose();
      return out;
    };
    return { gpu: await run("webgpu"), ref: await run("reference") };
    `,
    { scene, target, tau: cases[0].tau },
  );
  const { gpu, ref } = out;
  assert.equal(gpu.backend, "webgpu");
  const oracle = cases[0].render.flat(2);
  assert.equal(gpu.frame.length, oracle.length);
  assert.ok(maxDiff(gpu.frame, oracle) < 1e-5, `render differs from the oracle by ${maxDiff(gpu.frame, oracle)}`);
  for (const key of Object.keys(ref.start)) {
    const oracleLoss = cases[0].loss[key];
    assert.ok(Math.abs(gpu.start[key] - oracleLoss) <= 1e-4 * Math.abs(oracleLoss) + 1e-7, `loss ${key}: ${gpu.start[key]} vs oracle ${oracleLoss}`);
  }
  assert.equal(gpu.losses.length, 2);
  gpu.losses.forEach((l, k) => assert.ok(Math.abs(l - ref.losses[k]) <= 5e-4 * ref.losses[k], `report ${k}: ${l} vs ${ref.losses[k]}`));
  assert.ok(Math.abs(gpu.final.total - ref.final.total) <= 5e-4 * ref.final.total, `final ${gpu.final.total} vs ${ref.final.total}`);
  assert.ok(maxDiff(gpu.lastFrame, ref.lastFrame) < 5e-3, `progress frame differs by ${maxDiff(gpu.lastFrame, ref.lastFrame)}`);
  // every fill channel moved the same way on both (the gradient reaches slots 8 and 9)
  const moved = Math.max(...ref.scene.shapes[0].fill.map((v, c) => Math.abs(v - scene.shapes[0].fill[c])));
  assert.ok(moved > 1e-3, `fill moved by ${moved}`);
  assert.deepEqual(gpu.scene.shapes[2], scene.shapes[2]);
  const worst = parameterDiff(gpu.scene.shapes, ref.scene.shapes);
  assert.ok(worst < 1e-3, `parameters differ by ${worst}`);
});

test("webgpu on SwiftShader: other weights and an abort mid-run", () => {
  const out = onSwiftShader(
    `
    const { scene, target } = input;
    const weights = { ssim: 0, edge: 0.5, canvas: 3 };
    const run = async (backend, steps, abortAt) => {
      const engine = await E.createEngine({ backend, gpu });
      engine.setTarget({ data: Float32Array.from(target.data.flat()), width: target.width, height: target.height });
      engine.setScene(scene);
      const controller = new AbortController();
      const losses = [];
      const result = await engine.optimize({
        steps, weights, progressEvery: 1, signal: controller.signal, lr: 0.05, tauStart: 1 / 40, tauEnd: 0.2 / 40,
        onProgress: (p) => { losses.push(p.breakdown); if (p.step === abortAt) controller.abort(); },
      });
      engine.dispose();
      return { losses, steps: result.steps, aborted: result.aborted, final: result.loss };
    };
    return { gpu: await run("webgpu", 8, 0), ref: await run("reference", 8, 0), aborted: await run("webgpu", 40, 3) };
    `,
    { scene: fixture.scene, target: fixture.target },
  );
  const { gpu, ref, aborted } = out;
  gpu.losses.forEach((b, k) => {
    for (const key of ["mse", "edge", "perimeter", "canvas", "total"]) {
      assert.ok(Math.abs(b[key] - ref.losses[k][key]) <= 5e-4 * Math.abs(ref.losses[k][key]) + 1e-7, `step ${k} ${key}: ${b[key]} vs ${ref.losses[k][key]}`);
    }
  });
  assert.ok(Math.abs(gpu.final.total - ref.final.total) <= 5e-4 * ref.final.total);
  assert.equal(aborted.aborted, true);
  // chunks already submitted finish; the run stops within the in-flight window
  assert.ok(aborted.steps >= 3 && aborted.steps < 40, `steps ${aborted.steps}`);
});

test("webgpu on SwiftShader: positions off the unit square are reported clamped, as on the CPU", () => {
  const off = { type: "circle", cx: 1.2, cy: 0.5, r: 0.1, fill: 0.5, name: "off" };
  const out = onSwiftShader(
    `
    const { scene, target } = input;
    const engine = await E.createEngine({ backend: "webgpu", gpu });
    engine.setTarget({ data: Float32Array.from(target.data.flat()), width: target.width, height: target.height });
    engine.setScene(scene);
    const shapes = engine.getScene().shapes;
    engine.dispose();
    return shapes;
    `,
    { scene: { ...fixture.scene, shapes: [off, ...fixture.scene.shapes] }, target: fixture.target },
  );
  assert.ok(out[0].cx < 1 && out[0].cx > 0.999, `cx ${out[0].cx}`);
  assert.equal(out[0].name, "off");
  assert.deepEqual(out.slice(1), fixture.scene.shapes);
});

test("webgpu on SwiftShader: rects and curves (bent, straight, collinear, thin) with every other kind: render, loss and 12 steps match the reference", () => {
  const scene = {
    version: 1,
    width: 30,
    height: 22,
    background: 0.95,
    shapes: [
      { type: "circle", cx: 0.22, cy: 0.3, r: 0.15, fill: 0.4 },
      { type: "ellipse", cx: 0.6, cy: 0.6, rx: 0.2, ry: 0.1, angle: 0.3, fill: 0.7 },
      { type: "triangle", points: [[0.5, 0.1], [0.9, 0.2], [0.7, 0.5]], fill: 0.25 },
      { type: "rect", cx: 0.35, cy: 0.6, w: 0.3, h: 0.15, angle: -0.6, fill: 0.15 },
      { type: "rect", cx: 0.92, cy: 0.8, w: 0.12, h: 0.2, angle: 0.9, fill: 0.85 },
      { type: "curve", points: [[0.1, 0.9], [0.5, 0.05], [0.9, 0.75]], width: 0.06, fill: 0.1 },
      { type: "curve", points: [[0.2, 0.2], [0.5, 0.3], [0.8, 0.4]], width: 0.04, fill: 0.55 },
      { type: "curve", points: [[0.1, 0.45], [0.3, 0.45], [0.85, 0.45]], width: 0.05, fill: 0.3 },
      { type: "curve", points: [[0.3, 0.97], [0.6, 0.7], [0.75, 0.9]], width: 0.003, fill: 0.2 },
    ],
  };
  const target = { width: 30, height: 22, data: Array.from({ length: 30 * 22 }, (_, q) => 0.5 + 0.4 * Math.sin(0.37 * q) * Math.cos(0.11 * q)) };
  const out = onSwiftShader(
    `
    ${RUN_12_STEPS}
    const { scene, target } = input;
    return { gpu: await run("webgpu", scene, target), ref: await run("reference", scene, target) };
    `,
    { scene, target },
  );
  const { gpu, ref } = out;
  assertRunsAgree(gpu, ref, "mixed kinds");
  // every prior is active in this scene
  for (const key of ["perimeter", "degeneracy", "canvas"]) assert.ok(ref.start[key] > 0, key);
  const flat = (s) => [s.cx, s.cy, s.r, s.rx, s.ry, s.w, s.h, s.angle, s.width, ...(s.points ?? []).flat(), s.fill].filter((v) => v !== undefined);
  // the collinear curve's control point moves along its line without changing the
  // stroke: a zero gradient, which Adam turns into steps of about lr of float32 noise's sign
  const diffs = gpu.scene.shapes.flatMap((s, i) => flat(s).map((v, j) => [i === 7 && j === 3 ? 0 : Math.abs(v - flat(ref.scene.shapes[i])[j]), i, j]));
  const worst = Math.max(...diffs.map((d) => d[0]));
  assert.ok(worst < 1e-3, `parameters differ by ${worst}: ${JSON.stringify(diffs.filter((d) => d[0] >= 1e-3))}`);
  const moved = Math.max(...ref.scene.shapes.flatMap((s, i) => flat(s).map((v, j) => Math.abs(v - flat(scene.shapes[i])[j]))));
  assert.ok(moved > 1e-3, `the run moved the shapes by ${moved}`);
});

test("webgpu on SwiftShader: every kind with opacity < 1 (grey and colour, one shape opaque): render, loss and 12 steps match the reference", () => {
  const grey = {
    version: 1,
    width: 30,
    height: 22,
    background: 0.95,
    shapes: [
      { type: "circle", cx: 0.22, cy: 0.3, r: 0.15, fill: 0.4, opacity: 0.6 },
      { type: "ellipse", cx: 0.6, cy: 0.6, rx: 0.2, ry: 0.1, angle: 0.3, fill: 0.7, opacity: 0.8 },
      { type: "triangle", points: [[0.5, 0.1], [0.9, 0.2], [0.7, 0.5]], fill: 0.25, opacity: 0.45 },
      { type: "rect", cx: 0.35, cy: 0.6, w: 0.3, h: 0.15, angle: -0.6, fill: 0.15, opacity: 0.7 },
      { type: "curve", points: [[0.1, 0.9], [0.5, 0.05], [0.9, 0.75]], width: 0.06, fill: 0.1, opacity: 0.5 },
      { type: "circle", cx: 0.75, cy: 0.75, r: 0.12, fill: 0.9 },
    ],
  };
  const colour = { ...grey, background: [0.95, 0.9, 0.8], shapes: grey.shapes.map((s, i) => ({ ...s, fill: [s.fill, 0.2 + 0.12 * i, 0.85 - 0.1 * i] })) };
  const targetOf = (channels) => ({
    width: 30,
    height: 22,
    channels,
    data: Array.from({ length: 30 * 22 * channels }, (_, q) => 0.5 + 0.4 * Math.sin(0.37 * q) * Math.cos(0.11 * q)),
  });
  const out = onSwiftShader(
    `
    ${RUN_12_STEPS}
    const cases = [];
    for (const c of input.cases) cases.push({ gpu: await run("webgpu", c.scene, c.target), ref: await run("reference", c.scene, c.target) });
    return cases;
    `,
    { cases: [{ scene: grey, target: targetOf(1) }, { scene: colour, target: targetOf(3) }] },
  );
  const flat = (s) => [s.cx, s.cy, s.r, s.rx, s.ry, s.w, s.h, s.angle, s.width, ...(s.points ?? []).flat(), s.fill, s.opacity].flat().filter((v) => v !== undefined);
  out.forEach(({ gpu, ref }, c) => {
    const what = c === 0 ? "grey" : "colour";
    const scene = c === 0 ? grey : colour;
    assertRunsAgree(gpu, ref, what);
    const diffs = gpu.scene.shapes.flatMap((s, i) => flat(s).map((v, j) => [Math.abs(v - flat(ref.scene.shapes[i])[j]), i, j]));
    const worst = Math.max(...diffs.map((d) => d[0]));
    assert.ok(worst < 1e-3, `${what}: parameters differ by ${worst}: ${JSON.stringify(diffs.filter((d) => d[0] >= 1e-3))}`);
    // the translucent shapes' opacities moved, and alike on both; the opaque one stayed opaque
    for (let i = 0; i < 5; i++) {
      assert.ok(Math.abs(ref.scene.shapes[i].opacity - scene.shapes[i].opacity) > 1e-3, `${what}: shape ${i} opacity did not move`);
      assert.ok(Math.abs(gpu.scene.shapes[i].opacity - ref.scene.shapes[i].opacity) < 1e-3, `${what}: shape ${i} opacity ${gpu.scene.shapes[i].opacity} vs ${ref.scene.shapes[i].opacity}`);
    }
    assert.equal(gpu.scene.shapes[5].opacity, undefined);
    assert.equal(ref.scene.shapes[5].opacity, undefined);
  });
});
