// Picks and starts the engine of a headless job, as createEngine does in a
// page, with what Node has instead of a page: Wasm Workers are
// worker_threads (createEngine can only start Blob-URL module Workers), and
// WebGPU is the npm package `webgpu` (Dawn), loaded only when a job may use it.

import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { createCpuEngine } from "../engine/cpu.js";
import { wrapBackend } from "../engine/index.js";
import { createWasmEvaluator } from "../engine/wasm/evaluator.js";
import { createWebGPUBackend, probeWebGPU } from "../engine/webgpu/index.js";
import { spawnThreadWorker } from "./worker.js";

/** How long "auto" waits for a WebGPU adapter before it runs on Wasm (as in a page). */
const ADAPTER_WAIT_MS = 10_000;

/**
 * Dawn's `navigator.gpu` for this process.
 * @param {string | undefined} modulePath the `webgpu` package's folder, or undefined for a plain `import("webgpu")`
 * @returns {Promise<{gpu: any, reason: string}>} gpu null when Dawn cannot be loaded, with the reason
 */
async function loadDawn(modulePath) {
  let dawn;
  try {
    dawn = await import(modulePath ? pathToFileURL(join(modulePath, "index.js")).href : "webgpu");
  } catch (error) {
    const where = modulePath ? ` from ${modulePath}` : "";
    return { gpu: null, reason: `the npm package "webgpu" (Dawn) could not be loaded${where}: ${error.message.split("\n")[0]}` };
  }
  Object.assign(globalThis, dawn.globals);
  const options = (process.env.PELICAN_DAWN_OPTIONS ?? "").split(",").filter(Boolean);
  const gpu = dawn.create(options);
  // Held for the life of the process, as navigator.gpu in a page: Dawn's
  // instance must outlive its adapters and devices (a collected GPU object
  // takes them down mid-run).
  if (!globalThis.navigator) globalThis.navigator = { gpu };
  else if (!globalThis.navigator.gpu) Object.defineProperty(globalThis.navigator, "gpu", { value: gpu, configurable: true });
  return { gpu, reason: "" };
}

function probeWithin(gpu, ms) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `the adapter request did not answer within ${ms / 1000} s` }), ms);
  });
  return Promise.race([probeWebGPU(gpu), late]).finally(() => clearTimeout(timer));
}

/**
 * @param {number} workers worker threads for the Wasm kernel; 0 runs it on the main thread
 * @param {string} why the reason shown with the backend
 */
async function wasmEngine(workers, why) {
  if (workers === 0) {
    const evaluator = await createWasmEvaluator({ workers: 0 });
    return createCpuEngine(evaluator, { backend: "wasm", backendReason: `Wasm SIMD kernel on the main thread (${why})` });
  }
  const evaluator = await createWasmEvaluator({ workers, spawnWorker: spawnThreadWorker });
  const where = `in ${workers} worker thread${workers === 1 ? "" : "s"}`;
  return createCpuEngine(evaluator, { backend: "wasm", backendReason: `Wasm SIMD kernel ${where} (${why})` });
}

/**
 * @param {{backend: "auto" | "wasm" | "webgpu", workers: number, webgpuModule?: string}} options
 * @returns {Promise<object>} an engine (js/engine/index.js's Engine)
 */
export async function createHeadlessEngine({ backend, workers, webgpuModule }) {
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`workers must be a non-negative integer, got ${workers}`);
  const wasm = (why) => wasmEngine(workers, why);
  if (backend === "wasm") return wrapBackend(await wasm("asked for"), null);
  if (backend !== "auto" && backend !== "webgpu") {
    throw new Error(`unknown backend ${JSON.stringify(backend)} (use "auto", "wasm" or "webgpu")`);
  }
  const { gpu, reason } = await loadDawn(webgpuModule);
  const probe = gpu ? await probeWithin(gpu, ADAPTER_WAIT_MS) : { ok: false, reason };
  if (backend === "webgpu") {
    if (!probe.ok) throw new Error(`WebGPU backend unavailable: ${probe.reason}`);
    return wrapBackend(await createWebGPUBackend({ gpu }), wasm);
  }
  if (probe.ok && !probe.isFallbackAdapter) return wrapBackend(await createWebGPUBackend({ gpu }), wasm);
  const why = probe.ok ? "the WebGPU adapter is a software fallback, about 20x slower than Wasm" : `WebGPU unavailable (${probe.reason})`;
  return wrapBackend(await wasm(why), null);
}
