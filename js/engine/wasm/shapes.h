/* Shapes: signed distances, their coverage over a row, and the gradient of
 * the distance with respect to each shape's natural parameters.
 *
 * Everything is in the metric of docs/engine.md (units of the longer side).
 * The JS side fills one record of REC floats per shape (each kind's
 * `wasmRecord` in js/engine/shapes/) with the constrained parameters and a
 * few derived values, so the per-pixel loops do no trigonometry or division
 * by radii.
 *
 * One section per kind, each with the same six functions (<kind>_bbox,
 * _inner_prep, _inner_row, _cover, _grad, _finalize); SHAPE_KINDS lists the
 * kinds with their type codes (js/engine/shapes/index.js) and every dispatch
 * below is generated from it. A new kind adds a section and a line there. */
#ifndef PELICAN_SHAPES_H
#define PELICAN_SHAPES_H

#include "vmath.h"

#define REC 20
/* fill channel c (grey, or R G B) of a record is at FILL_SLOT + c */
#define FILL_SLOT 16
/* the shape's opacity in (0, 1]; exactly 1 for an opaque shape */
#define OPACITY_SLOT 19
/* per-shape accumulator slots (f4 each): 0..12 for a kind's geometry, then
 * the fill gradient of channel c at ACC_FILL + c, then the opacity's */
#define ACC 17
#define ACC_FILL 13
#define ACC_OPACITY 16
/* natural-parameter gradient layout, same slots as the raw layout (fill
 * channel c at 7 + c, the opacity at 10) */
#define GRAD 11

/* X(code, name) for every kind */
#define SHAPE_KINDS(X) \
  X(0, circle)         \
  X(1, ellipse)        \
  X(2, triangle)       \
  X(3, rect)           \
  X(4, curve)

/* ======================= circle ==========================================
 * record: 0 cx, 1 cy, 2 r; gradient [cx cy r] */

static inline void circle_bbox(const float *s, float tau, float margin, float *box) {
  float h = s[2] + (10.0f * tau + margin);
  box[0] = s[0] - h;
  box[1] = s[0] + h;
  box[2] = s[1] - h;
  box[3] = s[1] + h;
}

static inline void circle_inner_prep(const float *s, float t, float *in) { in[0] = s[2] - t; }

static inline int circle_inner_row(const float *s, const float *in, float py, float *xlo, float *xhi) {
  float dy = py - s[1];
  float h2 = in[0] * in[0] - dy * dy - 1e-10f;
  if (!(in[0] > 0.0f && h2 > 0.0f)) return 0;
  float h = __builtin_sqrtf(h2);
  *xlo = s[0] - h;
  *xhi = s[0] + h;
  return 1;
}

static inline void circle_cover(const float *s, float py, int va, int vb, f4 invtau, const f4 *px, f4 *cov) {
  f4 cx = SPLAT(s[0]), r = SPLAT(s[2]);
  float dy = py - s[1];
  f4 dy2 = SPLAT(dy * dy + 1e-10f);
  for (int v = va; v < vb; v++) {
    f4 dx = SUB(px[v], cx);
    f4 sdf = SUB(SQRT(madd(dx, dx, dy2)), r);
    f4 c = v_coverage(sdf, invtau);
    cov[v] = c;
  }
}

static inline __attribute__((always_inline)) void circle_grad(const float *s, float py, f4 px, f4 wz, f4 *acc) {
  f4 dx = SUB(px, SPLAT(s[0]));
  float dyf = py - s[1];
  f4 dy = SPLAT(dyf);
  f4 d = SQRT(madd(dx, dx, SPLAT(dyf * dyf + 1e-10f)));
  f4 wd = DIV(wz, d);
  acc[0] = madd(wd, dx, acc[0]);
  acc[1] = madd(wd, dy, acc[1]);
  acc[2] = ADD(wz, acc[2]);
}

static inline void circle_finalize(const float *s, const double *a, double *g) {
  (void)s;
  g[0] = -a[0];
  g[1] = -a[1];
  g[2] = -a[2];
}

/* ======================= ellipse =========================================
 * record: 0 cx, 1 cy, 2 cos(angle), 3 sin(angle), 4 1/(rx+1e-10),
 *         5 1/(ry+1e-10), 6 sqrt(rx*ry+1e-10), 8 rx, 9 ry;
 * gradient [cx cy rx ry angle] */

static inline void ellipse_bbox(const float *s, float tau, float margin, float *box) {
  /* the contour sdf = 10 tau is the ellipse scaled by 1 + 10 tau / s */
  float grow = 1.0f + 10.0f * tau / s[6];
  float a = s[8] * grow, b = s[9] * grow, c = s[2], sn = s[3];
  float hx = __builtin_sqrtf(a * a * c * c + b * b * sn * sn) + margin;
  float hy = __builtin_sqrtf(a * a * sn * sn + b * b * c * c) + margin;
  box[0] = s[0] - hx;
  box[1] = s[0] + hx;
  box[2] = s[1] - hy;
  box[3] = s[1] + hy;
}

static inline void ellipse_inner_prep(const float *s, float t, float *in) {
  float q = 1.0f - t / s[6];
  if (q > 0.0f) in[0] = q * q - 1e-10f;
}

static inline int ellipse_inner_row(const float *s, const float *in, float py, float *xlo, float *xhi) {
  if (!(in[0] > 0.0f)) return 0;
  /* u^2 + w^2 <= Q^2 as a quadratic in dx */
  float dy = py - s[1];
  float a1 = s[2] * s[4], a2 = s[3] * s[4], b1 = -s[3] * s[5], b2 = s[2] * s[5];
  float A = a1 * a1 + b1 * b1;
  float B = 2.0f * dy * (a1 * a2 + b1 * b2);
  float C = dy * dy * (a2 * a2 + b2 * b2) - in[0];
  float disc = B * B - 4.0f * A * C;
  if (!(disc > 0.0f && A > 0.0f)) return 0;
  float root = __builtin_sqrtf(disc);
  *xlo = s[0] + (-B - root) / (2.0f * A);
  *xhi = s[0] + (-B + root) / (2.0f * A);
  return 1;
}

