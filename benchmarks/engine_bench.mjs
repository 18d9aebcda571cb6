// ms per full optimiser step (forward + loss + backward + priors + Adam) for
// the scalar JS reference and the Wasm kernel in-process and in 1 and 2
// Workers, at 128x128 with the 9-shape pelican start scene and 256x256 with
// 35 shapes (the 9 plus 26 seeded random ones, as a greedy run would reach),
// and the 256x256 x 35 case again in colour (RGB fills on an RGB target), for
// the Wasm backends, next to grey with the colour/grey ratio. The colour case
// is the grey drawing in three equal channels (bench_util.mjs colourScene):
// the colour run then moves its shapes as the grey run does, so the ratio is
// the cost of colour on the same drawing.
//
//   cd js && npm run build && cd .. && node benchmarks/engine_bench.mjs [--quick] [--scale]
//
// --scale times many shapes instead: 256x256 x 500 and 512x512 x 1000
// (bench_util.mjs scaleScene: a long search's drawing, sizes log-uniform,
// about 2.6 and 5 deep) for the Wasm Workers, next to the 256x256 x 35 row
// of the same run as the baseline they are compared with.
//
// Each backend runs the engine's own Adam loop (runAdam + evaluateLoss); a
// run's time per step is the median of its step-to-step intervals after a
// warm-up, and the table shows the best of 3 interleaved rounds, so a busy
// shared machine skews it less. Workers run on
// node:worker_threads (Node has no Web Worker global); the browser pool uses
// the same Worker code. The target is a smooth synthetic grey image: the
// cost does not depend on its content.

import { readFileSync } from "node:fs";
import { createReferenceEvaluator, createWasmEvaluator, defaultTaus, evaluateLoss, resolveWeights, runAdam, sceneToRaw } from "../js/build/engine.mjs";
import { colourScene, scaleScene, sceneWith, syntheticColourTarget, syntheticTarget } from "./bench_util.mjs";
import { spawnNodeWorker } from "../js/test/node-worker.mjs";

const quick = process.argv.includes("--quick");
const scale = process.argv.includes("--scale");
const startScene = JSON.parse(readFileSync(new URL("../../shared/data/initial_pelican.json", import.meta.url), "utf8"));

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median ms per step over `steps` timed steps after `warmup` steps. */
async function timeSteps(evaluator, scene, target, warmup, steps, channels = 1) {
  const { width, height } = scene;
  const { raw, types } = sceneToRaw(scene);
  await evaluator.setTarget(target, width, height, channels);
  await evaluator.setTypes(types);
  const weights = resolveWeights();
  const taus = defaultTaus(width, height);
  const stamps = [];
  await runAdam({
    evaluate: (r, tau, wantGrad) => evaluateLoss(evaluator, r, types, tau, weights, wantGrad),
    raw,
    steps: warmup + steps + 1,
    lr: 0.02,
    tau0: taus.tau0,
    tau1: taus.tau1,
    frozen: new Set(),
    progressEvery: 1,
    onProgress: () => stamps.push(performance.now()),
  });
  const intervals = [];
  for (let k = warmup + 1; k < stamps.length; k++) intervals.push(stamps[k] - stamps[k - 1]);
  return median(intervals);
}

const BACKENDS = [
  { key: "js", label: "JS reference", make: () => createReferenceEvaluator(), steps: [1, 3] },
  { key: "wasm0", label: "Wasm in-process", make: () => createWasmEvaluator({ workers: 0 }), steps: [5, 60] },
  { key: "wasm1", label: "Wasm 1 Worker", make: () => createWasmEvaluator({ workers: 1, spawnWorker: spawnNodeWorker }), steps: [5, 60] },
  { key: "wasm2", label: "Wasm 2 Workers", make: () => createWasmEvaluator({ workers: 2, spawnWorker: spawnNodeWorker }), steps: [5, 60] },
];

const CONFIGS = [
  { key: "128x9", size: 128, shapes: 9 },
  { key: "256x35", size: 256, shapes: 35 },
  { key: "256x35_rgb", size: 256, shapes: 35, colour: true },
];

const SCALE_BACKENDS = BACKENDS.filter((b) => b.key === "wasm1" || b.key === "wasm2").map((b) => ({ ...b, steps: [3, 30] }));
const SCALE_CONFIGS = [
  { key: "256x35", size: 256, shapes: 35 },
  { key: "256x500", size: 256, shapes: 500 },
  { key: "512x1000", size: 512, shapes: 1000 },
];

