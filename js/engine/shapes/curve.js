// The quadratic Bézier stroke. Raw slots: 0..5 = x0 y0 x1 y1 x2 y2 (start,
// control, end; sigmoid), 6 width (softplus). SDF: the distance to the
// segment less half the width (round caps). The nearest point comes from the
// closed-form roots of the cubic (B(t) - p) . B'(t) = 0, each polished by two
// Newton steps that are kept only when they shrink the cubic's value (so the
// float32 backends land where float64 does); a nearly straight curve, where
// the cubic's leading coefficient vanishes, starts from the projection on the
// chord instead. The oracle (shapes/curve.py) and the C and WGSL sections run
// the same steps.

import { MARGIN, checkNumber, fail, gauss, relu, step } from "./common.js";

/** |b|² below this times |a|² counts as straight. */
const STRAIGHT = 1e-4;
/** The thinnest stroke before the degeneracy prior: half a pixel at 128 px (shapes/_common.py). */
export const MIN_WIDTH = 0.5 / 128;

/** 8-point Gauss-Legendre nodes and weights on [0, 1] (the arc length prior). */
const GL_X = [0.019855071751231912, 0.10166676129318664, 0.2372337950418355, 0.4082826787521751, 0.5917173212478248, 0.7627662049581645, 0.8983332387068134, 0.9801449282487681];
const GL_W = [0.05061426814518853, 0.11119051722668721, 0.15685332293894344, 0.18134189168918083, 0.18134189168918083, 0.15685332293894344, 0.11119051722668721, 0.05061426814518853];

/**
 * The parameter in [0, 1] of the point of the curve (p[0..5]) nearest to (x, y).
 * @param {ArrayLike<number>} p
 * @param {number} x
 * @param {number} y
 */
export function nearestT(p, x, y) {
  const ax = p[2] - p[0];
  const ay = p[3] - p[1];
  const bx = p[0] - 2 * p[2] + p[4];
  const by = p[1] - 2 * p[3] + p[5];
  const dx = p[0] - x;
  const dy = p[1] - y;
  const aa = ax * ax + ay * ay;
  const bb = bx * bx + by * by;
  const ab = ax * bx + ay * by;
  const c3 = bb;
  const c2 = 3 * ab;
  const c1 = 2 * aa + dx * bx + dy * by;
  const c0 = dx * ax + dy * ay;
  let t1;
  let t2;
  if (bb > STRAIGHT * aa) {
    const kx = ab / bb;
    const ky = c1 / (3 * bb);
    const kz = c0 / bb;
    const pp = ky - kx * kx;
    const q = kx * (2 * kx * kx - 3 * ky) + kz;
    const h = q * q + 4 * pp * pp * pp;
    if (h >= 0) {
      const s = Math.sqrt(h);
      t1 = Math.cbrt(0.5 * (s - q)) + Math.cbrt(0.5 * (-s - q)) - kx;
      t2 = t1;
    } else {
      const z = Math.sqrt(-pp);
      const v = Math.acos(Math.min(1, Math.max(-1, z === 0 ? 1 : q / (2 * pp * z)))) / 3;
      const m = Math.cos(v);
      const n = Math.sin(v) * Math.sqrt(3);
      t1 = 2 * m * z - kx;
      t2 = -(m + n) * z - kx;
    }
  } else {
    const ex = 2 * ax + bx;
    const ey = 2 * ay + by;
    t1 = -(dx * ex + dy * ey) / (ex * ex + ey * ey + 1e-20);
    t2 = t1;
  }
  let best = 0;
  let bestD2 = Infinity;
  for (let t of [t1, t2]) {
    for (let k = 0; k < 2; k++) {
      const f = ((c3 * t + c2) * t + c1) * t + c0;
      const df = (3 * c3 * t + 2 * c2) * t + c1;
      if (!(Math.abs(df) > 1e-20)) break;
      const moved = t - f / df;
      const fm = ((c3 * moved + c2) * moved + c1) * moved + c0;
      if (Math.abs(fm) < Math.abs(f)) t = moved;
    }
    t = Math.min(1, Math.max(0, t));
    const ex = dx + (2 * ax + bx * t) * t;
    const ey = dy + (2 * ay + by * t) * t;
    const d2 = ex * ex + ey * ey;
    if (d2 < bestD2) {
      best = t;
      bestD2 = d2;
    }
  }
  return best;
}