static inline void ellipse_cover(const float *s, float py, int va, int vb, f4 invtau, const f4 *px, f4 *cov) {
  float dy = py - s[1];
  f4 cx = SPLAT(s[0]), cs = SPLAT(s[2]), sn = SPLAT(s[3]);
  f4 irx = SPLAT(s[4]), iry = SPLAT(s[5]), scale = SPLAT(s[6]);
  f4 sdy = SPLAT(s[3] * dy), cdy = SPLAT(s[2] * dy);
  f4 one = SPLAT(1.0f), eps = SPLAT(1e-10f);
  for (int v = va; v < vb; v++) {
    f4 dx = SUB(px[v], cx);
    f4 u = MUL(madd(cs, dx, sdy), irx);
    f4 w = MUL(SUB(cdy, MUL(sn, dx)), iry);
    f4 q = SQRT(madd(u, u, madd(w, w, eps)));
    f4 c = v_coverage(MUL(SUB(q, one), scale), invtau);
    cov[v] = c;
  }
}

static inline __attribute__((always_inline)) void ellipse_grad(const float *s, float py, f4 px, f4 wz, f4 *acc) {
  f4 dx = SUB(px, SPLAT(s[0]));
  float dy = py - s[1];
  f4 u = MUL(madd(SPLAT(s[2]), dx, SPLAT(s[3] * dy)), SPLAT(s[4]));
  f4 w = MUL(SUB(SPLAT(s[2] * dy), MUL(SPLAT(s[3]), dx)), SPLAT(s[5]));
  f4 q = SQRT(madd(u, u, madd(w, w, SPLAT(1e-10f))));
  f4 wq = DIV(wz, q);
  f4 wu = MUL(wq, u), ww = MUL(wq, w);
  acc[0] = ADD(wu, acc[0]);
  acc[1] = ADD(ww, acc[1]);
  acc[2] = madd(wz, SUB(q, SPLAT(1.0f)), acc[2]);
  acc[3] = madd(wu, w, acc[3]);
  acc[4] = madd(wu, u, acc[4]);
  acc[5] = madd(ww, w, acc[5]);
}

static inline void ellipse_finalize(const float *s, const double *a, double *g) {
  double cs = s[2], sn = s[3], irx = s[4], iry = s[5], sc = s[6];
  double rx = s[8], ry = s[9];
  double gu = sc * irx * a[0], gw = sc * iry * a[1]; /* d/dx', d/dy' summed */
  g[0] = -cs * gu + sn * gw;
  g[1] = -sn * gu - cs * gw;
  g[2] = -sc * irx * a[4] + ry / (2.0 * sc) * a[2];
  g[3] = -sc * iry * a[5] + rx / (2.0 * sc) * a[2];
  g[4] = sc * (ry * irx - rx * iry) * a[3];
}

/* ======================= triangle ========================================
 * record: 0..5 vertices (x0 y0 x1 y1 x2 y2), 6..11 edges e_k = P_{k+1}-P_k,
 *         12..14 1/|e_k|^2; gradient [x0 y0 x1 y1 x2 y2] */

static inline void triangle_bbox(const float *s, float tau, float margin, float *box) {
  float ext = 10.0f * tau + margin;
  float x0 = s[0], x1 = s[0], y0 = s[1], y1 = s[1];
  for (int k = 1; k < 3; k++) {
    float x = s[2 * k], y = s[2 * k + 1];
    x0 = x < x0 ? x : x0;
    x1 = x > x1 ? x : x1;
    y0 = y < y0 ? y : y0;
    y1 = y > y1 ? y : y1;
  }
  box[0] = x0 - ext;
  box[1] = x1 + ext;
  box[2] = y0 - ext;
  box[3] = y1 + ext;
}

/* 3 x (inward unit normal, n.P_k + t); in[9] > 0 marks a usable triangle */
static inline void triangle_inner_prep(const float *s, float t, float *in) {
  float cross = s[6] * (s[5] - s[1]) - s[7] * (s[4] - s[0]);
  if (!(cross > 1e-12f || cross < -1e-12f)) return;
  float sign = cross > 0.0f ? 1.0f : -1.0f;
  for (int k = 0; k < 3; k++) {
    float ex = s[6 + 2 * k], ey = s[7 + 2 * k];
    float inv = sign / __builtin_sqrtf(ex * ex + ey * ey);
    float nx = -ey * inv, ny = ex * inv;
    in[3 * k] = nx;
    in[3 * k + 1] = ny;
    in[3 * k + 2] = nx * s[2 * k] + ny * s[2 * k + 1] + t;
  }
  in[9] = 1.0f;
}

static inline int triangle_inner_row(const float *s, const float *in, float py, float *xlo, float *xhi) {
  (void)s;
  if (!(in[9] > 0.0f)) return 0;
  float lo = -3.0e38f, hi = 3.0e38f;
  for (int k = 0; k < 3; k++) {
    /* n . p >= n . P_k + t, with p = (x, py) */
    float nx = in[3 * k], rhs = in[3 * k + 2] - in[3 * k + 1] * py;
    if (!(nx == nx && rhs == rhs)) return 0;
    if (nx > 1e-6f) {
      float x = rhs / nx;
      lo = x > lo ? x : lo;
    } else if (nx < -1e-6f) {
      float x = rhs / nx;
      hi = x < hi ? x : hi;
    } else if (rhs > 0.0f) {
      return 0;
    }
  }
  if (!(lo < hi)) return 0;
  *xlo = lo;
  *xhi = hi;
  return 1;
}