const rounds = quick ? 1 : 3;
const results = {};

/** Best-of-rounds ms per step of every backend on every config, into `results`. */
async function measure(configs, backendsFor, sceneFor) {
  for (const config of configs) {
    const scene = sceneFor(config);
    const target = config.colour ? syntheticColourTarget(config.size) : syntheticTarget(config.size);
    const backends = backendsFor(config);
    const evaluators = [];
    for (const backend of backends) evaluators.push(await backend.make());
    try {
      // rounds interleave the backends, so a burst of load elsewhere hits all of them
      for (let round = 0; round < rounds; round++) {
        for (const [b, backend] of backends.entries()) {
          const [warmup, steps] = quick ? [1, Math.min(3, backend.steps[1])] : backend.steps;
          const ms = await timeSteps(evaluators[b], scene, target, warmup, steps, config.colour ? 3 : 1);
          const key = `${backend.key}_${config.key}`;
          results[key] = Math.min(results[key] ?? Infinity, ms);
        }
      }
    } finally {
      for (const evaluator of evaluators) evaluator.dispose();
    }
  }
}

const pad = (s, n) => String(s).padStart(n);

if (scale) {
  await measure(SCALE_CONFIGS, () => SCALE_BACKENDS, (c) =>
    c.shapes <= 35 ? sceneWith(startScene, c.shapes, c.size, 35) : scaleScene(startScene, c.shapes, c.size, c.size, c.shapes),
  );
  console.log(`engine step time at scale, ms per full step (median of a run, best of ${rounds} rounds), Node ${process.version}`);
  console.log(`${"backend".padEnd(18)}${SCALE_CONFIGS.map((c) => pad(`${c.size}x${c.size}, ${c.shapes}`, 16)).join("")}`);
  for (const backend of SCALE_BACKENDS) {
    console.log(backend.label.padEnd(18) + SCALE_CONFIGS.map((c) => pad(results[`${backend.key}_${c.key}`].toFixed(2), 16)).join(""));
  }
  const keys = SCALE_BACKENDS.flatMap((b) => SCALE_CONFIGS.map((c) => `${b.key}_${c.key}`));
  console.log(`RESULT ${keys.map((k) => `${k}_ms=${results[k].toFixed(2)}`).join(" ")}`);
  process.exit(0);
}

await measure(
  CONFIGS,
  // the scalar reference in colour would only say what its grey column says, three times slower
  (config) => BACKENDS.filter((b) => !config.colour || b.key !== "js"),
  (config) => {
    const grey = sceneWith(startScene, config.shapes, config.size, 35);
    return config.colour ? colourScene(grey) : grey;
  },
);

console.log(`engine step time, ms per full step (median of a run, best of ${rounds} rounds), Node ${process.version}`);
console.log(
  `${"backend".padEnd(18)}${pad("128x128, 9", 14)}${pad("x JS", 8)}${pad("256x256, 35", 14)}${pad("x JS", 8)}` +
    `${pad("256, 35 RGB", 14)}${pad("RGB/grey", 10)}`,
);
for (const backend of BACKENDS) {
  let line = backend.label.padEnd(18);
  for (const config of CONFIGS.filter((c) => !c.colour)) {
    const ms = results[`${backend.key}_${config.key}`];
    const speedup = results[`js_${config.key}`] / ms;
    line += pad(ms.toFixed(2), 14) + pad(`${speedup.toFixed(1)}x`, 8);
  }
  const rgb = results[`${backend.key}_256x35_rgb`];
  line += rgb === undefined ? pad("-", 14) + pad("-", 10) : pad(rgb.toFixed(2), 14) + pad(`${(rgb / results[`${backend.key}_256x35`]).toFixed(2)}x`, 10);
  console.log(line);
}
const keys = ["js_128x9", "wasm1_128x9", "wasm2_128x9", "js_256x35", "wasm1_256x35", "wasm2_256x35", "wasm1_256x35_rgb", "wasm2_256x35_rgb"];
console.log(`RESULT ${keys.map((k) => `${k}_ms=${results[k].toFixed(2)}`).join(" ")}`);
