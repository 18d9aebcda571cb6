/* The Wasm SIMD CPU kernel: forward render, image loss terms and the
 * analytic backward pass for one band of rows [y0, y1) of an H x W image.
 *
 * A band renders its rows plus a halo of 6 rows (SSIM needs its maps 3 rows
 * around a pixel, and the maps need the image 3 rows further), computes the
 * loss sums over its own rows and the gradient contributions of its own
 * pixels. Summing the outputs of disjoint bands that cover the image gives
 * the whole-image result (docs/engine.md, "Wasm kernel").
 *
 * Call order from JS (kernel.js): band_setup, write the target rows into the
 * returned staging buffer, band_set_target; shapes_reserve(K) whenever the
 * shape count changes, write the records and types; evaluate(...) as often as
 * needed; band_render(...) for the image alone. set_background(c, v) at any
 * time sets channel c of what compositing starts from (1.0, white, until
 * called; kept across band_setup).
 *
 * Channels: band_setup takes NC, 1 (grey) or 3 (RGB). Every image buffer
 * exists per channel; the shapes' coverage is computed once and composited
 * into each channel (the running affine map of render_row has one scale A
 * and one offset per channel); the loss passes run per channel; the
 * backward pass sums the channels' adjoints into the coverage's. The row
 * functions are instantiated for NC = 1 and 3 (always_inline with a
 * constant), so the grey path does what it did before colour. */
#include "loss.h"
#include "shapes.h"

#define EXPORT(name) __attribute__((export_name(name)))
#define HALO 6
#define PAD_ROWS 3
/* How far (pixels) the boxes and deep interiors are widened beyond
 * |sdf| = 10 tau, against float32 rounding of the distances: an error there
 * is a few 1e-7 of the canvas, and every pixel a box gains costs work. */
#define MARGIN_PX 0.25f

extern unsigned char __heap_base;

/* ---- memory: a bump allocator over the linear memory ------------------- */

static unsigned int heap_top;

static void *take(unsigned int bytes) {
  unsigned int at = (heap_top + 15u) & ~15u;
  unsigned int end = at + bytes;
  unsigned int have = (unsigned int)__builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    unsigned int pages = (end - have + 65535u) / 65536u;
    if (__builtin_wasm_memory_grow(0, pages) < 0) return 0;
  }
  heap_top = end;
  float *p = (float *)(unsigned long)at;
  /* fresh buffers start zeroed: the pads around the rows must stay zero */
  for (unsigned int i = 0; i < (bytes + 3u) / 4u; i++) p[i] = 0.0f;
  return p;
}

/* ---- band state --------------------------------------------------------- */

#define MAXC 3

static int W, H, y0, y1, r0, r1, m0, m1, e0, e1, Wv, P, NC;
static float invL;
/* per channel: target, render, target maps, blur scratch (then the blurred
 * SSIM adjoint maps) and the edge adjoint maps */
static float *Y[MAXC], *X[MAXC], *muY[MAXC], *eYY[MAXC], *magT[MAXC], *hX[MAXC], *hXX[MAXC],
    *hXY[MAXC], *AX[MAXC], *AY[MAXC];
/* SSIM adjoint maps of the channel being processed */
static float *mA, *mB, *mC;
static float *staging;
static f4 *px, *lanemask, *drow;
static f4 clo, chi;
static unsigned int band_top;
/* what every pixel's compositing starts from, per channel (the background) */
static float background[MAXC] = {1.0f, 1.0f, 1.0f};

static int K;
static float *recs, *boxes, *inner;
static int *types;
/* Per evaluation, from the boxes (prepare_rows): each shape's vector range
 * (va, vb), the shapes whose box meets each band row in paint order
 * (rowlist[rowstart[j - r0] .. rowstart[j - r0 + 1])), and the running
 * affine map of render_row before shape k (affA[k], affB[k NC + c]) and the
 * backward pass's scale at shape k (bscale[k]). Outside its box a shape maps
 * every pixel alike, so those maps do not depend on the row: a row touches
 * only its listed shapes, and its cost follows what the shapes cover, not
 * their number. */
static int *vrange, *rowstart, *rowcursor, *rowlist, *offs;
static float *affA, *affB, *bscale;
/* fill gradient of the constant coverage outside the boxes: per shape and
 * channel, a difference array over shapes of the row sums of the adjoint
 * (prefix sums give each shape's total, see backward_row) */
static double *fillT;
/* for the row being back-propagated, per listed shape (at offs[i] for the
 * row's i-th shape, packed): coverage and the composite below the shape
 * over its vector range; scratch rows for the re-rendered row and for
 * coverage not kept */
static f4 *cstore, *pstore, *acc, *scratch, *scratch_cov;
static unsigned int list_cap, store_cap, shapes_top;
static double *gacc, *outbuf;
static unsigned char *dirty;

static inline float *row(float *buf, int j) { return buf + (j - r0 + PAD_ROWS) * P + 4; }
static inline int imax(int a, int b) { return a > b ? a : b; }
static inline int imin(int a, int b) { return a < b ? a : b; }

