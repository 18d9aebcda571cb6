// ms per full optimiser step of the WebGPU backend (forward, loss terms and
// adjoints, backward, gradient reduction, priors, clipping, Adam, best state:
// everything stays on the GPU) under Node with the npm package `webgpu` (Dawn),
// at 128², 256² and 512² with 9, 35 and 100 shapes, in grey and in colour
// (RGB fills on an RGB target; bench_util's colourScene: the same drawing in
// three channels, so the two columns time the same geometry), side by side.
//
//   cd js && npm run build && cd .. && node benchmarks/webgpu_bench.mjs [--quick] [--sizes 128,256] [--pix 1,2,4]
//       [--quality target.f32] [--tiling auto|on|off]
//
// The time per step is the difference between a long and a short run over
// the difference in steps, so the fixed cost of a run (start, final
// evaluation, readbacks) drops out; each is the median of 3 repeats.
// --pix 1,2,4 times each backward pixels-per-invocation choice at 256x35 and 512x100.
// --scene names the start scene (default ../shared/data/initial_pelican.json).
// --profile 256x35,512x200 prints the GPU time of each dispatch of a step
// (timestamp queries, one compute pass per dispatch, median of 50 steps);
// a WxHxN case (e.g. 2040x1344x2048) profiles --big's scaleScene drawing.
// --big also times 512x512 with 200 shapes (the size the backend must handle)
// and, at scale, 512x512 and 1024x1024 with 1000 shapes and 2040x1344 with
// 2048 (bench_util's scaleScene: a long search's drawing, log-uniform sizes),
// grey; RESULT keys webgpu_<W>x<H>x<shapes>_ms.
// --tiling picks the backend's path (createWebGPUBackend's `tiling`): "auto"
// (the default, as the engine runs it), "on" (shapes binned to tiles at any
// count) or "off" (every pixel walks every shape); run the command once per
// value to compare the paths on one machine.
// --quality T.f32 (128x128 grey float32) also runs 500 steps from the pelican
// start scene on WebGPU and on the in-process Wasm kernel and compares the
// final losses. Needs a WebGPU adapter: on a machine without a GPU, point
// Dawn at a Vulkan ICD (e.g. SwiftShader) through VK_ICD_FILENAMES.

import { readFileSync } from "node:fs";
import { register } from "node:module";
import { parseArgs } from "node:util";
import { createEngine } from "../js/build/engine.mjs";
import { colourScene, scaleScene, sceneWith, syntheticColourTarget, syntheticTarget, syntheticTargetOf } from "./bench_util.mjs";
import { gpu } from "../js/engine/webgpu/node-gpu.mjs";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    sizes: { type: "string", default: "128,256,512" },
    shapes: { type: "string", default: "9,35,100" },
    pix: { type: "string", default: "" },
    quality: { type: "string", default: "" },
    big: { type: "boolean", default: false },
    profile: { type: "string", default: "" },
    tiling: { type: "string", default: "auto" },
    scene: { type: "string", default: new URL("../../shared/data/initial_pelican.json", import.meta.url).pathname },
  },
});

const startScene = JSON.parse(readFileSync(values.scene, "utf8"));

/**
 * The backend module alone (the engine bundle does not export it), from the
 * sources: a module hook loads the .wgsl files as text, as the bundler does,
 * so no bundler is needed (the device machines have none).
 */
