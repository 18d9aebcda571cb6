// Node driver for benchmarks/refine.py: runs engine.refine on the Wasm
// backend (in-process kernel, or --workers N node:worker_threads Workers) and
// streams one JSON line per round.
//
//   node benchmarks/refine_driver.mjs --target T.f32 --width 128 --height 128 \
//     --scene start.json [--channels 3] [--workers N] --proposal error --seed 0 --max-shapes 35 [--settle-steps N]
//     [--reoptimize-steps N] [--initial-steps N] [--options JSON]
//
// --options is a JSON object merged last into engine.refine's options (e.g.
// '{"loss": "mse"}'), so any refine option can be tried without a new flag.
// T.f32 holds width*height*channels little-endian float32 values in [0, 1]
// (--channels 1, the default: grey; 3: RGB, the channels of a pixel together).
// Output lines: `ROUND {...}` per round, then `DONE {...}` with the final scene.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createCpuEngine, createEngine, createWasmEvaluator, wrapBackend } from "../js/build/engine.mjs";
import { spawnNodeWorker } from "../js/test/node-worker.mjs";
import { readTarget, TARGET_OPTIONS } from "./bench_util.mjs";

const { values } = parseArgs({
  options: {
    ...TARGET_OPTIONS,
    workers: { type: "string", default: "0" },
    proposal: { type: "string", default: "error" },
    seed: { type: "string", default: "0" },
    "max-shapes": { type: "string", default: "35" },
    "settle-steps": { type: "string" },
    "reoptimize-steps": { type: "string" },
    "initial-steps": { type: "string" },
    options: { type: "string", default: "{}" },
  },
});

const target = readTarget(values);
const scene = JSON.parse(readFileSync(values.scene, "utf8"));

const extra = JSON.parse(values.options);
if (extra === null || typeof extra !== "object" || Array.isArray(extra)) {
  throw new Error(`--options must be a JSON object, got ${values.options}`);
}
const optional = (key, name) => (values[key] !== undefined ? { [name]: Number(values[key]) } : {});

const workers = Number(values.workers);
// Node has no Web Worker global: createEngine would run in-process, so Workers come from worker_threads here
const engine =
  workers > 0
    ? wrapBackend(
        await createCpuEngine(await createWasmEvaluator({ workers, spawnWorker: spawnNodeWorker }), {
          backend: "wasm",
          backendReason: `Wasm SIMD kernel in ${workers} worker threads`,
        }),
        null,
      )
    : await createEngine({ backend: "wasm", workers: 0 });
await engine.setTarget(target);
await engine.setScene(scene);
const started = performance.now();
const result = await engine.refine({
  maxShapes: Number(values["max-shapes"]),
  seed: Number(values.seed),
  proposal: values.proposal,
  ...optional("settle-steps", "settleSteps"),
  ...optional("reoptimize-steps", "reoptimizeSteps"),
  ...optional("initial-steps", "initialSteps"),
  ...extra,
  onRound: ({ scene: _scene, ...record }) => {
    record.seconds = (performance.now() - started) / 1000;
    console.log(`ROUND ${JSON.stringify(record)}`);
  },
});
const seconds = (performance.now() - started) / 1000;
console.log(
  `DONE ${JSON.stringify({
    backend: engine.backend,
    seconds,
    steps: result.steps,
    loss: result.loss,
    accepted: result.accepted,
    rejected: result.rejected,
    stopped: result.stopped,
    scene: result.scene,
  })}`,
);
engine.dispose?.();