static float *take_rows(void) { return take((unsigned int)((r1 - r0 + 2 * PAD_ROWS) * P) * 4u); }

/* Lays out the buffers of a band of `channels` channels; returns the staging
 * buffer where JS writes the target rows [r0, r1) (W * channels floats each,
 * the channels of a pixel together), or 0 when memory runs out. */
EXPORT("band_setup")
float *band_setup(int width, int height, int band_y0, int band_y1, int channels) {
  NC = channels == 3 ? 3 : 1;
  W = width;
  H = height;
  y0 = band_y0;
  y1 = band_y1;
  r0 = imax(0, y0 - HALO);
  r1 = imin(H, y1 + HALO);
  m0 = imax(0, y0 - 3);
  m1 = imin(H, y1 + 3);
  e0 = imax(0, y0 - 1);
  e1 = imin(H, y1 + 1);
  Wv = (W + 3) / 4;
  P = 4 * Wv + 8;
  invL = 1.0f / (float)(W > H ? W : H);
  K = 0;
  heap_top = (unsigned int)(unsigned long)&__heap_base;
  for (int c = 0; c < NC; c++) {
    float **bufs[] = {&Y[c], &X[c], &muY[c], &eYY[c], &magT[c], &hX[c], &hXX[c], &hXY[c], &AX[c], &AY[c]};
    for (unsigned int i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
      *bufs[i] = take_rows();
      if (!*bufs[i]) return 0;
    }
  }
  float **shared[] = {&mA, &mB, &mC};
  for (unsigned int i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
    *shared[i] = take_rows();
    if (!*shared[i]) return 0;
  }
  px = take((unsigned int)Wv * 16u);
  lanemask = take((unsigned int)Wv * 16u);
  drow = take((unsigned int)(Wv * NC) * 16u);
  staging = take((unsigned int)((r1 - r0) * W * NC) * 4u);
  rowstart = take((unsigned int)(r1 - r0 + 1) * 4u);
  rowcursor = take((unsigned int)(r1 - r0 + 1) * 4u);
  if (!px || !lanemask || !drow || !staging || !rowstart || !rowcursor) return 0;
  for (int v = 0; v < Wv; v++) {
    float i = (float)(4 * v);
    px[v] = MUL(ADD(wasm_f32x4_make(i, i + 1.0f, i + 2.0f, i + 3.0f), SPLAT(0.5f)), SPLAT(invL));
    lanemask[v] = wasm_i32x4_make(4 * v < W ? -1 : 0, 4 * v + 1 < W ? -1 : 0,
                                  4 * v + 2 < W ? -1 : 0, 4 * v + 3 < W ? -1 : 0);
  }
  gauss_init();
  clo = v_coverage(SPLAT(10.0f), SPLAT(1.0f));
  chi = v_coverage(SPLAT(-10.0f), SPLAT(1.0f));
  band_top = heap_top;
  return staging;
}

/* Pads the staged target rows and precomputes the target-only maps. */
EXPORT("band_set_target")
void band_set_target(void) {
  for (int c = 0; c < NC; c++) {
    for (int j = r0; j < r1; j++) {
      float *dst = row(Y[c], j);
      const float *src = staging + (j - r0) * W * NC + c;
      for (int i = 0; i < W; i++) dst[i] = src[i * NC];
    }
    for (int j = r0; j < r1; j++)
      blur_h3(row(Y[c], j), row(Y[c], j), row(hX[c], j), row(hXX[c], j), row(hXY[c], j), Wv);
    for (int j = m0; j < m1; j++) {
      f4 *mu = (f4 *)row(muY[c], j), *e2 = (f4 *)row(eYY[c], j);
      for (int v = 0; v < Wv; v++) {
        mu[v] = blur_v(row(hX[c], j) + 4 * v, P);
        e2[v] = blur_v(row(hXX[c], j) + 4 * v, P);
      }
    }
    for (int j = e0; j < e1; j++) {
      f4 *mag = (f4 *)row(magT[c], j);
      for (int v = 0; v < Wv; v++) {
        f4 gx, gy;
        sobel(row(Y[c], j) + 4 * v, P, &gx, &gy);
        mag[v] = SQRT(madd(gx, gx, madd(gy, gy, SPLAT(1e-8f))));
      }
    }
  }
}

/* Sizes the per-shape buffers for n shapes; returns the record buffer
 * (REC floats per shape) or 0 when memory runs out. The row lists and the
 * backward pass's coverage stores are sized per evaluation (prepare_rows),
 * above these. */
