// Adapter discovery: is there WebGPU, and is the adapter real hardware?

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|warp/i;

/**
 * True for an adapter that rasterises on the CPU (SwiftShader, llvmpipe, WARP).
 * @param {GPUAdapter} adapter
 */
export function isSoftwareAdapter(adapter) {
  const info = adapter.info ?? {};
  if (adapter.isFallbackAdapter === true || info.isFallbackAdapter === true) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((s) => typeof s === "string" && SOFTWARE.test(s));
}

/** Plain copy of GPUAdapterInfo (its fields are getters, invisible to JSON). */
export function describeAdapter(adapter) {
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description: info.description ?? "",
    subgroupMinSize: info.subgroupMinSize ?? null,
    subgroupMaxSize: info.subgroupMaxSize ?? null,
  };
}

export function adapterName(info) {
  return [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(" / ") || "unnamed adapter";
}

/**
 * @param {GPU} gpu `navigator.gpu` or the object of the npm package `webgpu`
 * @returns {Promise<GPUAdapter|null>}
 */
export async function requestAdapter(gpu) {
  return gpu.requestAdapter({ powerPreference: "high-performance" });
}

/**
 * @param {GPU} [gpu] defaults to navigator.gpu
 * @returns {Promise<{ok: boolean, reason: string, isFallbackAdapter: boolean, adapterInfo: object|null}>}
 *   ok: a WebGPU backend can run (any adapter with subgroups); isFallbackAdapter:
 *   it would run on the CPU, so "auto" should pick Wasm
 */
export async function probeWebGPU(gpu = globalThis.navigator?.gpu) {
  const no = (reason) => ({ ok: false, reason, isFallbackAdapter: false, adapterInfo: null });
  if (!gpu) return no("this JS environment has no WebGPU (navigator.gpu is missing)");
  let adapter;
  try {
    adapter = await requestAdapter(gpu);
  } catch (error) {
    return no(`requestAdapter failed: ${error?.message ?? error}`);
  }
  if (!adapter) return no("WebGPU is present but gave no adapter");
  const adapterInfo = describeAdapter(adapter);
  const software = isSoftwareAdapter(adapter);
  if (!adapter.features.has("subgroups")) {
    return { ok: false, reason: `adapter ${adapterName(adapterInfo)} lacks the "subgroups" feature`, isFallbackAdapter: software, adapterInfo };
  }
  const kind = software ? "software (CPU) adapter" : "hardware adapter";
  return { ok: true, reason: `${kind} ${adapterName(adapterInfo)}`, isFallbackAdapter: software, adapterInfo };
}