static inline void triangle_cover(const float *s, float py, int va, int vb, f4 invtau, const f4 *px, f4 *cov) {
  f4 ax[3], ex[3], ey[3], iee[3], wy[3], wyey[3], exwy[3];
  for (int k = 0; k < 3; k++) {
    float w = py - s[2 * k + 1];
    ax[k] = SPLAT(s[2 * k]);
    ex[k] = SPLAT(s[6 + 2 * k]);
    ey[k] = SPLAT(s[7 + 2 * k]);
    iee[k] = SPLAT(s[12 + k]);
    wy[k] = SPLAT(w);
    wyey[k] = SPLAT(w * s[7 + 2 * k]);
    exwy[k] = SPLAT(s[6 + 2 * k] * w);
  }
  f4 zero = SPLAT(0.0f), one = SPLAT(1.0f);
  for (int v = va; v < vb; v++) {
    f4 d2min = zero;
    v128_t pos = wasm_i32x4_splat(-1), neg = pos;
    for (int k = 0; k < 3; k++) {
      f4 wx = SUB(px[v], ax[k]);
      f4 t = MUL(madd(wx, ex[k], wyey[k]), iee[k]);
      t = VMIN(VMAX(t, zero), one);
      f4 ddx = SUB(wx, MUL(ex[k], t));
      f4 ddy = SUB(wy[k], MUL(ey[k], t));
      f4 d2 = madd(ddx, ddx, MUL(ddy, ddy));
      d2min = k == 0 ? d2 : VMIN(d2min, d2);
      f4 cross = SUB(exwy[k], MUL(ey[k], wx));
      pos = wasm_v128_and(pos, wasm_f32x4_gt(cross, zero));
      neg = wasm_v128_and(neg, wasm_f32x4_lt(cross, zero));
    }
    f4 inside = wasm_v128_or(pos, neg);
    f4 dist = SQRT(d2min);
    /* negative inside: flip the sign bit */
    f4 sdf = wasm_v128_xor(dist, wasm_v128_and(inside, SPLAT(-0.0f)));
    f4 c = v_coverage(sdf, invtau);
    cov[v] = c;
  }
}

static inline __attribute__((always_inline)) void triangle_grad(const float *s, float py, f4 px, f4 wz, f4 *acc) {
  f4 zero = SPLAT(0.0f), one = SPLAT(1.0f);
  f4 bx = zero, by = zero, bt = zero, bd2 = zero;
  v128_t pos = wasm_i32x4_splat(-1), neg = pos;
  v128_t m[3];
  for (int k = 0; k < 3; k++) {
    float wyf = py - s[2 * k + 1];
    f4 ex = SPLAT(s[6 + 2 * k]), ey = SPLAT(s[7 + 2 * k]), wy = SPLAT(wyf);
    f4 wx = SUB(px, SPLAT(s[2 * k]));
    f4 t = MUL(madd(wx, ex, SPLAT(wyf * s[7 + 2 * k])), SPLAT(s[12 + k]));
    t = VMIN(VMAX(t, zero), one);
    f4 ddx = SUB(wx, MUL(ex, t));
    f4 ddy = SUB(wy, MUL(ey, t));
    f4 d2 = madd(ddx, ddx, MUL(ddy, ddy));
    f4 cross = SUB(SPLAT(s[6 + 2 * k] * wyf), MUL(ey, wx));
    pos = wasm_v128_and(pos, wasm_f32x4_gt(cross, zero));
    neg = wasm_v128_and(neg, wasm_f32x4_lt(cross, zero));
    /* first edge wins ties, as an argmin would */
    v128_t better = k == 0 ? wasm_i32x4_splat(-1) : wasm_f32x4_lt(d2, bd2);
    m[k] = better;
    if (k > 0) {
      for (int j = 0; j < k; j++) m[j] = wasm_v128_andnot(m[j], better);
    }
    bx = wasm_v128_bitselect(ddx, bx, better);
    by = wasm_v128_bitselect(ddy, by, better);
    bt = wasm_v128_bitselect(t, bt, better);
    bd2 = wasm_v128_bitselect(d2, bd2, better);
  }
  f4 inside = wasm_v128_or(pos, neg);
  f4 dist = VMAX(SQRT(bd2), SPLAT(1e-30f));
  /* d|d|/dd = d/|d|, times the sign of the sdf */
  f4 g = wasm_v128_xor(DIV(wz, dist), wasm_v128_and(inside, SPLAT(-0.0f)));
  f4 gx = MUL(g, bx), gy = MUL(g, by);
  f4 omt = SUB(one, bt);
  f4 gax = MUL(gx, omt), gay = MUL(gy, omt), gbx = MUL(gx, bt), gby = MUL(gy, bt);
  for (int k = 0; k < 3; k++) {
    acc[4 * k + 0] = ADD(acc[4 * k + 0], wasm_v128_and(gax, m[k]));
    acc[4 * k + 1] = ADD(acc[4 * k + 1], wasm_v128_and(gay, m[k]));
    acc[4 * k + 2] = ADD(acc[4 * k + 2], wasm_v128_and(gbx, m[k]));
    acc[4 * k + 3] = ADD(acc[4 * k + 3], wasm_v128_and(gby, m[k]));
  }
}

static inline void triangle_finalize(const float *s, const double *a, double *g) {
  (void)s;
  for (int k = 0; k < 3; k++) {
    int b = (k + 1) % 3;
    g[2 * k] -= a[4 * k + 0];
    g[2 * k + 1] -= a[4 * k + 1];
    g[2 * b] -= a[4 * k + 2];
    g[2 * b + 1] -= a[4 * k + 3];
  }
}