EXPORT("shapes_reserve")
float *shapes_reserve(int n) {
  heap_top = band_top;
  K = n;
  unsigned int k = (unsigned int)(n > 0 ? n : 1);
  recs = take(k * REC * 4u);
  boxes = take(k * 4u * 4u);
  inner = take(k * 10u * 4u);
  types = take(k * 4u);
  scratch = take((unsigned int)(Wv * NC) * 16u);
  scratch_cov = take((unsigned int)Wv * 16u);
  vrange = take(k * 8u);
  offs = take(k * 4u);
  affA = take((k + 1u) * 4u);
  affB = take((k + 1u) * (unsigned int)NC * 4u);
  bscale = take(k * 4u);
  fillT = take((k + 1u) * (unsigned int)NC * 8u);
  acc = take(k * ACC * 16u);
  gacc = take(k * ACC * 8u);
  outbuf = take((3u + k * GRAD) * 8u);
  dirty = take(k);
  if (!recs || !boxes || !inner || !types || !scratch || !scratch_cov || !vrange || !offs || !affA ||
      !affB || !bscale || !fillT || !acc || !gacc || !outbuf || !dirty)
    return 0;
  shapes_top = heap_top;
  list_cap = store_cap = 0;
  return recs;
}

EXPORT("shape_types") int *shape_types(void) { return types; }
EXPORT("set_background") void set_background(int c, float value) {
  if (c >= 0 && c < MAXC) background[c] = value;
}
EXPORT("band_output") double *band_output(void) { return outbuf; }

/* ---- forward ------------------------------------------------------------ */

/* Vectors [va, vb) of a row that the box spans along x. */
static void vector_range(const float *box, int *va, int *vb) {
  float L = 1.0f / invL;
  float lo = box[0] * L - 0.5f, hi = box[1] * L - 0.5f;
  float top = (float)(4 * Wv);
  /* written so that a NaN box (non-finite parameters) covers the whole row:
   * the loss then comes out NaN, and the float-to-int casts never see NaN */
  if (!(lo >= 0.0f)) lo = 0.0f;
  if (lo > top) lo = top;
  if (!(hi <= top)) hi = top;
  if (hi < 0.0f) hi = -1.0f;
  *va = (int)lo >> 2;
  *vb = hi < 0.0f ? 0 : imin(Wv, ((int)hi >> 2) + 1);
  if (*vb < *va) *vb = *va;
}

/* Band rows [ja, jb) whose pixel centres may lie in the box along y: one row
 * more on each side than the box needs (there the coverage comes out as the
 * clamped constant anyway), all rows for a NaN box, as vector_range. */
static void row_range(const float *box, int *ja, int *jb) {
  float L = 1.0f / invL;
  float a = box[2] * L - 0.5f, b = box[3] * L - 0.5f;
  int lo = r0, hi = r1;
  if (a > (float)r0) lo = a >= (float)r1 ? r1 : (int)a;
  if (b < (float)r1) hi = b < (float)r0 ? r0 : (int)__builtin_floorf(b) + 2;
  *ja = lo;
  *jb = imin(r1, imax(hi, lo));
}

/* Boxes, deep-interior data, row lists and the row-independent affine maps
 * of one evaluation; returns 0 when memory runs out. The lists and stores
 * only grow (with a quarter of headroom), so a run allocates them a few
 * times at most. */
static int prepare_rows(float tau) {
  float lo = wasm_f32x4_extract_lane(clo, 0);
  float A = 1.0f, B[MAXC] = {0.0f, 0.0f, 0.0f};
  int nrows = r1 - r0;
  for (int i = 0; i <= nrows; i++) rowstart[i] = rowcursor[i] = 0;
  for (int k = 0; k < K; k++) {
    const float *s = recs + k * REC;
    shape_bbox(types[k], s, tau, MARGIN_PX * invL, boxes + 4 * k);
    shape_inner_prep(types[k], s, tau, MARGIN_PX * invL, inner + 10 * k);
    /* the same float32 sequence render_row used to run per row */
    /* outside its box a shape of opacity a paints with alpha a * clo */
    float lk = lo * s[OPACITY_SLOT];
    affA[k] = A;
    for (int c = 0; c < NC; c++) {
      affB[k * NC + c] = B[c];
      B[c] = B[c] * (1.0f - lk) + lk * s[FILL_SLOT + c];
    }
    A *= 1.0f - lk;
    int va, vb, ja, jb;
    vector_range(boxes + 4 * k, &va, &vb);
    row_range(boxes + 4 * k, &ja, &jb);
    if (va >= vb) ja = jb = r0;
    vrange[2 * k] = va;
    vrange[2 * k + 1] = vb;
    /* difference arrays: entries per row in rowstart, vectors per row in rowcursor */
    if (ja < jb) {
      rowstart[ja - r0] += 1;
      rowstart[jb - r0] -= 1;
      rowcursor[ja - r0] += vb - va;
      rowcursor[jb - r0] -= vb - va;
    }
  }
  affA[K] = A;
  for (int c = 0; c < NC; c++) affB[K * NC + c] = B[c];
  float scale = 1.0f;
  for (int k = K - 1; k >= 0; k--) {
    bscale[k] = scale;
    scale *= 1.0f - lo * recs[k * REC + OPACITY_SLOT];
  }
  unsigned int entries = 0, widest = 0;
  int count = 0, width = 0;
  for (int i = 0; i < nrows; i++) {
    count += rowstart[i];
    width += rowcursor[i];
    rowstart[i] = (int)entries;
    rowcursor[i] = (int)entries;
    entries += (unsigned int)count;
    if ((unsigned int)width > widest) widest = (unsigned int)width;
  }
  rowstart[nrows] = (int)entries;
  if (entries > list_cap || widest > store_cap) {
    heap_top = shapes_top;
    if (entries > list_cap) list_cap = entries + entries / 4u;
    if (widest > store_cap) store_cap = widest + widest / 4u;
    rowlist = take((list_cap > 0 ? list_cap : 1u) * 4u);
    cstore = take((store_cap > 0 ? store_cap : 1u) * 16u);
    pstore = take((store_cap > 0 ? store_cap : 1u) * (unsigned int)NC * 16u);
    if (!rowlist || !cstore || !pstore) {
      list_cap = store_cap = 0;
      return 0;
    }
  }
  for (int k = 0; k < K; k++) {
    int va = vrange[2 * k], vb = vrange[2 * k + 1], ja, jb;
    if (va >= vb) continue;
    row_range(boxes + 4 * k, &ja, &jb);
    for (int j = ja; j < jb; j++) rowlist[rowcursor[j - r0]++] = k;
  }
  return 1;
}

