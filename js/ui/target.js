// Decodes the target image sent by Python (PNG or JPEG bytes) to grey or RGB
// floats at the size Python asked for. Python sends a grey or RGB PNG already
// at that size when Pillow is there; in Pyodide it sends the file as it is,
// and the resize happens here. Grey uses the same luma weights as Pillow's
// "L" mode; alpha is composited on white, as in Python.

const cache = new WeakMap();

/** @param {number} w @param {number} h */
function makeCanvas(w, h) {
  if (typeof OffscreenCanvas !== "undefined") return new OffscreenCanvas(w, h);
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  return c;
}

/**
 * @param {DataView} bytes the encoded image
 * @param {[number, number]} size width and height wanted
 * @param {1 | 3} [channels] 1 grey, 3 RGB (the widget's `colour`)
 * @returns {Promise<{data: Float32Array, width: number, height: number, channels: 1 | 3}>}
 *   data: width*height*channels floats in [0, 1], the channels of a pixel together
 */
export function decodeTarget(bytes, size, channels = 1) {
  const key = bytes;
  const hit = cache.get(key);
  if (hit && hit.width === size[0] && hit.height === size[1] && hit.channels === channels) return hit.promise;
  const promise = decode(bytes, size, channels);
  const entry = { width: size[0], height: size[1], channels, promise };
  cache.set(key, entry);
  // a failed decode is tried again by the next run, not remembered
  promise.catch(() => forgetTarget(bytes, entry));
  return promise;
}

/**
 * Drop a cached decode (one that failed, or that missed the runner's deadline
 * and may never settle), so that the next run decodes afresh.
 * @param {DataView} bytes
 * @param {object} [entry] only this cache entry
 */
export function forgetTarget(bytes, entry) {
  if (!bytes) return;
  if (!entry || cache.get(bytes) === entry) cache.delete(bytes);
}

async function decode(bytes, [width, height], channels) {
  if (!bytes || bytes.byteLength === 0) throw new Error("no target image was set");
  if (!(width > 0 && height > 0)) throw new Error(`bad target size ${width}x${height}`);
  let bitmap;
  try {
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    bitmap = await createImageBitmap(new Blob([view]), {
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
    });
  } catch (err) {
    throw new Error(`the browser could not decode the target image (${err?.message ?? err})`);
  }
  const canvas = makeCanvas(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close?.();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const n = width * height;
  const data = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    const r = rgba[4 * i];
    const g = rgba[4 * i + 1];
    const b = rgba[4 * i + 2];
    if (channels === 3) {
      data[3 * i] = r / 255;
      data[3 * i + 1] = g / 255;
      data[3 * i + 2] = b / 255;
    } else data[i] = (r * 299 + g * 587 + b * 114) / 1000 / 255;
  }
  return { data, width, height, channels };
}

/**
 * Grey or RGB floats -> opaque 8-bit RGBA.
 * @param {Float32Array} values width*height*channels floats, the channels of a pixel together
 * @param {number} width
 * @param {number} height
 * @param {1 | 3} [channels]
 * @returns {Uint8ClampedArray}
 */
export function toRgba(values, width, height, channels = 1) {
  const rgba = new Uint8ClampedArray(4 * width * height);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      const v = values[channels === 3 ? 3 * i + c : i];
      rgba[4 * i + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

/**
 * @param {Float32Array} values
 * @param {number} width
 * @param {number} height
 * @param {1 | 3} [channels]
 */
export function toImageData(values, width, height, channels = 1) {
  return new ImageData(toRgba(values, width, height, channels), width, height);
}
