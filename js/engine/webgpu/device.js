// Device setup: limits and features the kernels need, compile errors with
// their messages, and a watch for errors that arrive later (lost device,
// out-of-memory, validation) so that a run can hand over to Wasm.

import { PROGRAMS, declaredBindings, programSource } from "./shaders.js";

/** GPUBufferUsage / GPUMapMode values (fixed by the spec; Node has no globals for them). */
export const USAGE = Object.freeze({ MAP_READ: 1, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128, QUERY_RESOLVE: 512 });
export const MAP_READ = 1;

const LIMITS = ["maxStorageBufferBindingSize", "maxBufferSize", "maxStorageBuffersPerShaderStage", "maxComputeWorkgroupsPerDimension"];

/**
 * @param {GPUAdapter} adapter
 * @param {{timestamps?: boolean}} [options] timestamps: also ask for "timestamp-query" (profiling)
 * @returns {Promise<{device: GPUDevice, failure: () => string|null, close: () => void}>}
 */
export async function openDevice(adapter, { timestamps = false } = {}) {
  const requiredLimits = {};
  for (const name of LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = timestamps ? ["subgroups", "timestamp-query"] : ["subgroups"];
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  let message = null;
  let closing = false;
  device.lost.then((info) => {
    if (!closing && message === null) message = `device lost (${info.reason ?? "unknown"}): ${info.message}`;
  });
  const onError = (event) => {
    const error = event.error;
    if (message === null) message = `${error?.constructor?.name ?? "GPUError"}: ${error?.message ?? error}`;
  };
  if (typeof device.addEventListener === "function") device.addEventListener("uncapturederror", onError);
  else device.onuncapturederror = onError;
  return {
    device,
    failure: () => message,
    close() {
      closing = true;
      device.destroy();
    },
  };
}

function formatMessages(name, { code, where }, messages) {
  const lines = code.split("\n");
  return messages
    .map((m) => `${name}: ${where(m.lineNum)}:${m.linePos}: ${m.type}: ${m.message}\n    ${lines[m.lineNum - 1]?.trim() ?? ""}`)
    .join("\n");
}

/**
 * Compiles every program into a compute pipeline; throws with the compiler's
 * messages on a WGSL error and with the validation message on a bad pipeline.
 * @returns {Promise<Record<string, {pipeline: GPUComputePipeline, bindings: number[]}>>}
 */
export async function compilePrograms(device, constants) {
  const out = {};
  await Promise.all(
    Object.keys(PROGRAMS).map(async (name) => {
      const source = programSource(name, constants);
      device.pushErrorScope("validation");
      const module = device.createShaderModule({ code: source.code, label: name });
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === "error");
      let pipelineError = null;
      let pipeline = null;
      try {
        pipeline = await device.createComputePipelineAsync({ label: name, layout: "auto", compute: { module, entryPoint: "main" } });
      } catch (error) {
        pipelineError = error;
      }
      const scoped = await device.popErrorScope();
      if (errors.length > 0) throw new Error(`WGSL compile error:\n${formatMessages(name, source, errors)}`);
      if (pipelineError || scoped) throw new Error(`WebGPU pipeline ${name}: ${(pipelineError ?? scoped).message}`);
      out[name] = { pipeline, bindings: declaredBindings(name) };
    }),
  );
  return out;
}

/**
 * @param {GPUDevice} device
 * @param {{pipeline: GPUComputePipeline, bindings: number[]}} program
 * @param {Record<number, GPUBuffer>} buffers by binding number
 */
export function bindGroup(device, program, buffers, label) {
  const entries = program.bindings.map((binding) => {
    const buffer = buffers[binding];
    if (!buffer) throw new Error(`bind group ${label}: no buffer for binding ${binding}`);
    return { binding, resource: { buffer } };
  });
  return device.createBindGroup({ label, layout: program.pipeline.getBindGroupLayout(0), entries });
}
