// Node only (not part of the bundle): WebGPU through the npm package `webgpu`
// (Dawn). Importing this module installs it as navigator.gpu, so
//   node --import ./js/engine/webgpu/node-gpu.mjs driver.mjs
// runs any engine driver with `backend: "webgpu"` or "auto". Dawn options
// (e.g. "backend=vulkan") come from PELICAN_DAWN_OPTIONS, comma-separated.

import { create, globals } from "webgpu";

Object.assign(globalThis, globals);
const options = (process.env.PELICAN_DAWN_OPTIONS ?? "").split(",").filter(Boolean);

/** The GPU object of this process (navigator.gpu once the module has run). */
export const gpu = globalThis.navigator?.gpu ?? create(options);

if (!globalThis.navigator) {
  globalThis.navigator = { gpu };
} else if (!globalThis.navigator.gpu) {
  Object.defineProperty(globalThis.navigator, "gpu", { value: gpu, configurable: true });
}
