// Helpers that several shape kinds share (priors, validation). Each kind
// module (circle.js, ...) is one unit with everything the engine needs to
// know about that kind; index.js is the table that finds them.

/** Canvas prior margin and the shortest triangle edge before the degeneracy prior (DESIGN.md). */
export const MARGIN = 0.05;
export const MIN_EDGE = 0.01;

export const relu = (x) => (x > 0 ? x : 0);
export const step = (x) => (x > 0 ? 1 : 0);
export const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

export function fail(where, message) {
  throw new Error(`invalid scene: ${where}: ${message}`);
}

export function checkNumber(value, where, { min = -Infinity, max = Infinity, open = false } = {}) {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    fail(where, `expected a finite number, got ${typeof value === "number" ? String(value) : JSON.stringify(value)}`);
  }
  if (open ? value <= min : value < min) fail(where, `${value} is ${open ? "not above" : "below"} ${min}`);
  if (value > max) fail(where, `${value} is above ${max}`);
}

/** Ramanujan's perimeter and its partial derivatives in a and b. */
export function ramanujan(a, b) {
  const s = a + b;
  const D = s * s + 1e-8;
  const h = ((a - b) * (a - b)) / D;
  const r = Math.sqrt(4 - 3 * h);
  const f = 1 + (3 * h) / (10 + r);
  const dfdh = 3 / (10 + r) + (9 * h) / (2 * r * (10 + r) ** 2);
  const common = (-(a - b) * (a - b) * 2 * s) / (D * D);
  const dhda = (2 * (a - b)) / D + common;
  const dhdb = (-2 * (a - b)) / D + common;
  return {
    value: Math.PI * s * f,
    da: Math.PI * f + Math.PI * s * dfdh * dhda,
    db: Math.PI * f + Math.PI * s * dfdh * dhdb,
  };
}

/**
 * Canvas prior of a round shape (centre v[0], v[1], extent `v[extentSlot]`),
 * value and weighted gradient into g (scene units).
 */
export function roundCanvas(v, extentSlot, wCanvas, g) {
  const extent = v[extentSlot];
  let canvas = 0;
  for (const c of [0, 1]) {
    const over = v[c] + extent - (1 - MARGIN);
    const under = MARGIN - (v[c] - extent);
    canvas += relu(over) + relu(under);
    g[c] += wCanvas * (step(over) - step(under));
    g[extentSlot] += wCanvas * (step(over) + step(under));
  }
  return canvas;
}

/** A standard normal number (Box-Muller). */
export function gauss(rng) {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}