/* Vectors [ia, ib) inside [va, vb) whose four pixels all lie in the shape's
 * deep interior (coverage the clamped constant chi); ia == ib when none. */
static void inner_range(int k, float py, int va, int vb, int *ia, int *ib) {
  float xlo, xhi;
  *ia = *ib = va;
  if (va >= vb || !shape_inner_row(types[k], recs + k * REC, inner + 10 * k, py, &xlo, &xhi)) return;
  float L = 1.0f / invL;
  /* first pixel of vector v is 4v, its centre at (4v + 0.5) / L */
  float lo = (xlo * L - 0.5f) * 0.25f, hi = (xhi * L - 3.5f) * 0.25f;
  if (!(lo <= hi)) return; /* also NaN */
  if (lo < (float)va) lo = (float)va;
  if (hi > (float)vb) hi = (float)vb;
  int a = (int)__builtin_ceilf(lo);
  int b = hi < 0.0f ? 0 : (int)hi + 1;
  if (b > vb) b = vb;
  if (a < b) {
    *ia = a;
    *ib = b;
  }
}

/* cov[v] *= a over [va, vb): coverage to alpha. Kept out of line, like
 * every translucent-only piece, so that the hot loops that opaque shapes
 * run are compiled as they were before opacity (inlined, these pieces made
 * an opaque scene's evaluation about 10% slower). */
static __attribute__((noinline)) void scale_cover(f4 *cov, int va, int vb, float a) {
  f4 op = SPLAT(a);
  for (int v = va; v < vb; v++) cov[v] = MUL(cov[v], op);
}

/* Composites row j into out[c] (one row per channel); with `keep`, also
 * fills cstore, pstore (per listed shape and channel, packed) and offs for
 * the backward pass of that row. The backward pass renders its row again
 * rather than storing the whole band: memory stays that of the widest row
 * (the vectors its shapes' boxes span), and rendering a row costs about
 * what storing and reloading it would.
 *
 * Outside a shape's box the coverage is the constant clo, the same affine
 * map for every pixel there; those maps are applied to the whole row at
 * once through a running affine (true = A * stored + B, with B per
 * channel; affA, affB before each shape), and only the listed shapes'
 * vectors touch memory. The row starts as the background with the
 * identity map (A = 1, B = 0). */
static inline __attribute__((always_inline)) void render_row(int j, f4 invtau, f4 **out, int keep,
                                                              const int nc) {
  float py = ((float)j + 0.5f) * invL;
  for (int c = 0; c < nc; c++) {
    f4 bg = SPLAT(background[c]);
    for (int v = 0; v < Wv; v++) out[c][v] = bg;
  }
  int e0 = rowstart[j - r0], e1 = rowstart[j - r0 + 1], off = 0;
  for (int e = e0; e < e1; e++) {
    int k = rowlist[e];
    const float *s = recs + k * REC;
    int va = vrange[2 * k], vb = vrange[2 * k + 1], ia, ib;
    inner_range(k, py, va, vb, &ia, &ib);
    /* cov and below are indexed by the row's vector v in [va, vb) */
    f4 *cov = keep ? cstore + off - va : scratch_cov;
    shape_cover(types[k], s, py, va, ia, invtau, px, cov);
    for (int v = ia; v < ib; v++) cov[v] = chi;
    shape_cover(types[k], s, py, ib, vb, invtau, px, cov);
    /* cov becomes alpha = opacity * coverage; opaque shapes (the usual
     * case) skip the pass and composite exactly as before opacity */
    if (s[OPACITY_SLOT] != 1.0f) scale_cover(cov, va, vb, s[OPACITY_SLOT]);
    f4 a0 = SPLAT(affA[k]), ia1 = SPLAT(1.0f / affA[k + 1]);
    for (int c = 0; c < nc; c++) {
      f4 b0 = SPLAT(affB[k * nc + c]), b1 = SPLAT(affB[(k + 1) * nc + c]), fill = SPLAT(s[FILL_SLOT + c]);
      f4 *below = pstore + off * nc + c * (vb - va) - va, *o = out[c];
      for (int v = va; v < vb; v++) {
        f4 now = madd(a0, o[v], b0);
        if (keep) below[v] = now;
        o[v] = MUL(SUB(madd(cov[v], SUB(fill, now), now), b1), ia1);
      }
    }
    if (keep) offs[e - e0] = off;
    off += vb - va;
  }
  f4 a = SPLAT(affA[K]);
  for (int c = 0; c < nc; c++) {
    f4 b = SPLAT(affB[K * nc + c]);
    for (int v = 0; v < Wv; v++) out[c][v] = madd(a, out[c][v], b);
  }
}

