// Helper of tests/test_headless.py: runs the widget's shape search as the
// widget's runner does (js/ui/refine_runner.js's runRefine on the bundled
// engine, Wasm on this thread) and prints the final scene as JSON. Reads
// {target: {data, width, height, channels}, scene, request, weights} on stdin:
// `request` is the `refine` dict of PelicanWidget.refine's run request,
// `weights` the widget's weights trait, `scene` its start drawing.

import { readFileSync } from "node:fs";
import { createEngine } from "../js/build/engine.mjs";
import { runRefine } from "../js/ui/refine_runner.js";

const input = JSON.parse(readFileSync(0, "utf8"));
const engine = await createEngine({ backend: "wasm", workers: 0 });
const { data, width, height, channels } = input.target;
await engine.setTarget({ data: Float32Array.from(data), width, height, channels });
await engine.setScene(input.scene);
// The model surface runRefine writes to (rounds, scene, total_steps).
const state = new Map([["scene", input.scene]]);
const model = { get: (key) => state.get(key), set: (key, value) => state.set(key, value), save_changes: () => {} };
const result = await runRefine(engine, input.request, { weights: input.weights, progressEvery: 10 }, model);
process.stdout.write(JSON.stringify({ scene: result.scene, rounds: state.get("rounds").length }));
engine.dispose();
