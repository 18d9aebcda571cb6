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
/* per-shape accumulator slots (f4 each): 0..12 for a kind's geometry, then
 * the fill gradient of channel c at ACC_FILL + c */
#define ACC 16
#define ACC_FILL 13
/* natural-parameter gradient layout, same slots as the raw layout (fill
 * channel c at 7 + c) */
#define GRAD 10

/* X(code, name) for every kind */
#define SHAPE_KINDS(X) \
  X(0, circle)         \
  X(1, ellipse)        \
  X(2, triangle)

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