/** The curve point at t minus (x, y), and the Bernstein weights of t. */
function offset(p, x, y, t) {
  const u = 1 - t;
  const w0 = u * u;
  const w1 = 2 * u * t;
  const w2 = t * t;
  return { ex: w0 * p[0] + w1 * p[2] + w2 * p[4] - x, ey: w0 * p[1] + w1 * p[3] + w2 * p[5] - y, w: [w0, w1, w2] };
}

/** Arc length by quadrature, and (when g is given) s times its gradient added to g[0..5]. */
function arcLength(v, s, g) {
  let total = 0;
  for (let k = 0; k < GL_X.length; k++) {
    const t = GL_X[k];
    const vx = 2 * (1 - t) * (v[2] - v[0]) + 2 * t * (v[4] - v[2]);
    const vy = 2 * (1 - t) * (v[3] - v[1]) + 2 * t * (v[5] - v[3]);
    const speed = Math.sqrt(vx * vx + vy * vy);
    total += GL_W[k] * speed;
    if (g && speed > 0) {
      // d speed / d P_i = (B'/|B'|) dB'/dP_i with dB'/dP = (-2(1-t), 2(1-2t), 2t)
      const ux = (s * GL_W[k] * vx) / speed;
      const uy = (s * GL_W[k] * vy) / speed;
      const coef = [-2 * (1 - t), 2 * (1 - 2 * t), 2 * t];
      for (let i = 0; i < 3; i++) {
        g[2 * i] += coef[i] * ux;
        g[2 * i + 1] += coef[i] * uy;
      }
    }
  }
  return total;
}

