// The rotated rectangle kind. Raw slots: 0 cx, 1 cy (sigmoid), 2 w, 3 h
// (softplus, full side lengths), 4 angle (raw, radians, like the ellipse's).
// The SDF is the exact box distance in the rectangle's own frame.

import { MARGIN, checkNumber, gauss, relu, step } from "./common.js";

/** The point in the box's frame and the box distance's pieces. */
function parts(p, x, y) {
  const dx = x - p[0];
  const dy = y - p[1];
  const c = Math.cos(p[4]);
  const sn = Math.sin(p[4]);
  const xr = c * dx + sn * dy;
  const yr = -sn * dx + c * dy;
  const qx = Math.abs(xr) - 0.5 * p[2];
  const qy = Math.abs(yr) - 0.5 * p[3];
  const mx = Math.max(qx, 0);
  const my = Math.max(qy, 0);
  const outer = Math.sqrt(mx * mx + my * my);
  return { c, sn, xr, yr, qx, qy, mx, my, outer };
}

/** Half the extent of the rotated box along x and y. */
function halfExtents(w, h, angle) {
  const c = Math.abs(Math.cos(angle));
  const s = Math.abs(Math.sin(angle));
  return [0.5 * (c * w + s * h), 0.5 * (s * w + c * h)];
}

/**
 * The x interval of row y inside the box of half sides (a, b), centre (cx, cy)
 * and angle: the intersection of its two slabs, or null.
 */
function slabSpan(cx, cy, a, b, angle, y) {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const dy = y - cy;
  let lo = -Infinity;
  let hi = Infinity;
  // |c dx + s dy| <= a and |-s dx + c dy| <= b, each linear in dx
  for (const [k, off, half] of [[c, s * dy, a], [-s, c * dy, b]]) {
    if (Math.abs(k) < 1e-12) {
      if (Math.abs(off) > half) return null;
      continue;
    }
    const u = (-half - off) / k;
    const v = (half - off) / k;
    lo = Math.max(lo, Math.min(u, v));
    hi = Math.min(hi, Math.max(u, v));
  }
  return lo <= hi ? [cx + lo, cx + hi] : null;
}

