// Workloads shared by the engine benchmarks: a start scene padded with
// seeded random shapes, and a smooth synthetic grey target (the cost of a
// step does not depend on the target's content); the drivers' target input.

import { readFileSync } from "node:fs";
import { mulberry32 } from "../js/build/engine.mjs";

/** The drivers' parseArgs options for the target and the start scene: --target T.f32 --width --height --scene [--channels]. */
export const TARGET_OPTIONS = {
  target: { type: "string" },
  width: { type: "string" },
  height: { type: "string" },
  scene: { type: "string" },
  channels: { type: "string", default: "1" },
};

/** The target of parsed TARGET_OPTIONS, for engine.setTarget: width*height*channels little-endian float32 values. */
export function readTarget(values) {
  const width = Number(values.width);
  const height = Number(values.height);
  const channels = Number(values.channels);
  const bytes = readFileSync(values.target);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (data.length !== width * height * channels) {
    throw new Error(`target has ${data.length} values, expected ${width * height * channels}`);
  }
  return { data, width, height, channels };
}

/**
 * The first `count` shapes of the start scene plus seeded random ones, as a greedy run would add them.
 * @param {object} startScene
 * @param {number} count
 * @param {number} size width and height in pixels
 * @param {number} seed
 * @returns {object} scene
 */
export function sceneWith(startScene, count, size, seed) {
  const r = mulberry32(seed);
  const u = (a, b) => a + (b - a) * r();
  const shapes = startScene.shapes.slice(0, count).map((s) => ({ ...s }));
  for (let i = shapes.length; i < count; i++) {
    const fill = u(0.1, 0.9);
    const cx = u(0.15, 0.85);
    const cy = u(0.15, 0.85);
    if (i % 3 === 0) shapes.push({ type: "circle", cx, cy, r: u(0.02, 0.1), fill });
    else if (i % 3 === 1) shapes.push({ type: "ellipse", cx, cy, rx: u(0.02, 0.12), ry: u(0.02, 0.12), angle: u(-1.5, 1.5), fill });
    else {
      const p = () => [Math.min(0.95, Math.max(0.05, cx + u(-0.1, 0.1))), Math.min(0.95, Math.max(0.05, cy + u(-0.1, 0.1)))];
      shapes.push({ type: "triangle", points: [p(), p(), p()], fill });
    }
  }
  return { ...startScene, width: size, height: size, shapes };
}

/**
 * @param {number} size
 * @returns {Float32Array} size x size grey values: a dark blob on white with a faint ripple
 */
export function syntheticTarget(size) {
  const data = new Float32Array(size * size);
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const x = i / size - 0.45;
      const y = j / size - 0.55;
      data[j * size + i] = 0.95 - 0.6 * Math.exp(-(x * x + y * y) / 0.05) + 0.05 * Math.sin(i * 0.3) * Math.cos(j * 0.2);
    }
  }
  return data;
}

/**
 * The scene in colour, for timing: every fill and the background as
 * [v, v, v]. A step's cost depends on the shapes' geometry (the pixels each
 * covers and where its edge is soft), not on the values of the channels, and
 * on syntheticColourTarget a colour run then moves its shapes exactly as the
 * grey run does (the colour loss equals the grey loss on equal channels), so
 * the two compare the same drawing at every step. A tinted target would give
 * another drawing: measured with the earlier tinted pair, the colour run's
 * shapes stayed large while the grey run's shrank, and the ratio of their
 * step times (2.3x) mixed the cost of colour with that of a bigger drawing.
 * @param {object} scene
 * @returns {object} scene with [r, g, b] fills and background
 */
export function colourScene(scene) {
  const rgb = (v) => [v, v, v];
  return { ...scene, background: rgb(scene.background ?? 1), shapes: scene.shapes.map((s) => ({ ...s, fill: rgb(s.fill) })) };
}

/**
 * @param {number} size
 * @returns {Float32Array} size x size x 3 (interleaved RGB): syntheticTarget in every channel
 */
export function syntheticColourTarget(size) {
  const grey = syntheticTarget(size);
  const data = new Float32Array(3 * size * size);
  for (let p = 0; p < grey.length; p++) data.fill(grey[p], 3 * p, 3 * p + 3);
  return data;
}

/**
 * A drawing of `count` shapes the way a long search ends: the start scene's
 * large shapes, then shapes whose sizes are log-uniform between 0.005 and
 * 0.1 of the canvas (a search adds ever smaller shapes). The mean random
 * shape covers about 0.5 % of the canvas, so 500 shapes lie about 2.6 deep
 * and 1000 about 5 deep: the workload for "cost follows covered area".
 * sceneWith's sizes (radii 0.02-0.1 however many shapes) would pile 1000
 * shapes 50 deep, which no drawing does.
 * @param {object} startScene
 * @param {number} count
 * @param {number} width in pixels
 * @param {number} height in pixels
 * @param {number} seed
 * @returns {object} scene
 */
export function scaleScene(startScene, count, width, height, seed) {
  const r = mulberry32(seed);
  const u = (a, b) => a + (b - a) * r();
  const size = () => 0.005 * Math.exp(Math.log(20) * r());
  const clamp = (v) => Math.min(0.97, Math.max(0.03, v));
  const shapes = startScene.shapes.slice(0, count).map((s) => ({ ...s }));
  for (let i = shapes.length; i < count; i++) {
    const fill = u(0.1, 0.9);
    const cx = u(0.05, 0.95);
    const cy = u(0.05, 0.95);
    const s = size();
    if (i % 3 === 0) shapes.push({ type: "circle", cx, cy, r: s, fill });
    else if (i % 3 === 1) shapes.push({ type: "ellipse", cx, cy, rx: s * u(0.5, 1.5), ry: s * u(0.5, 1.5), angle: u(-1.5, 1.5), fill });
    else {
      const p = () => [clamp(cx + u(-1.5, 1.5) * s), clamp(cy + u(-1.5, 1.5) * s)];
      shapes.push({ type: "triangle", points: [p(), p(), p()], fill });
    }
  }
  return { ...startScene, width, height, shapes };
}

/**
 * @param {number} width
 * @param {number} height
 * @returns {Float32Array} width x height grey values: syntheticTarget's picture on any canvas
 */
export function syntheticTargetOf(width, height) {
  const data = new Float32Array(width * height);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const x = i / width - 0.45;
      const y = j / height - 0.55;
      data[j * width + i] = 0.95 - 0.6 * Math.exp(-(x * x + y * y) / 0.05) + 0.05 * Math.sin(i * 0.3) * Math.cos(j * 0.2);
    }
  }
  return data;
}
