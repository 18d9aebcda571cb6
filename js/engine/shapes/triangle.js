// The triangle kind. Raw slots: 0..5 = x0 y0 x1 y1 x2 y2 (sigmoid), either winding.

import { MIN_EDGE, MARGIN, checkNumber, fail, gauss, relu, step } from "./common.js";

/** Per edge: distance from (x, y) to the segment, and the cross-product sign test. */
function parts(p, x, y) {
  let best = Infinity;
  let bestEdge = 0;
  let pos = 0;
  let neg = 0;
  for (let e = 0; e < 3; e++) {
    const ax = p[2 * e];
    const ay = p[2 * e + 1];
    const n = (e + 1) % 3;
    const ex = p[2 * n] - ax;
    const ey = p[2 * n + 1] - ay;
    const wx = x - ax;
    const wy = y - ay;
    const t = Math.min(Math.max((wx * ex + wy * ey) / (ex * ex + ey * ey + 1e-8), 0), 1);
    const rx = wx - t * ex;
    const ry = wy - t * ey;
    const d = Math.sqrt(rx * rx + ry * ry);
    if (d < best) {
      best = d;
      bestEdge = e;
    }
    const cross = ex * wy - ey * wx;
    if (cross > 0) pos++;
    else if (cross < 0) neg++;
  }
  const inside = pos === 3 || neg === 3;
  return { d: best, edge: bestEdge, inside };
}

