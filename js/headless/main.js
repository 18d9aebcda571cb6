// Node entry of pelican_widget.headless: runs one job on the bundled engine
// and answers in JSON lines. Bundled by js/build.mjs to
// src/pelican_widget/static/headless.mjs.
//
// stdin, one JSON object per line: first the job
//   {target: {width, height, channels, data}, scene, mode: "refine" | "optimize",
//    options, backend, workers, webgpuModule?, progressMs?}
// (data: base64 of width*height*channels little-endian float32 in [0, 1], RGB
// interleaved; options: engine.refine's or engine.optimize's, JSON-able ones),
// then optionally {"stop": true}. A stop line, the end of stdin, SIGINT and
// SIGTERM all stop the run the same way: the engine keeps its best drawing,
// which is answered as usual.
//
// stdout, one JSON object per line, `event` first:
//   {event: "start", backend, reason, plannedSteps}
//   {event: "progress", step, loss}              at most every progressMs
//   {event: "round", round, type, lossBefore, lossAfter, accepted, shapes, scene}
//   {event: "done", scene, loss, steps, stopped, seconds}   loss: the breakdown at tau 0.5/L
//   {event: "error", message}                     then exit code 1

import { createInterface } from "node:readline";
import { plannedSteps, resolveRefineOptions } from "../engine/refine.js";
import { createHeadlessEngine } from "./engine.js";

const MODES = ["refine", "optimize"];

/** Writes one event line; resolves once it is handed to the OS (pipes may be asynchronous, e.g. on macOS). */
function emit(event, fields) {
  return new Promise((resolve) => process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`, resolve));
}

/** @param {{width: number, height: number, channels: number, data: string}} target */
function decodeTarget({ width, height, channels, data }) {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`target size must be positive integers, got ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3) throw new Error(`target channels must be 1 or 3, got ${channels}`);
  const bytes = Buffer.from(data, "base64");
  const expected = width * height * channels * 4;
  if (bytes.length !== expected) throw new Error(`target data has ${bytes.length} bytes, expected ${expected}`);
  const values = new Float32Array(width * height * channels);
  for (let i = 0; i < values.length; i++) values[i] = bytes.readFloatLE(4 * i);
  return { data: values, width, height, channels };
}

/** Calls `send` at most every `ms` milliseconds; calls in between are dropped. */
function throttle(ms, send) {
  let last = -Infinity;
  return (fields) => {
    const now = performance.now();
    if (now - last < ms) return;
    last = now;
    send(fields);
  };
}

async function run(job, signal) {
  if (!MODES.includes(job.mode)) throw new Error(`mode must be one of ${MODES.join(", ")}, got ${JSON.stringify(job.mode)}`);
  const engine = await createHeadlessEngine({ backend: job.backend ?? "auto", workers: job.workers ?? 0, webgpuModule: job.webgpuModule });
  try {
    await engine.setTarget(decodeTarget(job.target));
    await engine.setScene(job.scene);
    const options = job.options ?? {};
    const startShapes = engine.getScene().shapes.length;
    const planned = job.mode === "refine" ? plannedSteps(resolveRefineOptions(options), startShapes) : (options.steps ?? 500);
    emit("start", { backend: engine.backend, reason: engine.backendReason, plannedSteps: planned });
    const progress = throttle(job.progressMs ?? 100, (fields) => emit("progress", fields));
    const started = performance.now();
    const { width, height } = engine.getTarget();
    const evalTau = 0.5 / Math.max(width, height);
    if (job.mode === "optimize") {
      const result = await engine.optimize({ ...options, signal, onProgress: (p) => progress({ step: p.step, loss: p.loss }) });
      const seconds = (performance.now() - started) / 1000;
      return { scene: result.scene, loss: result.loss, steps: result.steps, stopped: result.aborted ? "aborted" : "steps", seconds };
    }
    const result = await engine.refine({
      ...options,
      signal,
      onProgress: (p) => progress({ step: p.totalStep, loss: p.loss }),
      onRound: (round) => emit("round", round),
    });
    const seconds = (performance.now() - started) / 1000;
    // The breakdown of the kept drawing under the search's own weights, as the widget reports it.
    const loss = await engine.loss(result.scene, { tau: evalTau, weights: options.weights });
    return { scene: result.scene, loss, steps: result.steps, stopped: result.stopped, seconds };
  } finally {
    engine.dispose();
  }
}

async function main() {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let job = null;
  let jobReady;
  const jobLine = new Promise((resolve) => {
    jobReady = resolve;
  });
  lines.on("line", (line) => {
    if (!line.trim()) return;
    if (job === null) {
      job = line;
      jobReady(line);
    } else if (JSON.parse(line).stop) {
      stop();
    }
  });
  lines.on("close", () => {
    stop();
    jobReady(null);
  });
  const text = await jobLine;
  if (text === null) throw new Error("no job on stdin");
  const result = await run(JSON.parse(text), controller.signal);
  await emit("done", result);
}

// Exit explicitly: Dawn and the worker threads may hold the event loop open.
main().then(
  () => process.exit(0),
  async (error) => {
    await emit("error", { message: error?.message ?? String(error) });
    process.exit(1);
  },
);