/* Renders rows [r0, r1) into X; returns 0 when memory runs out. */
static int render_rows(float tau) {
  f4 invtau = SPLAT(1.0f / tau);
  if (!prepare_rows(tau)) return 0;
  for (int j = r0; j < r1; j++) {
    f4 *out[MAXC];
    for (int c = 0; c < NC; c++) out[c] = (f4 *)row(X[c], j);
    if (NC == 1)
      render_row(j, invtau, out, 0, 1);
    else
      render_row(j, invtau, out, 0, 3);
    /* zero the columns past the image: they are padding for the stencils */
    for (int c = 0; c < NC; c++) {
      float *o = row(X[c], j);
      for (int i = W; i < 4 * Wv; i++) o[i] = 0.0f;
    }
  }
  return 1;
}

/* ---- loss and its adjoint ----------------------------------------------- */

/* The SSIM terms of channel c; with grad, its adjoint maps into mA, mB, mC. */
static void ssim_pass(int c, double *ssim_sum, f4 kssim, int grad) {
  for (int j = r0; j < r1; j++)
    blur_h3(row(X[c], j), row(Y[c], j), row(hX[c], j), row(hXX[c], j), row(hXY[c], j), Wv);
  f4 c1 = SPLAT(SSIM_C1), c2 = SPLAT(SSIM_C2), two = SPLAT(2.0f);
  for (int j = m0; j < m1; j++) {
    const f4 *my = (const f4 *)row(muY[c], j), *eyy = (const f4 *)row(eYY[c], j);
    f4 *a = (f4 *)row(mA, j), *b = (f4 *)row(mB, j), *cc = (f4 *)row(mC, j);
    f4 rs = SPLAT(0.0f);
    for (int v = 0; v < Wv; v++) {
      f4 mx = blur_v(row(hX[c], j) + 4 * v, P);
      f4 exx = blur_v(row(hXX[c], j) + 4 * v, P);
      f4 exy = blur_v(row(hXY[c], j) + 4 * v, P);
      f4 mxy = MUL(mx, my[v]);
      f4 mxx = MUL(mx, mx), myy = MUL(my[v], my[v]);
      f4 A1 = madd(two, mxy, c1);
      f4 A2 = madd(two, SUB(exy, mxy), c2);
      f4 B1 = ADD(ADD(mxx, myy), c1);
      f4 B2 = ADD(ADD(SUB(exx, mxx), SUB(eyy[v], myy)), c2);
      f4 inv = DIV(SPLAT(1.0f), MUL(B1, B2));
      f4 S = MUL(MUL(A1, A2), inv);
      rs = ADD(rs, wasm_v128_and(S, lanemask[v]));
      if (grad) {
        f4 iB1 = MUL(B2, inv), iB2 = MUL(B1, inv);
        /* dS/dmx, dS/dE[x^2], dS/dE[xy] */
        f4 dmx = MUL(two, madd(MUL(my[v], SUB(A2, A1)), inv, MUL(MUL(mx, S), SUB(iB2, iB1))));
        f4 dxx = wasm_f32x4_neg(MUL(S, iB2));
        f4 dxy = MUL(MUL(two, A1), inv);
        a[v] = wasm_v128_and(MUL(kssim, dmx), lanemask[v]);
        b[v] = wasm_v128_and(MUL(kssim, dxx), lanemask[v]);
        cc[v] = wasm_v128_and(MUL(kssim, dxy), lanemask[v]);
      }
    }
    if (j >= y0 && j < y1) *ssim_sum += hsum_f64(rs);
  }
}

