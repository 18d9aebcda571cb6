// Turning what a caller hands to setTarget into the engine's grey target.

/**
 * @param {{data: ArrayLike<number>, width: number, height: number}} target
 *   data: grey floats in [0, 1] (width*height), or RGBA bytes
 *   (Uint8ClampedArray / Uint8Array of length 4*width*height)
 * @returns {{data: Float32Array, width: number, height: number}}
 */
export function toGreyTarget(target) {
  if (!target || typeof target !== "object") throw new Error("setTarget: expected {data, width, height}");
  const { data, width, height } = target;
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new Error(`setTarget: width and height must be positive integers, got ${width}x${height}`);
  }
  const n = width * height;
  const bytes = data instanceof Uint8ClampedArray || data instanceof Uint8Array;
  if (bytes && data.length === 4 * n) {
    const grey = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      // PIL's convert("L"): L = (299 R + 587 G + 114 B) / 1000 in its 16-bit fixed-point form, rounded
      const l = (data[4 * p] * 19595 + data[4 * p + 1] * 38470 + data[4 * p + 2] * 7471 + 0x8000) >> 16;
      grey[p] = l / 255;
    }
    return { data: grey, width, height };
  }
  if (bytes) throw new Error(`setTarget: RGBA bytes must have length 4*width*height = ${4 * n}, got ${data.length}`);
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    throw new Error("setTarget: data must be a Float32Array of grey values or RGBA bytes (Uint8ClampedArray)");
  }
  if (data.length !== n) throw new Error(`setTarget: grey data must have length width*height = ${n}, got ${data.length}`);
  const grey = Float32Array.from(data);
  for (let p = 0; p < n; p++) {
    if (!(grey[p] >= 0 && grey[p] <= 1)) throw new Error(`setTarget: grey value ${grey[p]} at ${p} is outside [0, 1]`);
  }
  return { data: grey, width, height };
}
