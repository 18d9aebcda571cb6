// The circle kind: everything the engine, the search and the UI know about it.
// Raw slots (docs/engine.md): 0 cx (sigmoid), 1 cy (sigmoid), 2 r (softplus).

import { checkNumber, gauss, roundCanvas } from "./common.js";

/** @type {import("./index.js").ShapeKind} */
export default {
  name: "circle",
  code: 0,
  slots: ["x", "y", "len"],

  check(shape, at) {
    checkNumber(shape.cx, `${at}.cx`);
    checkNumber(shape.cy, `${at}.cy`);
    checkNumber(shape.r, `${at}.r`, { min: 0, open: true });
  },
  values: (s) => [s.cx, s.cy, s.r],
  fromValues: (v) => ({ cx: v[0], cy: v[1], r: v[2] }),
  positions: (s) => [s.cx, s.cy],

  // ---- reference SDF (metric p in raw slot order) and its gradient ----
  sdf(p, x, y) {
    const dx = x - p[0];
    const dy = y - p[1];
    return Math.sqrt(dx * dx + dy * dy + 1e-10) - p[2];
  },
  sdfGrad(p, x, y, s, g) {
    const dx = x - p[0];
    const dy = y - p[1];
    const q = Math.sqrt(dx * dx + dy * dy + 1e-10);
    g[0] -= (s * dx) / q;
    g[1] -= (s * dy) / q;
    g[2] -= s;
  },

  /** Priors on the scene values v; adds the weighted gradient to g. */
  priors(v, w, g) {
    g[2] += w.perimeter * 2 * Math.PI;
    return { perimeter: 2 * Math.PI * v[2], degeneracy: 0, canvas: roundCanvas(v, 2, w.canvas, g) };
  },

  /** The Wasm kernel's record (shapes.h, circle section). */
  wasmRecord(rec, p) {
    rec[0] = p[0];
    rec[1] = p[1];
    rec[2] = p[2];
  },

  // ---- the shape search (metric shapes without fill) ----
  yRange: (m) => [m.cy - m.r, m.cy + m.r],
  rowSpan(m) {
    const { cx, cy, r } = m;
    return (y) => {
      const h = r * r - (y - cy) ** 2;
      if (h < 0) return null;
      const w = Math.sqrt(h);
      return [cx - w, cx + w];
    };
  },
  draft: (at, size) => ({ type: "circle", cx: at.x, cy: at.y, r: size() }),
  mutate(m, rng, px) {
    const step = Math.max(px, 0.3 * m.r) * gauss(rng);
    const which = Math.floor(3 * rng());
    if (which === 0) return { ...m, cx: m.cx + step };
    if (which === 1) return { ...m, cy: m.cy + step };
    return { ...m, r: m.r + step };
  },
  confine: (m, cx, cy, size) => ({ ...m, cx: cx(m.cx), cy: cy(m.cy), r: size(m.r) }),
  scaled: (m, k) => ({ ...m, r: m.r * k }),
  perimeter: (m) => 2 * Math.PI * m.r,
  propose: (u, base, cx, cy) => ({ cx, cy, r: base * u(0.5, 1.5) }),
  fits: (blob) => [{ type: "circle", cx: blob.x, cy: blob.y, r: Math.sqrt(blob.a * blob.b) }],
  inside(m) {
    const { cx, cy, r } = m;
    return { inside: (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r, box: [cx - r, cy - r, cx + r, cy + r] };
  },
  toScene: (m, toX, toY) => ({ ...m, cx: toX(m.cx), cy: toY(m.cy) }),

  // ---- drawing (scene shapes; px maps scene x, y and lengths to canvas units) ----
  canvasPath(ctx, s, px) {
    ctx.ellipse(px.x(s.cx), px.y(s.cy), px.lx(s.r), px.ly(s.r), 0, 0, 2 * Math.PI);
  },
  svg: (s, f) => `<circle cx="${f.num(s.cx * f.w)}" cy="${f.num(s.cy * f.h)}" r="${f.num(s.r * f.side)}"`,
};
