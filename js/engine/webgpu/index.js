// The WebGPU backend of the engine (see docs/engine.md, "WebGPU backend").

export { probeWebGPU, isSoftwareAdapter } from "./probe.js";
export { createWebGPUBackend } from "./backend.js";