static void edge_pass(int c, double *mse_sum, double *edge_sum, f4 kedge, int grad) {
  for (int j = e0; j < e1; j++) {
    const f4 *mt = (const f4 *)row(magT[c], j);
    const f4 *x = (const f4 *)row(X[c], j), *y = (const f4 *)row(Y[c], j);
    f4 *ax = (f4 *)row(AX[c], j), *ay = (f4 *)row(AY[c], j);
    int own = j >= y0 && j < y1;
    f4 re = SPLAT(0.0f), rm = re;
    for (int v = 0; v < Wv; v++) {
      f4 gx, gy;
      sobel(row(X[c], j) + 4 * v, P, &gx, &gy);
      f4 mag = SQRT(madd(gx, gx, madd(gy, gy, SPLAT(1e-8f))));
      f4 diff = wasm_v128_and(SUB(mag, mt[v]), lanemask[v]);
      if (own) {
        f4 d = SUB(x[v], y[v]);
        re = madd(diff, diff, re);
        rm = madd(d, d, rm);
      }
      if (grad) {
        f4 k = DIV(MUL(kedge, diff), mag);
        ax[v] = MUL(k, gx);
        ay[v] = MUL(k, gy);
      }
    }
    if (own) {
      *edge_sum += hsum_f64(re);
      *mse_sum += hsum_f64(rm);
    }
  }
}

/* dL/dX of channel c for row j into `out` (zero past the image) */
static void image_adjoint_row(int c, int j, f4 kmse, f4 *out) {
  const f4 *x = (const f4 *)row(X[c], j), *y = (const f4 *)row(Y[c], j);
  f4 two = SPLAT(2.0f);
  for (int v = 0; v < Wv; v++) {
    f4 ba = blur_v(row(hX[c], j) + 4 * v, P);
    f4 bb = blur_v(row(hXX[c], j) + 4 * v, P);
    f4 bc = blur_v(row(hXY[c], j) + 4 * v, P);
    f4 d = madd(kmse, SUB(x[v], y[v]), ba);
    d = madd(MUL(two, x[v]), bb, d);
    d = madd(y[v], bc, d);
    d = ADD(d, sobel_adjoint(row(AX[c], j) + 4 * v, row(AY[c], j) + 4 * v, P));
    out[v] = wasm_v128_and(d, lanemask[v]);
  }
}

/* ---- backward through compositing, coverage and the shapes -------------- */

/* Back-propagates through one shape over the vectors [va, vb) of a row.
 * g[c] is channel c's stored adjoint (true = scale * stored); total[c] keeps
 * its lane sums over the row, which the caller uses for the vectors outside;
 * below is the shape's composite-below rows (nc of them, vb - va apart,
 * indexed by v). cov holds alpha = a c (a the opacity, c the coverage;
 * outside the box alpha is lo = a clo, in the deep interior hi = a chi).
 * fillsum[c] gains the sum of g (alpha - lo) over the range. alpha is
 * shared by the channels, so its adjoint sums theirs. Instantiated for
 * opaque (translucent = 0: a = 1, the constants of before, and no more live
 * vectors in the loop: the opaque path keeps its speed) and translucent
 * shapes. */
static inline __attribute__((always_inline)) int grad_range(int type, const float *s, float py,
                                                             int va, int vb, const f4 *cov,
                                                             const f4 *below, f4 **g, f4 *a,
                                                             f4 scale, f4 *total, f4 *fillsum,
                                                             f4 invtau, const int nc,
                                                             const int translucent) {
  f4 fill[MAXC], fs[MAXC], t[MAXC];
  for (int c = 0; c < nc; c++) {
    fill[c] = SPLAT(s[FILL_SLOT + c]);
    fs[c] = fillsum[c];
    t[c] = total[c];
  }
  f4 one = SPLAT(1.0f), tiny = SPLAT(1e-20f);
  f4 op = translucent ? SPLAT(s[OPACITY_SLOT]) : one;
  f4 lo = translucent ? MUL(clo, op) : clo, hi = translucent ? MUL(chi, op) : chi;
  f4 itau = translucent ? DIV(invtau, op) : invtau;
  f4 keep = DIV(one, SUB(one, lo));
  int touched = 0;
  for (int v = va; v < vb; v++) {
    f4 c = cov[v];
    for (int ch = 0; ch < nc; ch++) fs[ch] = madd(g[ch][v], SUB(c, lo), fs[ch]);
    v128_t active = wasm_v128_and(wasm_f32x4_gt(c, lo), wasm_f32x4_lt(c, hi));
    if (wasm_v128_any_true(active)) {
      /* dL/dsdf = sum_c g_c (fill_c - below_c) a dc/dsdf with dc/dsdf = -c (1 - c) / tau;
       * in alpha = a c that is alpha (alpha - a) / (a tau) */
      f4 gf = MUL(MUL(g[0][v], scale), SUB(fill[0], below[v]));
      for (int ch = 1; ch < nc; ch++)
        gf = ADD(gf, MUL(MUL(g[ch][v], scale), SUB(fill[ch], below[ch * (vb - va) + v])));
      f4 wz = MUL(MUL(gf, MUL(c, SUB(c, op))), itau);
      shape_grad(type, s, py, px[v], wasm_v128_and(wz, active), a);
      touched = 1;
    }
    for (int ch = 0; ch < nc; ch++) {
      f4 gv = g[ch][v];
      f4 next = MUL(MUL(gv, SUB(one, c)), keep);
      /* an adjoint this small cannot matter; flushing it keeps denormals out */
      next = wasm_v128_and(next, wasm_f32x4_gt(wasm_f32x4_abs(next), tiny));
      t[ch] = ADD(t[ch], SUB(next, gv));
      g[ch][v] = next;
    }
  }
  for (int c = 0; c < nc; c++) {
    fillsum[c] = fs[c];
    total[c] = t[c];
  }
  return touched;
}

