// Turning what a caller hands to setTarget into the engine's target: grey
// (1 channel) or colour (3 channels, interleaved RGB per pixel).

/**
 * @param {{data: ArrayLike<number>, width: number, height: number, channels?: 1 | 3 | "auto"}} target
 *   data: floats in [0, 1], width*height*channels of them, row-major with the
 *   channels of a pixel together (RGB RGB ...), or RGBA bytes
 *   (Uint8ClampedArray / Uint8Array of length 4*width*height).
 *   channels: 1 (grey, the default) or 3 (RGB). For RGBA bytes, 1 turns them
 *   grey exactly like PIL's convert("L"), 3 keeps R, G, B (/255; alpha is
 *   ignored), and "auto" gives 3 when some pixel's R, G, B differ, else 1.
 * @returns {{data: Float32Array, width: number, height: number, channels: 1 | 3}}
 */
export function toTarget(target) {
  if (!target || typeof target !== "object") throw new Error("setTarget: expected {data, width, height}");
  const { data, width, height } = target;
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new Error(`setTarget: width and height must be positive integers, got ${width}x${height}`);
  }
  let channels = target.channels ?? 1;
  if (channels !== 1 && channels !== 3 && channels !== "auto") {
    throw new Error(`setTarget: channels must be 1, 3 or "auto", got ${JSON.stringify(target.channels)}`);
  }
  const n = width * height;
  const bytes = data instanceof Uint8ClampedArray || data instanceof Uint8Array;
  if (bytes && data.length === 4 * n) {
    if (channels === "auto") {
      channels = 1;
      for (let p = 0; p < n && channels === 1; p++) {
        if (data[4 * p] !== data[4 * p + 1] || data[4 * p] !== data[4 * p + 2]) channels = 3;
      }
    }
    if (channels === 3) {
      const rgb = new Float32Array(3 * n);
      for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) rgb[3 * p + c] = data[4 * p + c] / 255;
      return { data: rgb, width, height, channels };
    }
    const grey = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      // PIL's convert("L"): L = (299 R + 587 G + 114 B) / 1000 in its 16-bit fixed-point form, rounded
      const l = (data[4 * p] * 19595 + data[4 * p + 1] * 38470 + data[4 * p + 2] * 7471 + 0x8000) >> 16;
      grey[p] = l / 255;
    }
    return { data: grey, width, height, channels: 1 };
  }
  if (bytes) throw new Error(`setTarget: RGBA bytes must have length 4*width*height = ${4 * n}, got ${data.length}`);
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    throw new Error("setTarget: data must be a Float32Array of values in [0, 1] or RGBA bytes (Uint8ClampedArray)");
  }
  if (channels === "auto") throw new Error('setTarget: channels "auto" is for RGBA bytes; give 1 or 3 with float data');
  const what = channels === 1 ? "grey data must have length width*height" : "RGB data must have length 3*width*height";
  if (data.length !== channels * n) throw new Error(`setTarget: ${what} = ${channels * n}, got ${data.length}`);
  const values = Float32Array.from(data);
  for (let p = 0; p < values.length; p++) {
    if (!(values[p] >= 0 && values[p] <= 1)) throw new Error(`setTarget: value ${values[p]} at ${p} is outside [0, 1]`);
  }
  return { data: values, width, height, channels };
}

/** The former name of {@link toTarget}, kept for callers of the grey-only engine. */
export const toGreyTarget = toTarget;