/* ======================= rect ============================================
 * record: 0 cx, 1 cy, 2 cos(angle), 3 sin(angle), 4 w/2, 5 h/2;
 * gradient [cx cy w h angle] */

static inline void rect_bbox(const float *s, float tau, float margin, float *box) {
  float c = __builtin_fabsf(s[2]), sn = __builtin_fabsf(s[3]);
  float ext = 10.0f * tau + margin;
  float hx = c * s[4] + sn * s[5] + ext;
  float hy = sn * s[4] + c * s[5] + ext;
  box[0] = s[0] - hx;
  box[1] = s[0] + hx;
  box[2] = s[1] - hy;
  box[3] = s[1] + hy;
}

/* the deep interior is the box shrunk by t: half sides in[1], in[2] */
static inline void rect_inner_prep(const float *s, float t, float *in) {
  float a = s[4] - t, b = s[5] - t;
  if (!(a > 0.0f && b > 0.0f)) return;
  in[0] = 1.0f;
  in[1] = a;
  in[2] = b;
}

static inline int rect_inner_row(const float *s, const float *in, float py, float *xlo, float *xhi) {
  if (!(in[0] > 0.0f)) return 0;
  float dy = py - s[1];
  float k[2] = {s[2], -s[3]}, off[2] = {s[3] * dy, s[2] * dy}, half[2] = {in[1], in[2]};
  float lo = -3.0e38f, hi = 3.0e38f;
  /* |k dx + off| <= half for both slabs of the box, each linear in dx */
  for (int q = 0; q < 2; q++) {
    if (k[q] > -1e-6f && k[q] < 1e-6f) {
      if (off[q] > half[q] || off[q] < -half[q]) return 0;
      continue;
    }
    float u = (-half[q] - off[q]) / k[q], v = (half[q] - off[q]) / k[q];
    float a = u < v ? u : v, b = u < v ? v : u;
    lo = a > lo ? a : lo;
    hi = b < hi ? b : hi;
  }
  if (!(lo < hi)) return 0;
  *xlo = s[0] + lo;
  *xhi = s[0] + hi;
  return 1;
}

static inline void rect_cover(const float *s, float py, int va, int vb, f4 invtau, const f4 *px, f4 *cov) {
  float dy = py - s[1];
  f4 cx = SPLAT(s[0]), cs = SPLAT(s[2]), sn = SPLAT(s[3]);
  f4 sdy = SPLAT(s[3] * dy), cdy = SPLAT(s[2] * dy), hw = SPLAT(s[4]), hh = SPLAT(s[5]);
  f4 zero = SPLAT(0.0f);
  for (int v = va; v < vb; v++) {
    f4 dx = SUB(px[v], cx);
    f4 qx = SUB(wasm_f32x4_abs(madd(cs, dx, sdy)), hw);
    f4 qy = SUB(wasm_f32x4_abs(SUB(cdy, MUL(sn, dx))), hh);
    f4 mx = VMAX(qx, zero), my = VMAX(qy, zero);
    f4 sdf = ADD(SQRT(madd(mx, mx, MUL(my, my))), VMIN(VMAX(qx, qy), zero));
    cov[v] = v_coverage(sdf, invtau);
  }
}

static inline __attribute__((always_inline)) void rect_grad(const float *s, float py, f4 px, f4 wz, f4 *acc) {
  float dyf = py - s[1];
  f4 zero = SPLAT(0.0f), one = SPLAT(1.0f), sign = SPLAT(-0.0f);
  f4 dx = SUB(px, SPLAT(s[0]));
  f4 xr = madd(SPLAT(s[2]), dx, SPLAT(s[3] * dyf));
  f4 yr = SUB(SPLAT(s[2] * dyf), MUL(SPLAT(s[3]), dx));
  f4 qx = SUB(wasm_f32x4_abs(xr), SPLAT(s[4]));
  f4 qy = SUB(wasm_f32x4_abs(yr), SPLAT(s[5]));
  f4 mx = VMAX(qx, zero), my = VMAX(qy, zero);
  f4 outer = SQRT(madd(mx, mx, MUL(my, my)));
  v128_t out = wasm_f32x4_gt(outer, zero);
  f4 io = DIV(one, VMAX(outer, SPLAT(1e-30f)));
  /* outside: towards the nearest point; inside: the nearest side */
  f4 xin = wasm_v128_and(wasm_f32x4_ge(qx, qy), one);
  f4 gqx = wasm_v128_bitselect(MUL(mx, io), xin, out);
  f4 gqy = wasm_v128_bitselect(MUL(my, io), SUB(one, xin), out);
  f4 gx = wasm_v128_xor(gqx, wasm_v128_and(xr, sign));
  f4 gy = wasm_v128_xor(gqy, wasm_v128_and(yr, sign));
  f4 wx = MUL(wz, gx), wy = MUL(wz, gy);
  acc[0] = ADD(wx, acc[0]);
  acc[1] = ADD(wy, acc[1]);
  acc[2] = madd(wz, gqx, acc[2]);
  acc[3] = madd(wz, gqy, acc[3]);
  acc[4] = ADD(SUB(MUL(wx, yr), MUL(wy, xr)), acc[4]);
}

static inline void rect_finalize(const float *s, const double *a, double *g) {
  double cs = s[2], sn = s[3];
  g[0] = -(cs * a[0] - sn * a[1]);
  g[1] = -(sn * a[0] + cs * a[1]);
  g[2] = -0.5 * a[2];
  g[3] = -0.5 * a[3];
  g[4] = a[4];
}