/* The opacity's gradient from the vectors [va, vb) of a row (before
 * grad_range moves g past the shape): dL/da = sum g (fill - below) c, with
 * c = alpha / a and the true adjoint scale * g. Outside the box alpha is the
 * constant a clo (4.5e-5 a); that part is left out (docs/engine.md). */
static __attribute__((noinline)) void opacity_range(const float *s, int va, int vb, const f4 *cov,
                                                    const f4 *below, f4 **g, f4 *a, f4 scale,
                                                    int nc) {
  f4 fill[MAXC], sum = SPLAT(0.0f);
  for (int c = 0; c < nc; c++) fill[c] = SPLAT(s[FILL_SLOT + c]);
  for (int v = va; v < vb; v++) {
    f4 gf = MUL(g[0][v], SUB(fill[0], below[v]));
    for (int ch = 1; ch < nc; ch++) gf = madd(g[ch][v], SUB(fill[ch], below[ch * (vb - va) + v]), gf);
    sum = madd(gf, cov[v], sum);
  }
  a[ACC_OPACITY] = madd(sum, MUL(scale, SPLAT(1.0f / s[OPACITY_SLOT])), a[ACC_OPACITY]);
}

/* grad_range of a translucent shape, out of line (see scale_cover). */
static __attribute__((noinline)) int grad_range_translucent(int type, const float *s, float py,
                                                            int va, int vb, const f4 *cov,
                                                            const f4 *below, f4 **g, f4 *a,
                                                            f4 scale, f4 *total, f4 *fillsum,
                                                            f4 invtau, int nc) {
  switch (type) {
#define X(code, name)                                                                                  \
  case code:                                                                                           \
    return nc == 1 ? grad_range(code, s, py, va, vb, cov, below, g, a, scale, total, fillsum, invtau, 1, 1) \
                   : grad_range(code, s, py, va, vb, cov, below, g, a, scale, total, fillsum, invtau, 3, 1);
    SHAPE_KINDS(X)
#undef X
  }
  return 0;
}

/* The backward pass of row j, its listed shapes in reverse order; drow
 * holds dL/dX of each channel (Wv apart). As in render_row, the constant
 * coverage outside a shape's box is applied to the whole row through a
 * scalar: the true adjoint is scale * g, with scale bscale[k] at shape k.
 *
 * Every shape's fill gradient has a part from the whole row, clo times the
 * adjoint's row sum at that shape. That sum changes only at listed shapes,
 * so each stretch of shapes between two listed ones gets it once, into the
 * difference array fillT (evaluate turns it into per-shape sums): a row
 * costs its listed shapes, not K. */
static inline __attribute__((always_inline)) void backward_row(int j, f4 invtau, const int nc) {
  float py = ((float)j + 0.5f) * invL;
  f4 *out[MAXC], *g[MAXC];
  for (int c = 0; c < nc; c++) {
    out[c] = scratch + c * Wv;
    g[c] = drow + c * Wv;
  }
  render_row(j, invtau, out, 1, nc);
  f4 total[MAXC];
  for (int c = 0; c < nc; c++) {
    total[c] = SPLAT(0.0f);
    for (int v = 0; v < Wv; v++) total[c] = ADD(total[c], g[c][v]);
  }
  int e0 = rowstart[j - r0], e1 = rowstart[j - r0 + 1], above = K;
  for (int e = e1 - 1; e >= e0; e--) {
    int k = rowlist[e];
    /* shapes [k, above) see the row sum as it is now */
    for (int c = 0; c < nc; c++) {
      double t = hsum_f64(total[c]);
      fillT[k * nc + c] += t;
      fillT[above * nc + c] -= t;
    }
    above = k;
    const float *s = recs + k * REC;
    int va = vrange[2 * k], vb = vrange[2 * k + 1], off = offs[e - e0];
    f4 *a = acc + k * ACC;
    f4 sc = SPLAT(bscale[k]);
    f4 fillsum[MAXC];
    for (int c = 0; c < nc; c++) fillsum[c] = SPLAT(0.0f);
    const f4 *cov = cstore + off - va, *below = pstore + off * nc - va;
    int touched = 0;
    if (s[OPACITY_SLOT] != 1.0f) opacity_range(s, va, vb, cov, below, g, a, sc, nc);
    /* one instance of grad_range per kind for opaque shapes, its shape_grad inlined */
    if (s[OPACITY_SLOT] != 1.0f) {
      touched = grad_range_translucent(types[k], s, py, va, vb, cov, below, g, a, sc, total, fillsum,
                                       invtau, nc);
    } else {
      switch (types[k]) {
#define X(code, name)                                                                                  \
  case code:                                                                                           \
    touched = grad_range(code, s, py, va, vb, cov, below, g, a, sc, total, fillsum, invtau, nc, 0);    \
    break;
        SHAPE_KINDS(X)
#undef X
      }
    }
    for (int c = 0; c < nc; c++) a[ACC_FILL + c] = madd(fillsum[c], sc, a[ACC_FILL + c]);
    dirty[k] |= touched;
  }
  for (int c = 0; c < nc; c++) {
    double t = hsum_f64(total[c]);
    fillT[c] += t;
    fillT[above * nc + c] -= t;
  }
  /* row sums in float32 are short; the band total is float64 */
  for (int e = e0; e < e1; e++) {
    int k = rowlist[e];
    f4 *a = acc + k * ACC;
    double *ga = gacc + k * ACC;
    for (int c = 0; c < nc; c++) {
      ga[ACC_FILL + c] += hsum_f64(a[ACC_FILL + c]);
      a[ACC_FILL + c] = SPLAT(0.0f);
    }
    if (recs[k * REC + OPACITY_SLOT] != 1.0f) {
      ga[ACC_OPACITY] += hsum_f64(a[ACC_OPACITY]);
      a[ACC_OPACITY] = SPLAT(0.0f);
    }
    if (dirty[k]) {
      for (int i = 0; i < ACC_FILL; i++) {
        ga[i] += hsum_f64(a[i]);
        a[i] = SPLAT(0.0f);
      }
      dirty[k] = 0;
    }
  }
}

