/* SIMD helpers for the kernel: four float32 lanes = four pixels along x.
 * No libc: exp is a Cephes-style polynomial, sqrt is the Wasm instruction. */
#ifndef PELICAN_VMATH_H
#define PELICAN_VMATH_H

#include <wasm_simd128.h>

typedef v128_t f4;

#define SPLAT(x) wasm_f32x4_splat(x)
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define DIV wasm_f32x4_div
#define SQRT wasm_f32x4_sqrt
#define VMIN wasm_f32x4_pmin
#define VMAX wasm_f32x4_pmax
#define LOAD(p) wasm_v128_load(p)
#define STORE(p, v) wasm_v128_store((p), (v))

static inline f4 madd(f4 a, f4 b, f4 c) { return ADD(MUL(a, b), c); }

static inline float hsum(f4 v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

static inline double hsum_f64(f4 v) {
  return ((double)wasm_f32x4_extract_lane(v, 0) + (double)wasm_f32x4_extract_lane(v, 1)) +
         ((double)wasm_f32x4_extract_lane(v, 2) + (double)wasm_f32x4_extract_lane(v, 3));
}

/* exp for |x| <= 10.5 (the clamped coverage argument), about 1 ulp. The range
 * keeps 2^n far from the denormals, which would make the SIMD path slower
 * than scalar JS. */
static inline f4 v_exp(f4 x) {
  f4 n = wasm_f32x4_nearest(MUL(x, SPLAT(1.44269504088896341f)));
  f4 r = SUB(x, MUL(n, SPLAT(0.693359375f)));
  r = SUB(r, MUL(n, SPLAT(-2.12194440e-4f)));
  f4 p = SPLAT(1.9875691500e-4f);
  p = madd(p, r, SPLAT(1.3981999507e-3f));
  p = madd(p, r, SPLAT(8.3334519073e-3f));
  p = madd(p, r, SPLAT(4.1665795894e-2f));
  p = madd(p, r, SPLAT(1.6666665459e-1f));
  p = madd(p, r, SPLAT(5.0000001201e-1f));
  p = ADD(madd(p, MUL(r, r), r), SPLAT(1.0f));
  v128_t scale = wasm_i32x4_shl(
      wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return MUL(p, scale);
}

/* coverage = sigmoid(-clamp(sdf / tau, -10, 10)) = 1 / (1 + exp(z)) */
static inline f4 v_coverage(f4 sdf, f4 invtau) {
  f4 z = VMIN(VMAX(MUL(sdf, invtau), SPLAT(-10.0f)), SPLAT(10.0f));
  return DIV(SPLAT(1.0f), ADD(SPLAT(1.0f), v_exp(z)));
}

#endif
