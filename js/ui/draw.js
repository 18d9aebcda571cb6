// Canvas views that stay crisp at any zoom: the backing store follows the
// element's CSS size times devicePixelRatio, the scene is drawn as vector
// paths at that resolution, and the target (a pixel image) is drawn with
// nearest-neighbour scaling so its pixels stay visible as pixels.

import { KIND_BY_NAME } from "../engine/shapes/index.js";
import { fillColor } from "./svg.js";

/**
 * Size the canvas backing store to its displayed size.
 * @param {HTMLCanvasElement} canvas
 * @returns {{w: number, h: number, dpr: number}}
 */
export function fitBackingStore(canvas) {
  const dpr = globalThis.devicePixelRatio || 1;
  const rect = canvas.getBoundingClientRect();
  const w = Math.max(1, Math.round((rect.width || canvas.clientWidth || 1) * dpr));
  const h = Math.max(1, Math.round((rect.height || canvas.clientHeight || 1) * dpr));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  return { w, h, dpr };
}

/**
 * Draw a scene (wire format) as vector shapes filling the canvas.
 * @param {HTMLCanvasElement} canvas
 * @param {any} scene
 */
export function drawScene(canvas, scene) {
  const { w, h } = fitBackingStore(canvas);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, w, h);
  if (!scene || !scene.width) return;
  // the canvas has the scene's aspect ratio (CSS aspect-ratio), so one scale
  const sx = w / scene.width;
  const sy = h / scene.height;
  const l = Math.max(scene.width, scene.height);
  ctx.fillStyle = fillColor(scene.background ?? 1);
  ctx.fillRect(0, 0, w, h);
  // scene x, y (fractions of width, height) and lengths (of the longer side) in canvas pixels
  const px = {
    x: (x) => x * scene.width * sx,
    y: (y) => y * scene.height * sy,
    lx: (r) => r * l * sx,
    ly: (r) => r * l * sy,
  };
  for (const s of scene.shapes ?? []) {
    const kind = Object.hasOwn(KIND_BY_NAME, s.type) ? KIND_BY_NAME[s.type] : null;
    if (!kind) continue;
    ctx.beginPath();
    kind.canvasPath(ctx, s, px);
    // the shape's opacity (DESIGN.md): source-over with alpha is out = (1 - a) out + a fill
    ctx.globalAlpha = s.opacity ?? 1;
    if (kind.paint === "stroke") {
      ctx.strokeStyle = fillColor(s.fill);
      ctx.stroke();
    } else {
      ctx.fillStyle = fillColor(s.fill);
      ctx.fill();
    }
  }
  ctx.globalAlpha = 1;
}

/**
 * Draw an image at its own pixel size; CSS scales it with
 * `image-rendering: pixelated`.
 * @param {HTMLCanvasElement} canvas
 * @param {ImageData} image
 */
export function drawPixels(canvas, image) {
  if (canvas.width !== image.width) canvas.width = image.width;
  if (canvas.height !== image.height) canvas.height = image.height;
  canvas.getContext("2d").putImageData(image, 0, 0);
}