async function loadBackendModule() {
  const hook = `
    import { readFileSync } from "node:fs";
    import { fileURLToPath } from "node:url";
    export async function load(url, context, next) {
      if (!url.endsWith(".wgsl")) return next(url, context);
      const text = readFileSync(fileURLToPath(url), "utf8");
      return { format: "module", shortCircuit: true, source: "export default " + JSON.stringify(text) + ";" };
    }`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
  return import("../js/engine/webgpu/index.js");
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeRun(engine, scene, steps) {
  engine.setScene(scene);
  const t = performance.now();
  const result = await engine.optimize({ steps });
  return { ms: performance.now() - t, result };
}

/** ms per step from a short and a long run (median of 3 each). */
async function msPerStep(engine, scene, short, long) {
  await timeRun(engine, scene, short);
  const a = [];
  const b = [];
  let loss = NaN;
  for (let rep = 0; rep < 3; rep++) {
    a.push((await timeRun(engine, scene, short)).ms);
    const run = await timeRun(engine, scene, long);
    b.push(run.ms);
    loss = run.result.loss.total;
  }
  return { ms: (median(b) - median(a)) / (long - short), loss };
}

const { createWebGPUBackend } = await loadBackendModule();
const engine = await createWebGPUBackend({ gpu, tiling: values.tiling });
console.log(`adapter: ${engine.backendReason}; tiling ${values.tiling}`);
const sizes = values.sizes.split(",").map(Number);
const counts = values.shapes.split(",").map(Number);
const [short, long] = values.quick ? [5, 25] : [100, 600];

const result = [];
const timings = {};
for (const size of sizes) {
  for (const colour of [false, true]) {
    const data = colour ? syntheticColourTarget(size) : syntheticTarget(size);
    await engine.setTarget({ data, width: size, height: size, channels: colour ? 3 : 1 });
    for (const count of counts) {
      const grey = sceneWith(startScene, count, size, count);
      timings[`${size}x${count}${colour ? "_rgb" : ""}`] = await msPerStep(engine, colour ? colourScene(grey) : grey, short, long);
    }
  }
}
console.log(
  `${"size".padEnd(10)}${"shapes".padStart(8)}${"grey ms".padStart(10)}${"steps/s".padStart(9)}${"RGB ms".padStart(10)}` +
    `${"steps/s".padStart(9)}${"RGB/grey".padStart(10)}${"grey loss".padStart(12)}${"RGB loss".padStart(12)}`,
);
for (const size of sizes) {
  for (const count of counts) {
    const grey = timings[`${size}x${count}`];
    const rgb = timings[`${size}x${count}_rgb`];
    result.push(`webgpu_${size}x${count}_ms=${grey.ms.toFixed(4)}`, `webgpu_${size}x${count}_rgb_ms=${rgb.ms.toFixed(4)}`);
    console.log(
      `${`${size}x${size}`.padEnd(10)}${String(count).padStart(8)}${grey.ms.toFixed(4).padStart(10)}${(1000 / grey.ms).toFixed(0).padStart(9)}` +
        `${rgb.ms.toFixed(4).padStart(10)}${(1000 / rgb.ms).toFixed(0).padStart(9)}${`${(rgb.ms / grey.ms).toFixed(2)}x`.padStart(10)}` +
        `${grey.loss.toFixed(6).padStart(12)}${rgb.loss.toFixed(6).padStart(12)}`,
    );
  }
}
if (values.big) {
  engine.setTarget({ data: syntheticTarget(512), width: 512, height: 512 });
  const [a, b] = values.quick ? [3, 8] : [20, 120];
  const { ms, loss } = await msPerStep(engine, sceneWith(startScene, 200, 512, 200), a, b);
  result.push(`webgpu_512x200_ms=${ms.toFixed(4)}`);
  console.log(`${"512x512".padEnd(10)}${"200".padStart(8)}${ms.toFixed(4).padStart(12)}${(1000 / ms).toFixed(0).padStart(12)}${loss.toFixed(6).padStart(14)}`);
  for (const [width, height, count] of [
    [512, 512, 1000],
    [1024, 1024, 1000],
    [2040, 1344, 2048],
  ]) {
    await engine.setTarget({ data: syntheticTargetOf(width, height), width, height });
    const [c, d] = values.quick ? [2, 5] : [10, 40];
    const big = await msPerStep(engine, scaleScene(startScene, count, width, height, count), c, d);
    result.push(`webgpu_${width}x${height}x${count}_ms=${big.ms.toFixed(4)}`);
    console.log(
      `${`${width}x${height}`.padEnd(10)}${String(count).padStart(8)}${big.ms.toFixed(4).padStart(12)}` +
        `${(1000 / big.ms).toFixed(0).padStart(12)}${big.loss.toFixed(6).padStart(14)}`,
    );
  }
}
engine.dispose();

if (values.pix) {
  console.log("\nbackward pixels per invocation");
  for (const [size, count] of [
    [256, 35],
    [512, 100],
  ]) {
    for (const pix of values.pix.split(",").map(Number)) {
      const backend = await createWebGPUBackend({ gpu, pixelsPerThread: pix, tiling: "off" });
      backend.setTarget({ data: syntheticTarget(size), width: size, height: size });
      const { ms } = await msPerStep(backend, sceneWith(startScene, count, size, count), short, long);
      backend.dispose();
      console.log(`${size}x${count}  pix=${pix}  ${ms.toFixed(4)} ms/step`);
      result.push(`webgpu_${size}x${count}_pix${pix}_ms=${ms.toFixed(4)}`);
    }
  }
}

if (values.profile) {
  const backend = await createWebGPUBackend({ gpu, profile: true, tiling: values.tiling });
  console.log("\nGPU time per dispatch [us] (median of 50 steps; separate passes)");
  let header = false;
  for (const spec of values.profile.split(",")) {
    const dims = spec.split("x").map(Number);
    if (dims.length === 3) {
      const [width, height, count] = dims;
      backend.setTarget({ data: syntheticTargetOf(width, height), width, height });
      backend.setScene(scaleScene(startScene, count, width, height, count));
    } else {
      const [size, count] = dims;
      backend.setTarget({ data: syntheticTarget(size), width: size, height: size });
      backend.setScene(sceneWith(startScene, count, size, count));
    }
    await backend.profileSteps(10);
    const us = await backend.profileSteps(50);
    const names = Object.keys(us);
    if (!header) {
      console.log(`${"case".padEnd(16)}${names.map((n) => n.padStart(14)).join("")}${"sum".padStart(10)}`);
      header = true;
    }
    const sum = names.reduce((a, n) => a + us[n], 0);
    console.log(`${spec.padEnd(16)}${names.map((n) => us[n].toFixed(1).padStart(14)).join("")}${sum.toFixed(1).padStart(10)}`);
    result.push(`gpu_us_${spec}=${sum.toFixed(1)}`);
  }
  backend.dispose();
}

if (values.quality) {
  const bytes = readFileSync(values.quality);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const side = Math.round(Math.sqrt(data.length));
  const scene = { ...startScene, width: side, height: side };
  console.log(`\nquality: 500 steps from the pelican start scene, ${side}x${side}`);
  const losses = {};
  for (const backend of ["webgpu", "wasm"]) {
    const e = await createEngine({ backend, gpu, workers: 0 });
    e.setTarget({ data, width: side, height: side });
    e.setScene(scene);
    const t = performance.now();
    const r = await e.optimize({ steps: 500 });
    const s = (performance.now() - t) / 1000;
    e.dispose();
    losses[backend] = r.loss.total;
    console.log(`${e.backend.padEnd(8)} final loss ${r.loss.total.toFixed(6)}  best step ${r.bestStep}  ${s.toFixed(2)} s`);
  }
  const rel = Math.abs(losses.webgpu - losses.wasm) / losses.wasm;
  console.log(`relative difference ${(100 * rel).toFixed(3)} %`);
  result.push(`quality_webgpu=${losses.webgpu.toFixed(6)} quality_wasm=${losses.wasm.toFixed(6)}`);
}
console.log(`RESULT ${result.join(" ")}`);
process.exit(0);