/** @type {import("./index.js").ShapeKind} */
export default {
  name: "triangle",
  code: 2,
  slots: ["x", "y", "x", "y", "x", "y"],

  check(shape, at) {
    if (!Array.isArray(shape.points) || shape.points.length !== 3) fail(`${at}.points`, "expected 3 [x, y] points");
    shape.points.forEach((p, k) => {
      if (!Array.isArray(p) || p.length !== 2) fail(`${at}.points[${k}]`, "expected [x, y]");
      checkNumber(p[0], `${at}.points[${k}][0]`);
      checkNumber(p[1], `${at}.points[${k}][1]`);
    });
  },
  values: (s) => s.points.flat(),
  fromValues: (v) => ({ points: [[v[0], v[1]], [v[2], v[3]], [v[4], v[5]]] }),
  positions: (s) => s.points.flat(),

  sdf(p, x, y) {
    const t = parts(p, x, y);
    return t.inside ? -t.d : t.d;
  },
  sdfGrad(p, x, y, s, g) {
    const { d, edge: e, inside } = parts(p, x, y);
    if (d === 0) return;
    const sg = inside ? -s : s;
    const a = 2 * e;
    const b = 2 * ((e + 1) % 3);
    const ex = p[b] - p[a];
    const ey = p[b + 1] - p[a + 1];
    const wx = x - p[a];
    const wy = y - p[a + 1];
    const E = ex * ex + ey * ey + 1e-8;
    const we = wx * ex + wy * ey;
    const tRaw = we / E;
    const t = Math.min(Math.max(tRaw, 0), 1);
    const rx = wx - t * ex;
    const ry = wy - t * ey;
    // d|r|/dr = r/d; r = w - t e
    const grx = (sg * rx) / d;
    const gry = (sg * ry) / d;
    let gwx = grx;
    let gwy = gry;
    let gex = -t * grx;
    let gey = -t * gry;
    if (tRaw >= 0 && tRaw <= 1) {
      const gt = -(grx * ex + gry * ey);
      gwx += (gt * ex) / E;
      gwy += (gt * ey) / E;
      gex += gt * (wx / E - (2 * we * ex) / (E * E));
      gey += gt * (wy / E - (2 * we * ey) / (E * E));
    }
    // w = pixel - v_a, e = v_b - v_a
    g[a] -= gwx + gex;
    g[a + 1] -= gwy + gey;
    g[b] += gex;
    g[b + 1] += gey;
  },

  priors(v, w, g) {
    let perimeter = 0;
    let degeneracy = 0;
    let canvas = 0;
    for (let e = 0; e < 3; e++) {
      const a = 2 * e;
      const b = 2 * ((e + 1) % 3);
      const dx = v[b] - v[a];
      const dy = v[b + 1] - v[a + 1];
      const len = Math.sqrt(dx * dx + dy * dy);
      perimeter += len;
      degeneracy += relu(MIN_EDGE - len);
      if (len > 0) {
        const dLen = w.perimeter - w.degeneracy * step(MIN_EDGE - len);
        const ux = (dLen * dx) / len;
        const uy = (dLen * dy) / len;
        g[b] += ux;
        g[b + 1] += uy;
        g[a] -= ux;
        g[a + 1] -= uy;
      }
    }
    for (let k = 0; k < 6; k++) {
      canvas += relu(v[k] - (1 - MARGIN)) + relu(MARGIN - v[k]);
      g[k] += w.canvas * (step(v[k] - (1 - MARGIN)) - step(MARGIN - v[k]));
    }
    return { perimeter, degeneracy, canvas };
  },

  wasmRecord(rec, p) {
    for (let k = 0; k < 3; k++) {
      const n = (k + 1) % 3;
      const ex = p[2 * n] - p[2 * k];
      const ey = p[2 * n + 1] - p[2 * k + 1];
      rec[2 * k] = p[2 * k];
      rec[2 * k + 1] = p[2 * k + 1];
      rec[6 + 2 * k] = ex;
      rec[7 + 2 * k] = ey;
      // the reference's epsilon keeps a collapsed edge finite
      rec[12 + k] = 1 / (ex * ex + ey * ey + 1e-8);
    }
  },

  yRange(m) {
    const ys = m.points.map((p) => p[1]);
    return [Math.min(...ys), Math.max(...ys)];
  },
  rowSpan(m) {
    const pts = m.points;
    return (y) => {
      let lo = Infinity;
      let hi = -Infinity;
      for (let k = 0; k < 3; k++) {
        const [xa, ya] = pts[k];
        const [xb, yb] = pts[(k + 1) % 3];
        if ((y < ya && y < yb) || (y > ya && y > yb)) continue;
        if (ya === yb) {
          lo = Math.min(lo, xa, xb);
          hi = Math.max(hi, xa, xb);
          continue;
        }
        const x = xa + ((y - ya) / (yb - ya)) * (xb - xa);
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
      return lo <= hi ? [lo, hi] : null;
    };
  },
  draft(at, size, rng) {
    const s = size();
    const points = [0, 1, 2].map(() => [at.x + s * (2 * rng() - 1), at.y + s * (2 * rng() - 1)]);
    return { type: "triangle", points };
  },
  mutate(m, rng, px) {
    const [a, b, c] = m.points;
    const scale = Math.max(px, 0.25 * Math.sqrt(Math.abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))));
    const k = Math.floor(3 * rng());
    const points = m.points.map((p, i) => (i === k ? [p[0] + scale * gauss(rng), p[1] + scale * gauss(rng)] : p));
    return { ...m, points };
  },
  confine: (m, cx, cy) => ({ ...m, points: m.points.map(([x, y]) => [cx(x), cy(y)]) }),
  scaled(m, k) {
    const cx = (m.points[0][0] + m.points[1][0] + m.points[2][0]) / 3;
    const cy = (m.points[0][1] + m.points[1][1] + m.points[2][1]) / 3;
    return { ...m, points: m.points.map(([x, y]) => [cx + k * (x - cx), cy + k * (y - cy)]) };
  },
  perimeter(m) {
    const [a, b, c] = m.points;
    return Math.hypot(a[0] - b[0], a[1] - b[1]) + Math.hypot(b[0] - c[0], b[1] - c[1]) + Math.hypot(c[0] - a[0], c[1] - a[1]);
  },
  propose(u, base, cx, cy, clamp) {
    const spread = 2 * base;
    const points = [0, 1, 2].map(() => [
      clamp(cx + u(-spread, spread), 0.05, 0.95),
      clamp(cy + u(-spread, spread), 0.05, 0.95),
    ]);
    return { points };
  },
  fits: (blob, fit) => [fit.extremeTriangle(), fit.ellipseTriangle()].map((points) => ({ type: "triangle", points })),
  inside(m) {
    const [[x0, y0], [x1, y1], [x2, y2]] = m.points;
    const cross = (ax, ay, bx, by, x, y) => (bx - ax) * (y - ay) - (by - ay) * (x - ax);
    return {
      inside: (x, y) => {
        const d0 = cross(x0, y0, x1, y1, x, y);
        const d1 = cross(x1, y1, x2, y2, x, y);
        const d2 = cross(x2, y2, x0, y0, x, y);
        return (d0 >= 0 && d1 >= 0 && d2 >= 0) || (d0 <= 0 && d1 <= 0 && d2 <= 0);
      },
      box: [Math.min(x0, x1, x2), Math.min(y0, y1, y2), Math.max(x0, x1, x2), Math.max(y0, y1, y2)],
    };
  },
  toScene: (m, toX, toY) => ({ type: "triangle", points: m.points.map(([x, y]) => [toX(x), toY(y)]) }),

  canvasPath(ctx, s, px) {
    s.points.forEach(([x, y], i) => {
      if (i === 0) ctx.moveTo(px.x(x), px.y(y));
      else ctx.lineTo(px.x(x), px.y(y));
    });
    ctx.closePath();
  },
  svg: (s, f) => `<polygon points="${s.points.map(([x, y]) => `${f.num(x * f.w)},${f.num(y * f.h)}`).join(" ")}"`,
};
