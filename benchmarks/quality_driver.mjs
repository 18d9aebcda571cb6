// Node driver for benchmarks/quality.py: one engine.optimize run with default
// hyperparameters, timed around the optimize call.
//
//   node benchmarks/quality_driver.mjs --backend wasm --target T.f32 --width 128 --height 128 \
//     --scene start.json [--channels 3] [--steps 500]
//
// T.f32 holds width*height*channels little-endian float32 values in [0, 1]
// (--channels 1, the default: grey; 3: RGB, the channels of a pixel together).
// Prints one line: `DONE {"backend", "backendReason", "seconds", "steps", "bestStep", "skipped", "loss", "scene"}`.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createEngine } from "../js/build/engine.mjs";
import { readTarget, TARGET_OPTIONS } from "./bench_util.mjs";

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    ...TARGET_OPTIONS,
    steps: { type: "string", default: "500" },
  },
});

const target = readTarget(values);

const engine = await createEngine({ backend: values.backend, workers: 0 });
if (engine.backend !== values.backend) {
  throw new Error(`asked for the ${values.backend} backend, got ${engine.backend}: ${engine.backendReason}`);
}
await engine.setTarget(target);
await engine.setScene(JSON.parse(readFileSync(values.scene, "utf8")));
const started = performance.now();
const result = await engine.optimize({ steps: Number(values.steps) });
const seconds = (performance.now() - started) / 1000;
engine.dispose();
const { scene, loss, steps, bestStep, skipped } = result;
console.log(`DONE ${JSON.stringify({ backend: engine.backend, backendReason: engine.backendReason, seconds, steps, bestStep, skipped, loss, scene })}`);
