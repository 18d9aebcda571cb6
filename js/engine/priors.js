// Shape priors (perimeter, triangle degeneracy, staying on the canvas) in
// scene units, with their analytic gradient with respect to the raw
// parameters. Shared by every CPU backend; each kind's formula lives in its
// module (shapes/*.js, `priors`).

import { STRIDE, decodeShape } from "./params.js";
import { KINDS } from "./shapes/index.js";

/**
 * @param {ArrayLike<number>} raw STRIDE floats per shape
 * @param {Uint8Array} types
 * @param {{perimeter:number, degeneracy:number, canvas:number}} weights
 * @param {boolean} wantGrad
 * @returns {{terms:{perimeter:number, degeneracy:number, canvas:number}, grad?:Float64Array}}
 *   grad: d(w.perimeter*perimeter + w.degeneracy*degeneracy + w.canvas*canvas)/d(raw);
 *   the fill slots get 0 (no prior depends on the fill)
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
    const p = KINDS[type].priors(v, weights, g);
    perimeter += p.perimeter;
    degeneracy += p.degeneracy;
    canvas += p.canvas;
    if (grad) for (let k = 0; k < STRIDE; k++) grad[i * STRIDE + k] = g[k] * dv[k];
  }
  return { terms: { perimeter, degeneracy, canvas }, grad: grad ?? undefined };
}
