// Large targets: 1024 x 1024 on the Wasm kernel (equal to the reference, its
// memory within the bounds of docs/engine.md, "Memory at scale") and on
// WebGPU (Dawn on SwiftShader, in a child Node: equal to Wasm).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { createReferenceEvaluator, createWasmEvaluator, mulberry32, sceneToRaw } from "../build/engine.mjs";

const SIZE = 1024;
const WEIGHTS = { mse: 1, edge: 0.1, ssim: 0.05 };
const SWIFTSHADER_DIR = "/usr/lib/chromium";
const ICD = `${SWIFTSHADER_DIR}/vk_swiftshader_icd.json`;

/** `count` shapes of every classic kind, small and large, and a smooth target; grey or RGB. */
function workload(count, channels, seed) {
  const r = mulberry32(seed);
  const fill = () => (channels === 3 ? [r(), r(), r()] : r());
  const shapes = [];
  for (let i = 0; i < count; i++) {
    const cx = r();
    const cy = r();
    const s = 0.004 * Math.exp(Math.log(40) * r());
    if (i % 3 === 0) shapes.push({ type: "circle", cx, cy, r: s, fill: fill() });
    else if (i % 3 === 1) shapes.push({ type: "ellipse", cx, cy, rx: s, ry: 0.6 * s, angle: 3 * r(), fill: fill() });
    else shapes.push({ type: "triangle", points: [[cx, cy], [cx + s, cy + 0.2 * s], [cx - 0.3 * s, cy + s]], fill: fill() });
  }
  const target = new Float32Array(SIZE * SIZE * channels);
  for (let q = 0; q < target.length; q++) {
    const p = Math.floor(q / channels);
    target[q] = 0.5 + 0.4 * Math.sin((p % SIZE) * 0.02 + (q % channels)) * Math.cos(Math.floor(p / SIZE) * 0.03);
  }
  const bg = channels === 3 ? [1, 1, 1] : 1;
  return { scene: { version: 1, width: SIZE, height: SIZE, background: bg, shapes }, target };
}

test("wasm at 1024x1024: loss terms and gradient equal the reference", async () => {
  const { scene, target } = workload(24, 1, 1);
  const { raw, types } = sceneToRaw(scene);
  const ref = createReferenceEvaluator();
  const wasm = await createWasmEvaluator({ workers: 0, bands: 2 });
  for (const evaluator of [ref, wasm]) {
    await evaluator.setTarget(target, SIZE, SIZE, 1);
    await evaluator.setTypes(types);
  }
  const expected = await ref.evaluate(raw, 1 / SIZE, WEIGHTS, true);
  const actual = await wasm.evaluate(raw, 1 / SIZE, WEIGHTS, true);
  for (const key of ["mse", "edge"]) {
    const err = Math.abs(actual.terms[key] - expected.terms[key]) / Math.abs(expected.terms[key]);
    assert.ok(err < 1e-4, `${key}: ${actual.terms[key]} vs ${expected.terms[key]}`);
  }
  // float32 SSIM maps on a smooth target (small variances over C2) are good to about 1e-4 of the mean
  assert.ok(Math.abs(actual.terms.ssim - expected.terms.ssim) < 1e-4, `ssim: ${actual.terms.ssim} vs ${expected.terms.ssim}`);
  const scale = Math.max(...Array.from(expected.grad, Math.abs));
  for (let q = 0; q < expected.grad.length; q++) {
    const err = Math.abs(actual.grad[q] - expected.grad[q]);
    assert.ok(err <= 2e-4 * scale + 1e-3 * Math.abs(expected.grad[q]), `grad[${q}] ${actual.grad[q]} vs ${expected.grad[q]}`);
  }
  wasm.dispose();
});

test("wasm at 1024x1024 with 1000 shapes: kernel memory within 64 (grey) / 152 (RGB) bytes per pixel plus 2 KB per shape", async () => {
  for (const [channels, perPixel] of [
    [1, 64],
    [3, 152],
  ]) {
    const { scene, target } = workload(1000, channels, 2);
    const { raw, types } = sceneToRaw(scene);
    const wasm = await createWasmEvaluator({ workers: 0 });
    await wasm.setTarget(target, SIZE, SIZE, channels);
    await wasm.setTypes(types);
    const { terms, grad } = await wasm.evaluate(raw, 1 / SIZE, WEIGHTS, true);
    assert.ok(Number.isFinite(terms.mse + terms.edge + terms.ssim));
    assert.ok(grad.every(Number.isFinite));
    const bound = perPixel * SIZE * SIZE + 2048 * 1000;
    assert.ok(wasm.memoryBytes() <= bound, `${channels} channels: ${wasm.memoryBytes()} bytes > ${bound}`);
    wasm.dispose();
  }
});

test("webgpu on SwiftShader at 1024x1024: loss, render and a step equal Wasm", () => {
  assert.ok(existsSync(ICD), `no SwiftShader Vulkan driver at ${ICD} (Debian package chromium)`);
  const bundle = new URL("../build/engine.mjs", import.meta.url).href;
  const nodeGpu = new URL("../engine/webgpu/node-gpu.mjs", import.meta.url).href;
  // SwiftShader takes seconds per step at this size: one step, few shapes
  const script = `
    import { gpu } from ${JSON.stringify(nodeGpu)};
    import * as E from ${JSON.stringify(bundle)};
    import { writeSync } from "node:fs";
    const SIZE = ${SIZE};
    const { scene, target } = (${workload.toString()})(8, 1, 3);
    const out = {};
    for (const [name, engine] of [["webgpu", await E.createEngine({ backend: "webgpu", gpu })], ["wasm", await E.createEngine({ backend: "wasm", workers: 0 })]]) {
      await engine.setTarget({ data: target, width: ${SIZE}, height: ${SIZE} });
      await engine.setScene(scene);
      const loss = (await engine.loss(scene)).total;
      const image = await engine.render(scene);
      const stepped = await engine.optimize({ steps: 1 });
      out[name] = { backend: engine.backend, loss, sum: image.reduce((a, b) => a + b, 0), length: image.length, after: stepped.loss.total };
    }
    writeSync(1, JSON.stringify(out));
    process.exit(0);
  `.replace("mulberry32", "E.mulberry32");
  const stdout = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    env: { ...process.env, LD_LIBRARY_PATH: SWIFTSHADER_DIR, VK_ICD_FILENAMES: ICD },
    encoding: "utf8",
  });
  const { webgpu, wasm } = JSON.parse(stdout);
  assert.equal(webgpu.backend, "webgpu");
  assert.equal(webgpu.length, SIZE * SIZE);
  assert.ok(Math.abs(webgpu.loss - wasm.loss) <= 1e-4 * wasm.loss, `loss ${webgpu.loss} vs ${wasm.loss}`);
  assert.ok(Math.abs(webgpu.sum - wasm.sum) <= 1e-5 * wasm.sum, `render sums ${webgpu.sum} vs ${wasm.sum}`);
  assert.ok(Math.abs(webgpu.after - wasm.after) <= 1e-4 * wasm.after, `after a step ${webgpu.after} vs ${wasm.after}`);
});
