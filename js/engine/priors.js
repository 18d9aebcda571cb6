// Shape priors (perimeter, triangle degeneracy, staying on the canvas) in
// scene units, with their analytic gradient with respect to the raw
// parameters. Shared by every CPU backend.

import { CIRCLE, ELLIPSE, STRIDE, TRIANGLE, decodeShape } from "./params.js";

const MARGIN = 0.05;
const MIN_EDGE = 0.01;

const relu = (x) => (x > 0 ? x : 0);
const step = (x) => (x > 0 ? 1 : 0);

/** Ramanujan's perimeter and its partial derivatives in a and b. */
function ramanujan(a, b) {
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

/** relu(x - (1 - MARGIN)) + relu(MARGIN - x) and its derivative in x. */
function canvasTerm(x) {
  return { value: relu(x - (1 - MARGIN)) + relu(MARGIN - x), d: step(x - (1 - MARGIN)) - step(MARGIN - x) };
}

/**
 * @param {ArrayLike<number>} raw STRIDE floats per shape
 * @param {Uint8Array} types
 * @param {{perimeter:number, degeneracy:number, canvas:number}} weights
 * @param {boolean} wantGrad
 * @returns {{terms:{perimeter:number, degeneracy:number, canvas:number}, grad?:Float64Array}}
 *   grad: d(w.perimeter*perimeter + w.degeneracy*degeneracy + w.canvas*canvas)/d(raw)
 */
export function computePriors(raw, types, weights, wantGrad) {
  const n = types.length;
  const grad = wantGrad ? new Float64Array(n * STRIDE) : null;
  const v = new Float64Array(STRIDE);
  const dv = new Float64Array(STRIDE);
  const g = new Float64Array(STRIDE);
  let perimeter = 0;
  let degeneracy = 0;
  let canvas = 0;
  for (let i = 0; i < n; i++) {
    const type = types[i];
    decodeShape(raw, i, type, v, dv);
    g.fill(0);
    if (type === CIRCLE || type === ELLIPSE) {
      let extent = v[2];
      let extentSlot = 2;
      if (type === CIRCLE) {
        perimeter += 2 * Math.PI * v[2];
        g[2] += weights.perimeter * 2 * Math.PI;
      } else {
        const p = ramanujan(v[2], v[3]);
        perimeter += p.value;
        g[2] += weights.perimeter * p.da;
        g[3] += weights.perimeter * p.db;
        if (v[3] > v[2]) {
          extent = v[3];
          extentSlot = 3;
        }
      }
      for (const c of [0, 1]) {
        const over = v[c] + extent - (1 - MARGIN);
        const under = MARGIN - (v[c] - extent);
        canvas += relu(over) + relu(under);
        g[c] += weights.canvas * (step(over) - step(under));
        g[extentSlot] += weights.canvas * (step(over) + step(under));
      }
    } else if (type === TRIANGLE) {
      for (let e = 0; e < 3; e++) {
        const a = 2 * e;
        const b = 2 * ((e + 1) % 3);
        const dx = v[b] - v[a];
        const dy = v[b + 1] - v[a + 1];
        const len = Math.sqrt(dx * dx + dy * dy);
        perimeter += len;
        degeneracy += relu(MIN_EDGE - len);
        if (len > 0) {
          const dLen = weights.perimeter - weights.degeneracy * step(MIN_EDGE - len);
          const ux = (dLen * dx) / len;
          const uy = (dLen * dy) / len;
          g[b] += ux;
          g[b + 1] += uy;
          g[a] -= ux;
          g[a + 1] -= uy;
        }
      }
      for (let k = 0; k < 6; k++) {
        const c = canvasTerm(v[k]);
        canvas += c.value;
        g[k] += weights.canvas * c.d;
      }
    }
    if (grad) for (let k = 0; k < STRIDE; k++) grad[i * STRIDE + k] = g[k] * dv[k];
  }
  return { terms: { perimeter, degeneracy, canvas }, grad: grad ?? undefined };
}