/* ======================= curve ===========================================
 * A quadratic Bézier stroke with round caps (js/engine/shapes/curve.js has
 * the method: closed-form cubic roots, guarded Newton steps, the chord
 * projection for a nearly straight curve). Four pixels at once: where the
 * lanes' cases of the cubic differ, both are computed and each lane selects
 * its own. One Newton step here (the float64 backends take two): the float32
 * renders stay within 7e-6 of the reference (js/test/kinds.test.mjs checks
 * 2e-5), and the solve is most of a stroke's cost.
 * record: 0..5 points (x0 y0 x1 y1 x2 y2), 6 width/2;
 * gradient [x0 y0 x1 y1 x2 y2 width] */

#define CURVE_STRAIGHT 1e-4f
#define CURVE_NEWTON 1

/* cbrt: an exponent-thirding first guess (the bits as a number, divided by
 * 3, plus the bias's share: a few per cent off), then three Newton steps */
static inline f4 curve_cbrt(f4 x) {
  f4 a = wasm_f32x4_abs(x);
  f4 bits = wasm_f32x4_convert_u32x4(a);
  f4 y = wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(MUL(bits, SPLAT(1.0f / 3.0f))), wasm_i32x4_splat(709921077));
  for (int k = 0; k < 2; k++) y = SUB(y, DIV(SUB(MUL(MUL(y, y), y), a), MUL(SPLAT(3.0f), MUL(y, y))));
  y = wasm_v128_and(y, wasm_f32x4_gt(a, SPLAT(0.0f)));
  return wasm_v128_or(y, wasm_v128_and(x, SPLAT(-0.0f)));
}

/* acos to about 2e-8 (Abramowitz and Stegun 4.4.46) */
static inline f4 curve_acos(f4 x) {
  f4 a = wasm_f32x4_abs(x);
  f4 p = SPLAT(-0.0012624911f);
  p = madd(p, a, SPLAT(0.0066700901f));
  p = madd(p, a, SPLAT(-0.0170881256f));
  p = madd(p, a, SPLAT(0.0308918810f));
  p = madd(p, a, SPLAT(-0.0501743046f));
  p = madd(p, a, SPLAT(0.0889789874f));
  p = madd(p, a, SPLAT(-0.2145988016f));
  p = madd(p, a, SPLAT(1.5707963050f));
  f4 r = MUL(SQRT(SUB(SPLAT(1.0f), a)), p);
  return wasm_v128_bitselect(SUB(SPLAT(3.14159265f), r), r, wasm_f32x4_lt(x, SPLAT(0.0f)));
}

typedef struct {
  f4 t, ex, ey;
} curve_point;

/* c3 t^3 + c2 t^2 + c1 t + c0 */
static inline f4 curve_cubic(f4 t, f4 c3, f4 c2, f4 c1, f4 c0) { return madd(madd(madd(c3, t, c2), t, c1), t, c0); }

/* one start for t: CURVE_NEWTON Newton steps on the cubic, each kept only where it
 * shrinks the cubic's value, clamped to [0, 1]; and the offset B(t) - p */
static inline __attribute__((always_inline)) curve_point curve_polish(const float *s, f4 px, float py, f4 t, f4 c3, f4 c2, f4 c1, f4 c0) {
  f4 c3x3 = MUL(SPLAT(3.0f), c3), c2x2 = MUL(SPLAT(2.0f), c2);
  f4 f = curve_cubic(t, c3, c2, c1, c0);
  for (int k = 0; k < CURVE_NEWTON; k++) {
    f4 df = madd(madd(c3x3, t, c2x2), t, c1);
    v128_t usable = wasm_f32x4_gt(wasm_f32x4_abs(df), SPLAT(1e-20f));
    f4 moved = SUB(t, DIV(f, df));
    f4 fm = curve_cubic(moved, c3, c2, c1, c0);
    v128_t better = wasm_v128_and(usable, wasm_f32x4_lt(wasm_f32x4_abs(fm), wasm_f32x4_abs(f)));
    t = wasm_v128_bitselect(moved, t, better);
    f = wasm_v128_bitselect(fm, f, better);
  }
  t = VMIN(VMAX(t, SPLAT(0.0f)), SPLAT(1.0f));
  f4 u = SUB(SPLAT(1.0f), t);
  f4 w0 = MUL(u, u), w1 = MUL(SPLAT(2.0f), MUL(u, t)), w2 = MUL(t, t);
  curve_point r;
  r.t = t;
  r.ex = SUB(madd(w0, SPLAT(s[0]), madd(w1, SPLAT(s[2]), MUL(w2, SPLAT(s[4])))), px);
  r.ey = SUB(madd(w0, SPLAT(s[1]), madd(w1, SPLAT(s[3]), MUL(w2, SPLAT(s[5])))), SPLAT(py));
  return r;
}