/** @type {import("./index.js").ShapeKind} */
export default {
  name: "rect",
  code: 3,
  slots: ["x", "y", "len", "len", "angle"],

  check(shape, at) {
    checkNumber(shape.cx, `${at}.cx`);
    checkNumber(shape.cy, `${at}.cy`);
    checkNumber(shape.w, `${at}.w`, { min: 0, open: true });
    checkNumber(shape.h, `${at}.h`, { min: 0, open: true });
    checkNumber(shape.angle, `${at}.angle`);
  },
  values: (s) => [s.cx, s.cy, s.w, s.h, s.angle],
  fromValues: (v) => ({ cx: v[0], cy: v[1], w: v[2], h: v[3], angle: v[4] }),
  positions: (s) => [s.cx, s.cy],

  sdf(p, x, y) {
    const r = parts(p, x, y);
    return r.outer + Math.min(Math.max(r.qx, r.qy), 0);
  },
  sdfGrad(p, x, y, s, g) {
    const { c, sn, xr, yr, qx, qy, mx, my, outer } = parts(p, x, y);
    // d sdf / d q: towards the nearest point outside, the nearest side inside
    let gqx;
    let gqy;
    if (outer > 0) {
      gqx = mx / outer;
      gqy = my / outer;
    } else {
      gqx = qx >= qy ? 1 : 0;
      gqy = 1 - gqx;
    }
    const gx = s * gqx * (xr >= 0 ? 1 : -1);
    const gy = s * gqy * (yr >= 0 ? 1 : -1);
    g[0] -= gx * c - gy * sn;
    g[1] -= gx * sn + gy * c;
    g[2] -= 0.5 * s * gqx;
    g[3] -= 0.5 * s * gqy;
    g[4] += gx * yr - gy * xr;
  },

  priors(v, w, g) {
    // the ellipse's canvas term with half the longer side as the reach
    const wide = v[2] >= v[3];
    const side = wide ? 2 : 3;
    const reach = 0.5 * v[side];
    let canvas = 0;
    for (const c of [0, 1]) {
      const over = v[c] + reach - (1 - MARGIN);
      const under = MARGIN - (v[c] - reach);
      canvas += relu(over) + relu(under);
      g[c] += w.canvas * (step(over) - step(under));
      g[side] += 0.5 * w.canvas * (step(over) + step(under));
    }
    g[2] += 2 * w.perimeter;
    g[3] += 2 * w.perimeter;
    return { perimeter: 2 * (v[2] + v[3]), degeneracy: 0, canvas };
  },

  /** The Wasm kernel's record (shapes.h, rect section). */
  wasmRecord(rec, p) {
    rec[0] = p[0];
    rec[1] = p[1];
    rec[2] = Math.cos(p[4]);
    rec[3] = Math.sin(p[4]);
    rec[4] = 0.5 * p[2];
    rec[5] = 0.5 * p[3];
  },

  yRange(m) {
    const [, hy] = halfExtents(m.w, m.h, m.angle);
    return [m.cy - hy, m.cy + hy];
  },
  rowSpan(m) {
    const { cx, cy, w, h, angle } = m;
    return (y) => slabSpan(cx, cy, 0.5 * w, 0.5 * h, angle, y);
  },
  draft: (at, size, rng) => ({ type: "rect", cx: at.x, cy: at.y, w: size(), h: size(), angle: Math.PI * rng() }),
  mutate(m, rng, px) {
    const step = Math.max(px, 0.3 * Math.sqrt(m.w * m.h)) * gauss(rng);
    const which = Math.floor(5 * rng());
    if (which === 0) return { ...m, cx: m.cx + step };
    if (which === 1) return { ...m, cy: m.cy + step };
    if (which === 2) return { ...m, w: m.w + step };
    if (which === 3) return { ...m, h: m.h + step };
    return { ...m, angle: m.angle + 0.3 * gauss(rng) };
  },
  confine: (m, cx, cy, size) => ({ ...m, cx: cx(m.cx), cy: cy(m.cy), w: size(m.w), h: size(m.h) }),
  scaled: (m, k) => ({ ...m, w: m.w * k, h: m.h * k }),
  perimeter: (m) => 2 * (m.w + m.h),
  propose(u, base, cx, cy) {
    return { cx, cy, w: 2 * base * u(0.5, 2.0), h: 2 * base * u(0.3, 1.5), angle: u(-1.5, 1.5) };
  },
  // a uniform box of side s has variance s²/12 along it; the blob's axes are 2 standard deviations
  fits: (blob) => [{ type: "rect", cx: blob.x, cy: blob.y, w: Math.sqrt(3) * blob.a, h: Math.sqrt(3) * blob.b, angle: blob.angle }],
  inside(m) {
    const { cx, cy, w, h, angle } = m;
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const [hx, hy] = halfExtents(w, h, angle);
    return {
      inside: (x, y) => Math.abs(c * (x - cx) + s * (y - cy)) <= 0.5 * w && Math.abs(-s * (x - cx) + c * (y - cy)) <= 0.5 * h,
      box: [cx - hx, cy - hy, cx + hx, cy + hy],
    };
  },
  toScene: (m, toX, toY) => ({ ...m, cx: toX(m.cx), cy: toY(m.cy) }),

  canvasPath(ctx, s, px) {
    const c = Math.cos(s.angle);
    const sn = Math.sin(s.angle);
    const corners = [[-1, -1], [1, -1], [1, 1], [-1, 1]].map(([u, v]) => {
      const du = 0.5 * u * s.w;
      const dv = 0.5 * v * s.h;
      return [px.x(s.cx) + px.lx(c * du - sn * dv), px.y(s.cy) + px.ly(sn * du + c * dv)];
    });
    corners.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
    ctx.closePath();
  },
  svg(s, f) {
    const cx = s.cx * f.w;
    const cy = s.cy * f.h;
    const w = s.w * f.side;
    const h = s.h * f.side;
    const deg = f.num((s.angle * 180) / Math.PI);
    return `<rect x="${f.num(cx - w / 2)}" y="${f.num(cy - h / 2)}" width="${f.num(w)}" height="${f.num(h)}" transform="rotate(${deg} ${f.num(cx)} ${f.num(cy)})"`;
  },
};
