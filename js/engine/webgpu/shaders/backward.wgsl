// Backward pass to the shapes: each invocation takes d loss / d image of its
// PIX pixels (one column, PIX rows; adjoint.wgsl), walks them from the front
// shape to the back one, and each subgroup
// adds its invocations' gradient contributions with subgroupAdd. The subgroup's
// first invocation writes one row of partial sums (no workgroup barriers:
// reduce.wgsl sums the rows in a second pass).
//
// Compositing is undone without division: with T the transmittance of the
// shapes in front of k and A their summed contribution,
//   d final / d sdf_k = dc_k * T * (f_k - out_{k-1})
//                     = -c_k / tau * ((1 - c_k) * T * f_k - (final - A - c_k f_k T)).
// The background enters only through `final` (the forward pass's image), so
// this pass needs no background of its own.
// A shape of opacity a paints alpha_k = a c_k; with E = (1 - alpha_k) T f_k -
// (final - A - alpha_k f_k T) = (1 - alpha_k) T (f_k - out_{k-1}),
//   d final / d sdf_k = a dc_k E / (1 - alpha_k) = -a c_k (1 - c_k) / tau * E / (1 - alpha_k),
//   d final / d a     = c_k E / (1 - alpha_k),
// and for a = 1 the first is the opaque formula above, computed as before.
// The opacity's gradient goes to the third vec4's z (shapeCols 3 when a shape
// is translucent). In colour the coverage is shared:
// d/d sdf_k sums the three channels' terms, and the G and B fill gradients go
// to a third vec4 per shape; the grey path (dims.nc == 1) skips all of that.

enable subgroups;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read_write> state: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read> types: array<u32>;
@group(0) @binding(4) var<storage, read> tgt: array<f32>;
@group(0) @binding(6) var<storage, read> img: array<f32>;
@group(0) @binding(7) var<storage, read> coef: array<vec4f>;
@group(0) @binding(10) var<storage, read_write> partials: array<vec4f>;
@group(0) @binding(13) var<storage, read> sched: array<vec4f>;
@group(0) @binding(16) var<storage, read> geo: array<vec4f>;

@compute @workgroup_size(16, 16)
fn main(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_index) li: u32,
  @builtin(subgroup_size) sgSize: u32,
  @builtin(subgroup_invocation_id) sgLane: u32,
) {
  let tau = sched[atomicLoad(&state[ST_STEP])].y;
  let wg = wid.y * dims.backGroupsX + wid.x;
  if (wg == 0u && li == 0u) {
    atomicStore(&state[ST_SGSIZE], sgSize);
  }
  let row = wg * (256u / sgSize) + li / sgSize;
  let base = row * dims.cols;
  let sc = dims.shapeCols;
  let colour = dims.nc == 3u;
  let third = sc == 3u;
  let N = dims.nPix;

  var valid: array<bool, PIX>;
  var pm: array<vec2f, PIX>;
  var fin: array<f32, PIX>;
  var gp: array<f32, PIX>;
  var tr: array<f32, PIX>;
  var acc: array<f32, PIX>;
  // channels G and B (colour only)
  var fin2: array<vec2f, PIX>;
  var gp2: array<vec2f, PIX>;
  var acc2: array<vec2f, PIX>;
  var lossSum = vec4f(0.0);
  for (var r = 0u; r < PIX; r++) {
    let x = gid.x;
    let y = gid.y * PIX + r;
    valid[r] = x < dims.width && y < dims.height;
    pm[r] = pixelMetric(x, y, dims.invL);
    tr[r] = 1.0;
    acc[r] = 0.0;
    fin[r] = 0.0;
    gp[r] = 0.0;
    acc2[r] = vec2f(0.0);
    fin2[r] = vec2f(0.0);
    gp2[r] = vec2f(0.0);
    if (valid[r]) {
      let q = y * dims.width + x;
      fin[r] = img[q];
      gp[r] = imageAdjoint(i32(x), i32(y), 0u);
      lossSum += vec4f(coef[2u * q].zw, coef[2u * q + 1u].w, 0.0);
      if (colour) {
        fin2[r] = vec2f(img[N + q], img[2u * N + q]);
        gp2[r] = vec2f(imageAdjoint(i32(x), i32(y), 1u), imageAdjoint(i32(x), i32(y), 2u));
        let q1 = N + q;
        let q2 = 2u * N + q;
        lossSum += vec4f(coef[2u * q1].zw, coef[2u * q1 + 1u].w, 0.0) + vec4f(coef[2u * q2].zw, coef[2u * q2 + 1u].w, 0.0);
      }
    }
  }
  let lossRed = subgroupAdd(lossSum);
  if (sgLane == 0u) {
    partials[base + sc * dims.nShapes] = lossRed;
  }

  for (var kk = 0u; kk < dims.nShapes; kk++) {
    let k = dims.nShapes - 1u - kk;
    let t = types[k] & TYPE_MASK;
    let g0 = geo[GEO * k];
    let g1 = geo[GEO * k + 1u];
    let f = g1.w;
    var f2 = vec2f(0.0);
    if (colour) {
      f2 = geo[GEO * k + 4u].xy;
    }
    let a = geo[GEO * k + 5u].x;
    let opaque = a == 1.0;
    var ga = vec4f(0.0);
    var gb = vec4f(0.0);
    var gc = vec4f(0.0);
    for (var r = 0u; r < PIX; r++) {
      if (valid[r]) {
        let sg = shapeSdfGrad(t, g0, g1, pm[r]);
        let cv = coverage(sg.d, tau);
        let cc = cv.c;
        let c = a * cc;
        let T = tr[r];
        let cfT = c * f * T;
        let g = gp[r];
        // 1 when opaque; else a (1 - c_k) / (1 - alpha_k), 1 - alpha_k >= 1 - a > 0
        let w = select(a * (1.0 - cc) / (1.0 - c), 1.0, opaque);
        if (cv.dc != 0.0 || !opaque) {
          let e = (1.0 - c) * T * f - (fin[r] - acc[r] - cfT);
          var dsdf = -g * c / tau * e;
          var dop = g * e;
          if (colour) {
            let e2 = (1.0 - c) * T * f2 - (fin2[r] - acc2[r] - c * f2 * T);
            dsdf += -c / tau * dot(gp2[r], e2);
            dop += dot(gp2[r], e2);
          }
          if (cv.dc != 0.0) {
            // written as the opaque pass wrote it, with alpha for c; w = 1 then
            dsdf = dsdf * w / a;
            ga += dsdf * sg.ga;
            gb += dsdf * sg.gb;
          }
          if (!opaque) {
            gc.z += dop * cc / (1.0 - c);
          }
        }
        gb.w += g * c * T;
        if (colour) {
          gc = vec4f(gc.xy + gp2[r] * c * T, gc.z, 0.0);
          acc2[r] += c * f2 * T;
        }
        acc[r] += cfT;
        tr[r] = T * (1.0 - c);
      }
    }
    let ra = subgroupAdd(ga);
    let rb = subgroupAdd(gb);
    if (sgLane == 0u) {
      partials[base + sc * k] = ra;
      partials[base + sc * k + 1u] = rb;
    }
    if (third) {
      let rc = subgroupAdd(gc);
      if (sgLane == 0u) {
        partials[base + sc * k + 2u] = rc;
      }
    }
  }
}
