/* Image-space loss passes over padded row buffers: separable 7x7 Gaussian
 * blur (SSIM) and 3x3 Sobel (edge), both with zero padding.
 *
 * A row pointer points at pixel 0 of a row; each row has at least 4 zero
 * floats on either side and the image has zero rows above and below, so the
 * stencils read zeros outside the image without bounds checks. */
#ifndef PELICAN_LOSS_H
#define PELICAN_LOSS_H

#include "vmath.h"

#define SSIM_C1 (0.01f * 0.01f)
#define SSIM_C2 (0.03f * 0.03f)

/* 1-D Gaussian taps (sigma 1.5, normalised); the 2-D window is their outer
 * product, which is the normalised 2-D Gaussian. */
static float gauss[7];

static void gauss_init(void) {
  float e[4];
  f4 x = wasm_f32x4_make(0.0f, -1.0f / 4.5f, -4.0f / 4.5f, -9.0f / 4.5f);
  f4 y = v_exp(x);
  e[0] = wasm_f32x4_extract_lane(y, 0);
  e[1] = wasm_f32x4_extract_lane(y, 1);
  e[2] = wasm_f32x4_extract_lane(y, 2);
  e[3] = wasm_f32x4_extract_lane(y, 3);
  float sum = e[0] + 2.0f * (e[1] + e[2] + e[3]);
  for (int k = 0; k < 4; k++) gauss[3 + k] = gauss[3 - k] = e[k] / sum;
}

/* horizontal blur of one row into `dst` (nv vectors) */
static void blur_h(const float *src, float *dst, int nv) {
  f4 g0 = SPLAT(gauss[0]), g1 = SPLAT(gauss[1]), g2 = SPLAT(gauss[2]), g3 = SPLAT(gauss[3]);
  for (int v = 0; v < nv; v++) {
    const float *p = src + 4 * v;
    f4 a = MUL(g3, LOAD(p));
    a = madd(g2, ADD(LOAD(p - 1), LOAD(p + 1)), a);
    a = madd(g1, ADD(LOAD(p - 2), LOAD(p + 2)), a);
    a = madd(g0, ADD(LOAD(p - 3), LOAD(p + 3)), a);
    STORE(dst + 4 * v, a);
  }
}

/* horizontal blur of x, x*x and x*y in one sweep */
static void blur_h3(const float *x, const float *y, float *hx, float *hxx, float *hxy, int nv) {
  for (int v = 0; v < nv; v++) {
    const float *px = x + 4 * v, *py = y + 4 * v;
    f4 a = SPLAT(0.0f), b = a, c = a;
    for (int k = -3; k <= 3; k++) {
      f4 g = SPLAT(gauss[k + 3]);
      f4 xv = LOAD(px + k), yv = LOAD(py + k);
      f4 gx = MUL(g, xv);
      a = ADD(a, gx);
      b = madd(gx, xv, b);
      c = madd(gx, yv, c);
    }
    STORE(hx + 4 * v, a);
    STORE(hxx + 4 * v, b);
    STORE(hxy + 4 * v, c);
  }
}

/* vertical blur at one output vector: rows are `pitch` floats apart */
static inline f4 blur_v(const float *p, int pitch) {
  f4 a = MUL(SPLAT(gauss[3]), LOAD(p));
  a = madd(SPLAT(gauss[2]), ADD(LOAD(p - pitch), LOAD(p + pitch)), a);
  a = madd(SPLAT(gauss[1]), ADD(LOAD(p - 2 * pitch), LOAD(p + 2 * pitch)), a);
  a = madd(SPLAT(gauss[0]), ADD(LOAD(p - 3 * pitch), LOAD(p + 3 * pitch)), a);
  return a;
}

/* Sobel x (cross-correlation with [[-1,0,1],[-2,0,2],[-1,0,1]]) and its
 * transpose at one vector */
static inline void sobel(const float *p, int pitch, f4 *gx, f4 *gy) {
  const float *up = p - pitch, *dn = p + pitch;
  f4 ul = LOAD(up - 1), uc = LOAD(up), ur = LOAD(up + 1);
  f4 ml = LOAD(p - 1), mr = LOAD(p + 1);
  f4 dl = LOAD(dn - 1), dc = LOAD(dn), dr = LOAD(dn + 1);
  f4 two = SPLAT(2.0f);
  *gx = ADD(ADD(SUB(ur, ul), SUB(dr, dl)), MUL(two, SUB(mr, ml)));
  *gy = ADD(ADD(SUB(dl, ul), SUB(dr, ur)), MUL(two, SUB(dc, uc)));
}

/* adjoint of the edge pass at one vector: the Sobel kernels are odd, so
 * d/dX of sum(ax*gx + ay*gy) is minus the same stencils applied to ax, ay */
static inline f4 sobel_adjoint(const float *ax, const float *ay, int pitch) {
  f4 two = SPLAT(2.0f);
  f4 gx = ADD(ADD(SUB(LOAD(ax - pitch + 1), LOAD(ax - pitch - 1)),
                  SUB(LOAD(ax + pitch + 1), LOAD(ax + pitch - 1))),
              MUL(two, SUB(LOAD(ax + 1), LOAD(ax - 1))));
  f4 gy = ADD(ADD(SUB(LOAD(ay + pitch - 1), LOAD(ay - pitch - 1)),
                  SUB(LOAD(ay + pitch + 1), LOAD(ay - pitch + 1))),
              MUL(two, SUB(LOAD(ay + pitch), LOAD(ay - pitch))));
  return wasm_f32x4_neg(ADD(gx, gy));
}

#endif