/* the nearest curve point to each of four pixels (px, py) */
static inline __attribute__((always_inline)) curve_point curve_near(const float *s, f4 px, float py) {
  float ax = s[2] - s[0], ay = s[3] - s[1];
  float bx = s[0] - 2.0f * s[2] + s[4], by = s[1] - 2.0f * s[3] + s[5];
  float dy = s[1] - py;
  float aa = ax * ax + ay * ay, bb = bx * bx + by * by, ab = ax * bx + ay * by;
  f4 dx = SUB(SPLAT(s[0]), px);
  f4 c3 = SPLAT(bb), c2 = SPLAT(3.0f * ab);
  f4 c1 = madd(dx, SPLAT(bx), SPLAT(2.0f * aa + dy * by));
  f4 c0 = madd(dx, SPLAT(ax), SPLAT(dy * ay));
  f4 t1, t2;
  if (bb > CURVE_STRAIGHT * aa) {
    float kx = ab / bb;
    f4 ky = MUL(c1, SPLAT(1.0f / (3.0f * bb))), kz = MUL(c0, SPLAT(1.0f / bb));
    f4 vkx = SPLAT(kx);
    f4 p = SUB(ky, SPLAT(kx * kx));
    f4 q = madd(vkx, SUB(SPLAT(2.0f * kx * kx), MUL(SPLAT(3.0f), ky)), kz);
    f4 h = madd(q, q, MUL(SPLAT(4.0f), MUL(p, MUL(p, p))));
    v128_t one = wasm_f32x4_ge(h, SPLAT(0.0f));
    f4 r = SQRT(VMAX(h, SPLAT(0.0f)));
    /* Cardano with one cube root: cu³ = (-q -+ sqrt h) / 2, the larger in
     * magnitude (no cancellation), and cv = -p / cu since cu cv = -p */
    f4 qsign = wasm_v128_and(q, SPLAT(-0.0f));
    f4 cu = curve_cbrt(MUL(SPLAT(-0.5f), ADD(q, wasm_v128_or(r, qsign))));
    f4 cv = wasm_v128_and(DIV(SUB(SPLAT(0.0f), p), cu), wasm_f32x4_ne(cu, SPLAT(0.0f)));
    f4 tone = SUB(ADD(cu, cv), vkx);
    /* one real root in every lane (most pixels): one start, no trigonometry */
    if (wasm_i32x4_all_true(one)) return curve_polish(s, px, py, tone, c3, c2, c1, c0);
    f4 z = SQRT(VMAX(SUB(SPLAT(0.0f), p), SPLAT(0.0f)));
    f4 den = wasm_v128_bitselect(SPLAT(1.0f), MUL(SPLAT(2.0f), MUL(p, z)), one);
    f4 c = VMIN(VMAX(DIV(q, den), SPLAT(-1.0f)), SPLAT(1.0f));
    f4 v = MUL(curve_acos(c), SPLAT(1.0f / 3.0f)), v2 = MUL(v, v);
    /* v in [0, pi/3]: Taylor series to 1e-7 */
    f4 m = madd(v2, madd(v2, madd(v2, madd(v2, SPLAT(1.0f / 40320.0f), SPLAT(-1.0f / 720.0f)), SPLAT(1.0f / 24.0f)), SPLAT(-0.5f)), SPLAT(1.0f));
    f4 n = MUL(v, madd(v2, madd(v2, madd(v2, madd(v2, SPLAT(1.0f / 362880.0f), SPLAT(-1.0f / 5040.0f)), SPLAT(1.0f / 120.0f)), SPLAT(-1.0f / 6.0f)), SPLAT(1.0f)));
    n = MUL(n, SPLAT(1.7320508f));
    t1 = wasm_v128_bitselect(tone, SUB(MUL(SPLAT(2.0f), MUL(m, z)), vkx), one);
    t2 = wasm_v128_bitselect(tone, SUB(MUL(SUB(SPLAT(0.0f), ADD(m, n)), z), vkx), one);
  } else {
    float lx = 2.0f * ax + bx, ly = 2.0f * ay + by;
    t1 = MUL(madd(dx, SPLAT(lx), SPLAT(dy * ly)), SPLAT(-1.0f / (lx * lx + ly * ly + 1e-20f)));
    return curve_polish(s, px, py, t1, c3, c2, c1, c0);
  }
  curve_point r1 = curve_polish(s, px, py, t1, c3, c2, c1, c0);
  curve_point r2 = curve_polish(s, px, py, t2, c3, c2, c1, c0);
  v128_t second = wasm_f32x4_lt(madd(r2.ex, r2.ex, MUL(r2.ey, r2.ey)), madd(r1.ex, r1.ex, MUL(r1.ey, r1.ey)));
  curve_point r;
  r.t = wasm_v128_bitselect(r2.t, r1.t, second);
  r.ex = wasm_v128_bitselect(r2.ex, r1.ex, second);
  r.ey = wasm_v128_bitselect(r2.ey, r1.ey, second);
  return r;
}

static inline void curve_bbox(const float *s, float tau, float margin, float *box) {
  float ext = s[6] + 10.0f * tau + margin;
  float x0 = s[0], x1 = s[0], y0 = s[1], y1 = s[1];
  for (int k = 1; k < 3; k++) {
    float x = s[2 * k], y = s[2 * k + 1];
    x0 = x < x0 ? x : x0;
    x1 = x > x1 ? x : x1;
    y0 = y < y0 ? y : y0;
    y1 = y > y1 ? y : y1;
  }
  box[0] = x0 - ext;
  box[1] = x1 + ext;
  box[2] = y0 - ext;
  box[3] = y1 + ext;
}

/* a stroke is thin: no constant interior is looked for */
static inline void curve_inner_prep(const float *s, float t, float *in) {
  (void)s;
  (void)t;
  (void)in;
}

static inline int curve_inner_row(const float *s, const float *in, float py, float *xlo, float *xhi) {
  (void)s;
  (void)in;
  (void)py;
  (void)xlo;
  (void)xhi;
  return 0;
}

/* The x range of the curve's points within `reach` of row py in y, widened
 * by `reach`: outside it every pixel of the row is farther than `reach`
 * from the curve. The t with |B_y(t) - py| <= reach form a set whose ends
 * are 0, 1 or roots of B_y(t) = py -+ reach; the vertex of B_y counts too,
 * so that a tangent row is not lost to rounding. Returns 0 for none. */
