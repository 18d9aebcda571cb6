// Canvas views that stay crisp at any zoom: the backing store follows the
// element's CSS size times devicePixelRatio, the scene is drawn as vector
// paths at that resolution, and the target (a pixel image) is drawn with
// nearest-neighbour scaling so its pixels stay visible as pixels.

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
  for (const s of scene.shapes ?? []) {
    ctx.fillStyle = fillColor(s.fill);
    ctx.beginPath();
    if (s.type === "circle") {
      ctx.ellipse(s.cx * scene.width * sx, s.cy * scene.height * sy, s.r * l * sx, s.r * l * sy, 0, 0, 2 * Math.PI);
    } else if (s.type === "ellipse") {
      ctx.ellipse(
        s.cx * scene.width * sx,
        s.cy * scene.height * sy,
        s.rx * l * sx,
        s.ry * l * sy,
        s.angle,
        0,
        2 * Math.PI,
      );
    } else if (s.type === "triangle") {
      s.points.forEach(([x, y], i) => {
        const px = x * scene.width * sx;
        const py = y * scene.height * sy;
        if (i === 0) ctx.moveTo(px, py);
        else ctx.lineTo(px, py);
      });
      ctx.closePath();
    }
    ctx.fill();
  }
}

/**
 * Draw a grey image at its own pixel size; CSS scales it with
 * `image-rendering: pixelated`.
 * @param {HTMLCanvasElement} canvas
 * @param {ImageData} image
 */
export function drawPixels(canvas, image) {
  if (canvas.width !== image.width) canvas.width = image.width;
  if (canvas.height !== image.height) canvas.height = image.height;
  canvas.getContext("2d").putImageData(image, 0, 0);
}
