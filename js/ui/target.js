// Decodes the target image sent by Python (PNG or JPEG bytes) to grey floats
// at the size Python asked for. Python sends a grey PNG already at that size
// when Pillow is there; in Pyodide it sends the file as it is, and the resize
// happens here. Grey uses the same luma weights as Pillow's "L" mode.

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
 * @returns {Promise<{data: Float32Array, width: number, height: number}>}
 */
export function decodeTarget(bytes, size) {
  const key = bytes;
  const hit = cache.get(key);
  if (hit && hit.width === size[0] && hit.height === size[1]) return hit.promise;
  const promise = decode(bytes, size);
  const entry = { width: size[0], height: size[1], promise };
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

async function decode(bytes, [width, height]) {
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
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const r = rgba[4 * i];
    const g = rgba[4 * i + 1];
    const b = rgba[4 * i + 2];
    data[i] = (r * 299 + g * 587 + b * 114) / 1000 / 255;
  }
  return { data, width, height };
}

/**
 * Grey floats -> PNG bytes (for the `frame` trait).
 * @param {Float32Array} grey
 * @param {number} width
 * @param {number} height
 * @returns {Promise<DataView>}
 */
export async function encodeGreyPng(grey, width, height) {
  const canvas = makeCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.putImageData(greyToImageData(grey, width, height), 0, 0);
  const blob =
    "convertToBlob" in canvas
      ? await canvas.convertToBlob({ type: "image/png" })
      : await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  return new DataView(await blob.arrayBuffer());
}

/**
 * @param {Float32Array} grey
 * @param {number} width
 * @param {number} height
 */
export function greyToImageData(grey, width, height) {
  const img = new ImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = Math.round(Math.min(1, Math.max(0, grey[i])) * 255);
    img.data[4 * i] = v;
    img.data[4 * i + 1] = v;
    img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  return img;
}