static int curve_row_range(const float *s, float py, float reach, float *xlo, float *xhi) {
  float ay = s[3] - s[1], by = s[1] - 2.0f * s[3] + s[5];
  float ax = s[2] - s[0], bx = s[0] - 2.0f * s[2] + s[4];
  float tmin = 2.0f, tmax = -1.0f, cand[7];
  int n = 0;
  cand[n++] = 0.0f;
  cand[n++] = 1.0f;
  if (by > 1e-12f || by < -1e-12f) cand[n++] = -ay / by;
  for (int k = 0; k < n; k++) {
    float t = cand[k], dy = s[1] + (2.0f * ay + by * t) * t - py;
    if (t >= 0.0f && t <= 1.0f && dy <= reach && dy >= -reach) {
      tmin = t < tmin ? t : tmin;
      tmax = t > tmax ? t : tmax;
    }
  }
  for (int sign = -1; sign <= 1; sign += 2) {
    float c = s[1] - py + (float)sign * reach, r0 = 2.0f, r1 = 2.0f;
    if (by > 1e-12f || by < -1e-12f) {
      float disc = ay * ay - by * c;
      if (disc >= 0.0f) {
        float r = __builtin_sqrtf(disc);
        r0 = (-ay - r) / by;
        r1 = (-ay + r) / by;
      }
    } else if (ay > 1e-12f || ay < -1e-12f) {
      r0 = -c / (2.0f * ay);
    }
    if (r0 >= 0.0f && r0 <= 1.0f) {
      tmin = r0 < tmin ? r0 : tmin;
      tmax = r0 > tmax ? r0 : tmax;
    }
    if (r1 >= 0.0f && r1 <= 1.0f) {
      tmin = r1 < tmin ? r1 : tmin;
      tmax = r1 > tmax ? r1 : tmax;
    }
  }
  if (tmin > tmax) return 0;
  float lo = 3.0e38f, hi = -3.0e38f;
  cand[0] = tmin;
  cand[1] = tmax;
  n = 2;
  if (bx > 1e-12f || bx < -1e-12f) {
    float t = -ax / bx;
    if (t > tmin && t < tmax) cand[n++] = t;
  }
  for (int k = 0; k < n; k++) {
    float x = s[0] + (2.0f * ax + bx * cand[k]) * cand[k];
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
  }
  *xlo = lo - reach;
  *xhi = hi + reach;
  return 1;
}

/* The nearest-point parameters of the curves' vectors of the last row
 * covered. The backward pass renders a row again just before it takes that
 * row's gradients (kernel.c, backward_row), so curve_grad reads t here
 * instead of solving the cubic a third time. An entry is keyed by the
 * record's values and the row, so a record rewritten for the next
 * evaluation never matches stale parameters; a miss (another row, a full
 * cache, a vector outside the solved range) solves afresh, which gives the
 * same bits. */
#define CURVE_CACHE_VECTORS 32768
#define CURVE_CACHE_SHAPES 64
static f4 curve_cache_t[CURVE_CACHE_VECTORS];
static struct {
  float rec[7];
  int va, vb, base;
} curve_cache_entry[CURVE_CACHE_SHAPES];
static int curve_cache_shapes, curve_cache_used;
static float curve_cache_py = -1.0f, curve_cache_pixel = 1.0f;

/* The cache slots for vectors [a, b) of this curve on row py, or null. */
static f4 *curve_cache_claim(const float *s, float py, float pixel, int a, int b) {
  if (py != curve_cache_py || pixel != curve_cache_pixel) {
    curve_cache_py = py;
    curve_cache_pixel = pixel;
    curve_cache_shapes = curve_cache_used = 0;
  }
  if (curve_cache_shapes == CURVE_CACHE_SHAPES || curve_cache_used + (b - a) > CURVE_CACHE_VECTORS) return 0;
  int e = curve_cache_shapes++;
  for (int i = 0; i < 7; i++) curve_cache_entry[e].rec[i] = s[i];
  curve_cache_entry[e].va = a;
  curve_cache_entry[e].vb = b;
  curve_cache_entry[e].base = curve_cache_used;
  curve_cache_used += b - a;
  return curve_cache_t + curve_cache_entry[e].base - a;
}

/* The cached t of the vector at px on row py, if this curve's row was cached. */
static int curve_cache_find(const float *s, float py, f4 px, f4 *t) {
  if (py != curve_cache_py) return 0;
  int v = (int)((wasm_f32x4_extract_lane(px, 0) / curve_cache_pixel - 0.5f) * 0.25f + 0.5f);
  for (int e = 0; e < curve_cache_shapes; e++) {
    int same = 1;
    for (int i = 0; i < 7; i++) same &= curve_cache_entry[e].rec[i] == s[i];
    if (same && v >= curve_cache_entry[e].va && v < curve_cache_entry[e].vb) {
      *t = curve_cache_t[curve_cache_entry[e].base + v - curve_cache_entry[e].va];
      return 1;
    }
  }
  return 0;
}

/* Only the vectors of the row within 10 tau of the stroke (and 0.25 px for
 * rounding) run the solve; the rest of the box gets the clamped coverage. */
static inline void curve_cover(const float *s, float py, int va, int vb, f4 invtau, const f4 *px, f4 *cov) {
  if (va >= vb) return;
  float pixel = wasm_f32x4_extract_lane(px[va], 1) - wasm_f32x4_extract_lane(px[va], 0);
  float reach = s[6] + 10.0f / wasm_f32x4_extract_lane(invtau, 0) + 0.25f * pixel;
  int a = vb, b = vb;
  float xlo, xhi;
  if (curve_row_range(s, py, reach, &xlo, &xhi)) {
    /* vector v holds the pixels whose centres are (4v + 0.5 + l) * pixel, l = 0..3 */
    float fa = __builtin_floorf((xlo / pixel - 3.5f) * 0.25f), fb = __builtin_floorf((xhi / pixel - 0.5f) * 0.25f) + 1.0f;
    a = fa < (float)va ? va : (fa > (float)vb ? vb : (int)fa);
    b = fb < (float)a ? a : (fb > (float)vb ? vb : (int)fb);
  }
  f4 outside = v_coverage(SPLAT(3.0e38f), invtau);
  f4 *cache = curve_cache_claim(s, py, pixel, a, b);
  for (int v = va; v < a; v++) cov[v] = outside;
  for (int v = a; v < b; v++) {
    curve_point r = curve_near(s, px[v], py);
    if (cache) cache[v] = r.t;
    f4 sdf = SUB(SQRT(madd(r.ex, r.ex, MUL(r.ey, r.ey))), SPLAT(s[6]));
    cov[v] = v_coverage(sdf, invtau);
  }
  for (int v = b; v < vb; v++) cov[v] = outside;
}