/* ---- entry points --------------------------------------------------------- */

/* One evaluation (0 when memory runs out): output[0..2] = sums over the band's pixels and channels of
 * (X-Y)^2, (|sobel X| - |sobel Y|)^2 and the SSIM map; with grad,
 * output[3 + GRAD k ..] = d(weighted loss)/d(natural parameters of shape k)
 * (see shapes.h). The weighted loss is w_mse*mse + w_edge*edge +
 * w_ssim*(1 - mean SSIM), each a mean over all W*H*NC pixel channels (the
 * colour loss of DESIGN.md: per-channel terms averaged). */
EXPORT("evaluate")
double *evaluate(float tau, float w_mse, float w_edge, float w_ssim, int grad) {
  float n = (float)W * (float)H * (float)NC;
  double mse = 0.0, edge = 0.0, ssim = 0.0;
  if (!render_rows(tau)) return 0;
  for (int c = 0; c < NC; c++) {
    ssim_pass(c, &ssim, SPLAT(-w_ssim / n), grad);
    edge_pass(c, &mse, &edge, SPLAT(2.0f * w_edge / n), grad);
    if (grad) {
      /* the channel's SSIM adjoint, blurred horizontally, replaces its scratch */
      for (int j = m0; j < m1; j++) {
        blur_h(row(mA, j), row(hX[c], j), Wv);
        blur_h(row(mB, j), row(hXX[c], j), Wv);
        blur_h(row(mC, j), row(hXY[c], j), Wv);
      }
    }
  }
  outbuf[0] = mse;
  outbuf[1] = edge;
  outbuf[2] = ssim;
  if (!grad) return outbuf;
  for (int i = 0; i < K * ACC; i++) {
    acc[i] = SPLAT(0.0f);
    gacc[i] = 0.0;
  }
  for (int k = 0; k < K; k++) dirty[k] = 0;
  for (int i = 0; i < (K + 1) * NC; i++) fillT[i] = 0.0;
  f4 invtau = SPLAT(1.0f / tau), kmse = SPLAT(2.0f * w_mse / n);
  for (int j = y0; j < y1; j++) {
    for (int c = 0; c < NC; c++) image_adjoint_row(c, j, kmse, drow + c * Wv);
    if (NC == 1)
      backward_row(j, invtau, 1);
    else
      backward_row(j, invtau, 3);
  }
  double lo = (double)wasm_f32x4_extract_lane(clo, 0);
  for (int c = 0; c < NC; c++) {
    double rowsums = 0.0;
    for (int k = 0; k < K; k++) {
      rowsums += fillT[k * NC + c];
      gacc[k * ACC + ACC_FILL + c] += lo * (double)recs[k * REC + OPACITY_SLOT] * (double)bscale[k] * rowsums;
    }
  }
  for (int k = 0; k < K; k++)
    shape_finalize(types[k], recs + k * REC, gacc + k * ACC, outbuf + 3 + k * GRAD, NC);
  return outbuf;
}

/* Renders the band; returns its rows [y0, y1) packed, W * NC floats each
 * (the channels of a pixel together), or 0 when memory runs out. */
EXPORT("band_render")
float *band_render(float tau) {
  if (!render_rows(tau)) return 0;
  for (int j = y0; j < y1; j++) {
    float *dst = staging + (j - y0) * W * NC;
    for (int c = 0; c < NC; c++) {
      const float *src = row(X[c], j);
      for (int i = 0; i < W; i++) dst[i * NC + c] = src[i];
    }
  }
  return staging;
}
