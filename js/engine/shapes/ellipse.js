// The ellipse kind. Raw slots: 0 cx, 1 cy (sigmoid), 2 rx, 3 ry (softplus),
// 4 angle (raw, radians, turning the x axis towards +y).

import { checkNumber, gauss, ramanujan, roundCanvas } from "./common.js";

function parts(p, x, y) {
  const dx = x - p[0];
  const dy = y - p[1];
  const c = Math.cos(p[4]);
  const sn = Math.sin(p[4]);
  const xr = c * dx + sn * dy;
  const yr = -sn * dx + c * dy;
  const ax = p[2] + 1e-10;
  const ay = p[3] + 1e-10;
  const u = xr / ax;
  const v = yr / ay;
  const q = Math.sqrt(u * u + v * v + 1e-10);
  const k = Math.sqrt(p[2] * p[3] + 1e-10);
  return { c, sn, xr, yr, ax, ay, u, v, q, k };
}

/** @type {import("./index.js").ShapeKind} */
export default {
  name: "ellipse",
  code: 1,
  slots: ["x", "y", "len", "len", "angle"],

  check(shape, at) {
    checkNumber(shape.cx, `${at}.cx`);
    checkNumber(shape.cy, `${at}.cy`);
    checkNumber(shape.rx, `${at}.rx`, { min: 0, open: true });
    checkNumber(shape.ry, `${at}.ry`, { min: 0, open: true });
    checkNumber(shape.angle, `${at}.angle`);
  },
  values: (s) => [s.cx, s.cy, s.rx, s.ry, s.angle],
  fromValues: (v) => ({ cx: v[0], cy: v[1], rx: v[2], ry: v[3], angle: v[4] }),
  positions: (s) => [s.cx, s.cy],

  sdf(p, x, y) {
    const e = parts(p, x, y);
    return (e.q - 1) * e.k;
  },
  sdfGrad(p, x, y, s, g) {
    const { c, sn, xr, yr, ax, ay, u, v, q, k } = parts(p, x, y);
    const dU = (s * k * u) / q;
    const dV = (s * k * v) / q;
    const dXr = dU / ax;
    const dYr = dV / ay;
    // d(dx)/d(cx) = -1, d(dy)/d(cy) = -1
    g[0] -= dXr * c - dYr * sn;
    g[1] -= dXr * sn + dYr * c;
    g[2] += -dU * (u / ax) + (s * (q - 1) * p[3]) / (2 * k);
    g[3] += -dV * (v / ay) + (s * (q - 1) * p[2]) / (2 * k);
    g[4] += dXr * yr - dYr * xr;
  },

  priors(v, w, g) {
    const p = ramanujan(v[2], v[3]);
    g[2] += w.perimeter * p.da;
    g[3] += w.perimeter * p.db;
    return { perimeter: p.value, degeneracy: 0, canvas: roundCanvas(v, v[3] > v[2] ? 3 : 2, w.canvas, g) };
  },

  wasmRecord(rec, p) {
    rec[0] = p[0];
    rec[1] = p[1];
    rec[2] = Math.cos(p[4]);
    rec[3] = Math.sin(p[4]);
    rec[4] = 1 / (p[2] + 1e-10);
    rec[5] = 1 / (p[3] + 1e-10);
    rec[6] = Math.sqrt(p[2] * p[3] + 1e-10);
    rec[8] = p[2];
    rec[9] = p[3];
  },

  yRange(m) {
    const c = Math.cos(m.angle);
    const s = Math.sin(m.angle);
    const half = Math.sqrt((m.rx * s) ** 2 + (m.ry * c) ** 2);
    return [m.cy - half, m.cy + half];
  },
  rowSpan(m) {
    // (u/rx)² + (v/ry)² ≤ 1 with (u, v) the offset rotated by -angle is a
    // quadratic a·dx² + b·dx + c ≤ 0 in the row's dx.
    const { cx, cy, rx, ry, angle } = m;
    const co = Math.cos(angle);
    const si = Math.sin(angle);
    const ix = 1 / (rx * rx);
    const iy = 1 / (ry * ry);
    const a = co * co * ix + si * si * iy;
    const bk = 2 * co * si * (ix - iy);
    const ck = si * si * ix + co * co * iy;
    return (y) => {
      const dy = y - cy;
      const b = bk * dy;
      const c = ck * dy * dy - 1;
      const disc = b * b - 4 * a * c;
      if (disc < 0) return null;
      const root = Math.sqrt(disc);
      return [cx + (-b - root) / (2 * a), cx + (-b + root) / (2 * a)];
    };
  },
  draft: (at, size, rng) => ({ type: "ellipse", cx: at.x, cy: at.y, rx: size(), ry: size(), angle: Math.PI * rng() }),
  mutate(m, rng, px) {
    const step = Math.max(px, 0.3 * Math.sqrt(m.rx * m.ry)) * gauss(rng);
    const which = Math.floor(5 * rng());
    if (which === 0) return { ...m, cx: m.cx + step };
    if (which === 1) return { ...m, cy: m.cy + step };
    if (which === 2) return { ...m, rx: m.rx + step };
    if (which === 3) return { ...m, ry: m.ry + step };
    return { ...m, angle: m.angle + 0.3 * gauss(rng) };
  },
  confine: (m, cx, cy, size) => ({ ...m, cx: cx(m.cx), cy: cy(m.cy), rx: size(m.rx), ry: size(m.ry) }),
  scaled: (m, k) => ({ ...m, rx: m.rx * k, ry: m.ry * k }),
  perimeter(m) {
    const s = m.rx + m.ry;
    const h = (m.rx - m.ry) ** 2 / (s * s + 1e-8);
    return Math.PI * s * (1 + (3 * h) / (10 + Math.sqrt(4 - 3 * h)));
  },
  propose(u, base, cx, cy) {
    const rx = base * u(0.5, 2.0);
    const ry = base * u(0.3, 1.5);
    const angle = u(-1.5, 1.5);
    return { cx, cy, rx, ry, angle };
  },
  fits: (blob) => [{ type: "ellipse", cx: blob.x, cy: blob.y, rx: blob.a, ry: blob.b, angle: blob.angle }],
  inside(m) {
    const { cx, cy, rx, ry, angle } = m;
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const e = Math.max(rx, ry);
    return {
      inside: (x, y) => {
        const u = c * (x - cx) + s * (y - cy);
        const v = -s * (x - cx) + c * (y - cy);
        return (u / rx) ** 2 + (v / ry) ** 2 <= 1;
      },
      box: [cx - e, cy - e, cx + e, cy + e],
    };
  },
  toScene: (m, toX, toY) => ({ ...m, cx: toX(m.cx), cy: toY(m.cy) }),

  canvasPath(ctx, s, px) {
    ctx.ellipse(px.x(s.cx), px.y(s.cy), px.lx(s.rx), px.ly(s.ry), s.angle, 0, 2 * Math.PI);
  },
  svg(s, f) {
    const cx = f.num(s.cx * f.w);
    const cy = f.num(s.cy * f.h);
    const deg = f.num((s.angle * 180) / Math.PI);
    return `<ellipse cx="${cx}" cy="${cy}" rx="${f.num(s.rx * f.side)}" ry="${f.num(s.ry * f.side)}" transform="rotate(${deg} ${cx} ${cy})"`;
  },
};