static inline __attribute__((always_inline)) void curve_grad(const float *s, float py, f4 px, f4 wz, f4 *acc) {
  /* t is a stationary point of the distance (or an end): only the explicit
   * dependence on the points counts, the unit offset times the Bernstein weights */
  curve_point r;
  if (curve_cache_find(s, py, px, &r.t)) {
    f4 u = SUB(SPLAT(1.0f), r.t);
    f4 w0 = MUL(u, u), w1 = MUL(SPLAT(2.0f), MUL(u, r.t)), w2 = MUL(r.t, r.t);
    r.ex = SUB(madd(w0, SPLAT(s[0]), madd(w1, SPLAT(s[2]), MUL(w2, SPLAT(s[4])))), px);
    r.ey = SUB(madd(w0, SPLAT(s[1]), madd(w1, SPLAT(s[3]), MUL(w2, SPLAT(s[5])))), SPLAT(py));
  } else {
    r = curve_near(s, px, py);
  }
  f4 d = SQRT(madd(r.ex, r.ex, MUL(r.ey, r.ey)));
  f4 k = wasm_v128_and(DIV(wz, VMAX(d, SPLAT(1e-30f))), wasm_f32x4_gt(d, SPLAT(0.0f)));
  f4 u = SUB(SPLAT(1.0f), r.t);
  f4 b[3] = {MUL(u, u), MUL(SPLAT(2.0f), MUL(u, r.t)), MUL(r.t, r.t)};
  f4 kx = MUL(k, r.ex), ky = MUL(k, r.ey);
  for (int i = 0; i < 3; i++) {
    acc[2 * i] = madd(kx, b[i], acc[2 * i]);
    acc[2 * i + 1] = madd(ky, b[i], acc[2 * i + 1]);
  }
  acc[6] = ADD(wz, acc[6]);
}

static inline void curve_finalize(const float *s, const double *a, double *g) {
  (void)s;
  for (int i = 0; i < 6; i++) g[i] = a[i];
  g[6] = -0.5 * a[6];
}

/* ======================= dispatch (generated from SHAPE_KINDS) =========== */

/* Bounding box (metric) outside which |sdf| >= 10 tau, so the coverage is the
 * clamped constant; widened by `margin` to stay conservative in float32. */
static void shape_bbox(int type, const float *s, float tau, float margin, float *box) {
  switch (type) {
#define X(code, name) \
  case code:          \
    name##_bbox(s, tau, margin, box); \
    break;
    SHAPE_KINDS(X)
#undef X
  }
}

/* Per evaluation: what shape_inner_row needs to find, on a row, where
 * sdf <= -(10 tau + margin), so the coverage is the clamped constant.
 * A non-positive in[0] (round kinds) or in[9] (triangle) means no such region. */
static void shape_inner_prep(int type, const float *s, float tau, float margin, float *in) {
  float t = 10.0f * tau + margin;
  in[0] = -1.0f;
  in[9] = -1.0f;
  switch (type) {
#define X(code, name) \
  case code:          \
    name##_inner_prep(s, t, in); \
    break;
    SHAPE_KINDS(X)
#undef X
  }
}

/* The x interval (metric) of row py where the shape is deep inside, from
 * shape_inner_prep; returns 0 when there is none. */
static int shape_inner_row(int type, const float *s, const float *in, float py, float *xlo, float *xhi) {
  switch (type) {
#define X(code, name) \
  case code:          \
    return name##_inner_row(s, in, py, xlo, xhi);
    SHAPE_KINDS(X)
#undef X
  }
  return 0;
}

/* Coverage of one shape over vectors [va, vb) of a row at height py. */
static void shape_cover(int type, const float *s, float py, int va, int vb, f4 invtau, const f4 *px, f4 *cov) {
  switch (type) {
#define X(code, name) \
  case code:          \
    name##_cover(s, py, va, vb, invtau, px, cov); \
    break;
    SHAPE_KINDS(X)
#undef X
  }
}

/* Accumulate wz * d(sdf)/d(.) for one vector of pixels into the shape's
 * accumulators; wz = dL/dsdf, zero in lanes where the clamp is active.
 * Called with a constant type, so each caller gets one kind's code inline. */
static inline __attribute__((always_inline)) void shape_grad(int type, const float *s, float py, f4 px, f4 wz, f4 *acc) {
  switch (type) {
#define X(code, name) \
  case code:          \
    name##_grad(s, py, px, wz, acc); \
    break;
    SHAPE_KINDS(X)
#undef X
  }
}

/* Turn the accumulated sums (float64) into d/d(natural parameters) in raw
 * slot order, in the metric; slots 7.. are the fill channels. */
static void shape_finalize(int type, const float *s, const double *a, double *g, int nc) {
  for (int i = 0; i < GRAD; i++) g[i] = 0.0;
  for (int c = 0; c < nc; c++) g[7 + c] = a[ACC_FILL + c];
  g[10] = a[ACC_OPACITY];
  switch (type) {
#define X(code, name) \
  case code:          \
    name##_finalize(s, a, g); \
    break;
    SHAPE_KINDS(X)
#undef X
  }
}

#endif