/** Bounding box of the control polygon (it contains the curve). */
function pointsBox(points) {
  const xs = points.map((q) => q[0]);
  const ys = points.map((q) => q[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/**
 * The points with any that coincide with an earlier one moved by 1e-4 towards
 * the middle: clamping drafts into the canvas can pile points on one corner,
 * and coincident points are invalid.
 */
function separated(points) {
  const out = points.map((p) => [...p]);
  for (let j = 1; j < 3; j++) {
    for (let i = 0; i < j; i++) {
      if (out[i][0] === out[j][0] && out[i][1] === out[j][1]) out[j] = out[j].map((v) => v + (v < 0.5 ? 1e-4 : -1e-4) * j);
    }
  }
  return out;
}

/** The metric parameter array of a metric curve shape (search side). */
const flat = (m) => [...m.points.flat(), m.width];

/** Samples of the curve for the row spans of the search (a polyline of SAMPLES segments). */
const SAMPLES = 16;

/** @type {import("./index.js").ShapeKind} */
export default {
  name: "curve",
  code: 4,
  slots: ["x", "y", "x", "y", "x", "y", "len"],

  check(shape, at) {
    if (!Array.isArray(shape.points) || shape.points.length !== 3) fail(`${at}.points`, "expected 3 [x, y] points (start, control, end)");
    shape.points.forEach((p, k) => {
      if (!Array.isArray(p) || p.length !== 2) fail(`${at}.points[${k}]`, "expected [x, y]");
      checkNumber(p[0], `${at}.points[${k}][0]`);
      checkNumber(p[1], `${at}.points[${k}][1]`);
    });
    for (const [i, j] of [[0, 1], [1, 2], [0, 2]]) {
      const [a, b] = [shape.points[i], shape.points[j]];
      if (a[0] === b[0] && a[1] === b[1]) fail(`${at}.points`, `points[${i}] and points[${j}] coincide`);
    }
    checkNumber(shape.width, `${at}.width`, { min: 0, open: true });
  },
  values: (s) => [...s.points.flat(), s.width],
  fromValues: (v) => ({ points: [[v[0], v[1]], [v[2], v[3]], [v[4], v[5]]], width: v[6] }),
  positions: (s) => s.points.flat(),

  sdf(p, x, y) {
    const { ex, ey } = offset(p, x, y, nearestT(p, x, y));
    return Math.sqrt(ex * ex + ey * ey) - 0.5 * p[6];
  },
  sdfGrad(p, x, y, s, g) {
    // t is a stationary point of the distance (or an end), so only the explicit dependence counts
    const { ex, ey, w } = offset(p, x, y, nearestT(p, x, y));
    const d = Math.sqrt(ex * ex + ey * ey);
    if (d > 0) {
      for (let i = 0; i < 3; i++) {
        g[2 * i] += (s * w[i] * ex) / d;
        g[2 * i + 1] += (s * w[i] * ey) / d;
      }
    }
    g[6] -= 0.5 * s;
  },

  priors(v, w, g) {
    const perimeter = 2 * arcLength(v, 2 * w.perimeter, g);
    const degeneracy = relu(MIN_WIDTH - v[6]);
    g[6] -= w.degeneracy * step(MIN_WIDTH - v[6]);
    let canvas = 0;
    for (let k = 0; k < 6; k++) {
      canvas += relu(v[k] - (1 - MARGIN)) + relu(MARGIN - v[k]);
      g[k] += w.canvas * (step(v[k] - (1 - MARGIN)) - step(MARGIN - v[k]));
    }
    return { perimeter, degeneracy, canvas };
  },

  /** The Wasm kernel's record (shapes.h, curve section): the points, then half the width. */
  wasmRecord(rec, p) {
    for (let k = 0; k < 6; k++) rec[k] = p[k];
    rec[6] = 0.5 * p[6];
  },

  yRange(m) {
    const box = pointsBox(m.points);
    return [box[1] - 0.5 * m.width, box[3] + 0.5 * m.width];
  },
  rowSpan(m) {
    // the stroke around a polyline through the curve: each segment's capsule
    // meets a row in one interval; overlapping intervals are merged
    const r = 0.5 * m.width;
    const p = flat(m);
    const pts = [];
    for (let k = 0; k <= SAMPLES; k++) {
      const { ex, ey } = offset(p, 0, 0, k / SAMPLES);
      pts.push([ex, ey]);
    }
    return (y) => {
      const spans = [];
      for (let k = 0; k < SAMPLES; k++) {
        const [x0, y0] = pts[k];
        const [x1, y1] = pts[k + 1];
        let lo = Infinity;
        let hi = -Infinity;
        for (const [cx, cy] of [[x0, y0], [x1, y1]]) {
          const h = r * r - (y - cy) ** 2;
          if (h >= 0) {
            lo = Math.min(lo, cx - Math.sqrt(h));
            hi = Math.max(hi, cx + Math.sqrt(h));
          }
        }
        const len = Math.hypot(x1 - x0, y1 - y0);
        if (len > 0) {
          // the band |n . (p - P0)| <= r, 0 <= e . (p - P0) <= len, on the row
          const slab = [[(y1 - y0) / len, (x0 - x1) / len, -r, r], [(x1 - x0) / len, (y1 - y0) / len, 0, len]];
          let a = -Infinity;
          let b = Infinity;
          for (const [kx, ky, l, u] of slab) {
            const off = ky * (y - y0);
            if (Math.abs(kx) < 1e-12) {
              if (off < l || off > u) {
                a = Infinity;
                break;
              }
              continue;
            }
            const s0 = (l - off) / kx;
            const s1 = (u - off) / kx;
            a = Math.max(a, Math.min(s0, s1));
            b = Math.min(b, Math.max(s0, s1));
          }
          if (a <= b) {
            lo = Math.min(lo, x0 + a);
            hi = Math.max(hi, x0 + b);
          }
        }
        if (lo <= hi) spans.push([lo, hi]);
      }
      if (spans.length === 0) return null;
      spans.sort((s, t) => s[0] - t[0]);
      const merged = [spans[0]];
      for (const s of spans.slice(1)) {
        const last = merged[merged.length - 1];
        if (s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
        else merged.push(s);
      }
      return merged;
    };
  },
  draft(at, size, rng) {
    const half = size();
    const angle = Math.PI * rng();
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const bend = half * (rng() - 0.5);
    return {
      type: "curve",
      points: [[at.x - half * c, at.y - half * s], [at.x - bend * s, at.y + bend * c], [at.x + half * c, at.y + half * s]],
      width: Math.min(size(), half),
    };
  },
  mutate(m, rng, px) {
    const [a, , b] = m.points;
    const which = Math.floor(4 * rng());
    if (which === 3) return { ...m, width: m.width + Math.max(px, 0.3 * m.width) * gauss(rng) };
    const scale = Math.max(px, 0.25 * Math.hypot(b[0] - a[0], b[1] - a[1]));
    const points = m.points.map((p, i) => (i === which ? [p[0] + scale * gauss(rng), p[1] + scale * gauss(rng)] : p));
    return { ...m, points };
  },
  confine: (m, cx, cy, size) => ({ ...m, points: separated(m.points.map(([x, y]) => [cx(x), cy(y)])), width: size(m.width) }),
  scaled(m, k) {
    const cx = (m.points[0][0] + m.points[1][0] + m.points[2][0]) / 3;
    const cy = (m.points[0][1] + m.points[1][1] + m.points[2][1]) / 3;
    return { ...m, points: m.points.map(([x, y]) => [cx + k * (x - cx), cy + k * (y - cy)]), width: m.width * k };
  },
  perimeter: (m) => 2 * arcLength(flat(m)),
  propose(u, base, cx, cy, clamp) {
    const spread = 2 * base;
    const points = [0, 1, 2].map(() => [clamp(cx + u(-spread, spread), 0.05, 0.95), clamp(cy + u(-spread, spread), 0.05, 0.95)]);
    return { points: separated(points), width: base * u(0.2, 0.6) };
  },
  // a thin uniform line of length l has variance l²/12 along it: the blob's
  // major semi-axis a (2 standard deviations) gives l = sqrt(3) a; straight
  // along the axis, and bent either way by the minor axis
  fits(blob) {
    const half = 0.5 * Math.sqrt(3) * blob.a;
    const c = Math.cos(blob.angle);
    const s = Math.sin(blob.angle);
    const width = Math.sqrt(3) * blob.b;
    return [0, 1, -1].map((bend) => ({
      type: "curve",
      points: [
        [blob.x - half * c, blob.y - half * s],
        [blob.x - bend * blob.b * s, blob.y + bend * blob.b * c],
        [blob.x + half * c, blob.y + half * s],
      ],
      width,
    }));
  },
  inside(m) {
    const p = flat(m);
    const r = 0.5 * m.width;
    const box = pointsBox(m.points);
    return {
      inside: (x, y) => {
        const { ex, ey } = offset(p, x, y, nearestT(p, x, y));
        return ex * ex + ey * ey <= r * r;
      },
      box: [box[0] - r, box[1] - r, box[2] + r, box[3] + r],
    };
  },
  toScene: (m, toX, toY) => ({ type: "curve", points: separated(m.points.map(([x, y]) => [toX(x), toY(y)])), width: m.width }),

  paint: "stroke",
  canvasPath(ctx, s, px) {
    const [[x0, y0], [x1, y1], [x2, y2]] = s.points;
    ctx.lineWidth = px.lx(s.width);
    ctx.lineCap = "round";
    ctx.moveTo(px.x(x0), px.y(y0));
    ctx.quadraticCurveTo(px.x(x1), px.y(y1), px.x(x2), px.y(y2));
  },
  svg(s, f) {
    const [[x0, y0], [x1, y1], [x2, y2]] = s.points.map(([x, y]) => [f.num(x * f.w), f.num(y * f.h)]);
    return `<path d="M ${x0} ${y0} Q ${x1} ${y1} ${x2} ${y2}" stroke-width="${f.num(s.width * f.side)}" stroke-linecap="round"`;
  },
};
